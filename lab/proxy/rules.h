// kube-proxy's nftables design for one node: the desired service state as plain data, and the
// nft text that programs it, either whole (first sync) or as the difference between two states.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::proxy {

struct Endpoint {
  std::string ip;
  int port = 0;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool operator==(const Endpoint&) const = default;
};

// One port of one Service: kube-proxy programs ports, not Services.
struct ServicePort {
  std::string ns, service, port_name;  // identity: "default/my-nginx/http" (port_name may be "")
  std::string protocol = "TCP";        // TCP | UDP | SCTP
  std::string cluster_ip;              // "" for headless (no VIP rules at all)
  int port = 0;                        // service port
  int node_port = 0;                   // 0 = none
  std::vector<std::string> lb_ips;     // LoadBalancer ingress IPs (DNATed like the cluster IP)
  bool affinity_client_ip = false;
  int affinity_timeout = 10800;        // seconds
  // New connections go to the ready ones; when none is ready, to those serving and terminating
  // (kube-proxy's fallback, so a rolling update of a 1-replica service does not drop traffic).
  std::vector<Endpoint> endpoints;

  std::string identity() const { return ns + "/" + service + "/" + port_name; }
  bool operator==(const ServicePort&) const = default;
};

// Everything one node's proxy needs. The node-wide fields change rarely; a change of any of them
// makes the next sync a full reload.
struct NodeView {
  std::string table = "lab-proxy";
  std::vector<std::string> node_ips;  // NodePorts answer on these; empty = on every local address
  std::string pod_cidr;               // cluster-wide, e.g. 10.244.0.0/16 ("" = never masquerade ClusterIP traffic)
  std::string service_cidr;           // e.g. 10.96.0.0/12; unused service addresses are rejected ("" = off)
  std::vector<ServicePort> ports;
  bool operator==(const NodeView&) const = default;
};

// The mark bit that asks postrouting to masquerade (kube-proxy's 0x4000).
inline constexpr unsigned kMasqueradeMark = 0x4000;

// Refuses what would make nft fail or rules ambiguous: malformed addresses, ports or protocols,
// two ports with one identity, two ports claiming one address.protocol.port or NodePort.
Result<void> validate(const NodeView& view);

// The whole table, preceded by `add table; delete table` so one transaction replaces whatever a
// previous (possibly crashed) proxy left behind.
Result<std::string> full_ruleset(const NodeView& view);

// One transaction that turns the rules for `before` into those for `after`, touching only the
// service ports that changed. Empty when nothing changed. When a node-wide field (table name,
// node IPs, CIDRs) changed it is the full ruleset instead. `before` is assumed valid (it was
// applied); of `after`, the ports that differ are validated, and uniqueness is checked again
// when a port was added or its addresses changed (not for endpoint-only changes).
Result<std::string> diff_ruleset(const NodeView& before, const NodeView& after);

// The names kube-proxy's scheme gives the objects of a service port, exposed for tests and for
// people reading `nft list table`: "<prefix>-<HASH8>-<ns>/<svc>/<proto>/<portname>[__<ip>/<port>]".
std::string service_chain_name(const ServicePort& sp);
std::string external_chain_name(const ServicePort& sp);
std::string endpoint_chain_name(const ServicePort& sp, const Endpoint& ep);
std::string affinity_set_name(const ServicePort& sp, const Endpoint& ep);

// The endpoints that receive new connections, in rule order (sorted, duplicates removed).
std::vector<Endpoint> usable_endpoints(const ServicePort& sp);

}  // namespace lab::proxy
