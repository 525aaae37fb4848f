// kube-proxy's nftables design for one node: the desired service state as plain data, and the
// nft text that programs it, either whole (first sync) or as the difference between two states.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lab/base/result.h"

namespace lab::proxy {

struct Endpoint {
  std::string ip;
  int port = 0;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  std::string node_name = "";  // the node the endpoint runs on ("" = unknown: never local)
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
  // Traffic policies (spec.internalTrafficPolicy / externalTrafficPolicy: Local): ClusterIP
  // traffic, or NodePort and LoadBalancer traffic, goes only to this node's endpoints.
  bool internal_local = false;
  bool external_local = false;
  // spec.loadBalancerSourceRanges (kube-proxy's firewall): new connections to firewall_ips at
  // this port from outside these CIDRs (network addresses, as net::Cidr writes them) are dropped
  // before DNAT. firewall_ips are those of lb_ips that are the load balancer's own (its ingress),
  // not spec.externalIPs; NodePorts and the cluster IP are never filtered, as in Kubernetes.
  // Nothing is filtered unless both are non-empty.
  std::vector<std::string> source_ranges = {};
  std::vector<std::string> firewall_ips = {};

  std::string identity() const { return ns + "/" + service + "/" + port_name; }
  bool operator==(const ServicePort&) const = default;
};

// A container port's hostPort on this node (the CNI portmap plugin's mapping): traffic to a
// local address of the node (or only to host_ip) at host_port/protocol goes to pod_ip:container_port.
struct HostPortMapping {
  std::string protocol = "TCP";  // TCP | UDP | SCTP
  std::string host_ip;           // "" (or 0.0.0.0) = every local address but 127.0.0.0/8
  int host_port = 0;
  std::string pod_ip;
  int container_port = 0;
  bool operator==(const HostPortMapping&) const = default;
};

// Everything one node's proxy needs. The node-wide fields change rarely; a change of any of them
// makes the next sync a full reload.
struct NodeView {
  std::string table = "lab-proxy";
  std::vector<std::string> node_ips;  // NodePorts answer on these; empty = on every local address
  std::string pod_cidr;               // cluster-wide, e.g. 10.244.0.0/16 ("" = never masquerade ClusterIP traffic)
  std::string service_cidr;           // e.g. 10.96.0.0/12; unused service addresses are rejected ("" = off)
  std::vector<ServicePort> ports;
  std::string node_name;              // whose endpoints are local (traffic policy Local)
  // The hostPorts of this node's pods, in chain `hostports` (portmap's CNI-HOSTPORT-DNAT),
  // jumped to before the service dispatch. A change rewrites that chain only.
  std::vector<HostPortMapping> host_ports;
  bool operator==(const NodeView&) const = default;
};

// The mark bit that asks postrouting to masquerade (kube-proxy's 0x4000).
inline constexpr unsigned kMasqueradeMark = 0x4000;

// Where a service port's endpoints live. Each port has a number (its slot, from 1); its endpoints
// are the elements slot*kSlotStride + 0..N-1 of map endpoints-<proto>. Its chain only picks one,
// `ct mark set numgen random mod N offset slot*kSlotStride`, and the shared endpoint-dnat chain
// DNATs every service connection by that mark. An endpoint change is then a change of map
// elements and at most of that chain's rules, whose expressions need no validation: the kernel
// does not re-walk the whole table (~90 ms at 10,000 services) as it does for a new goto, DNAT or
// mark rule. The marks are visible in conntrack (`mark=4097`): slot 1, endpoint 1.
// A port's chains and dispatch elements (service-ips, service-nodeports) exist as long as the
// port does, with or without endpoints: a port without any has an empty service chain and an
// element in the no-endpoint maps, whose reject runs before DNAT would. Going between 0 and N
// endpoints is element changes and the chain's rules, all of which the fast path sends.
// Session affinity (ClientIP) keeps each client's endpoint number in a dynamic map of the port;
// its random pick sits in a chain of its own (pick-...), so the service chain's map lookup and
// update rules never change and a count change is again one `ct mark set numgen` rule.
inline constexpr uint32_t kSlotStride = 4096;     // at most this many endpoints per port
inline constexpr uint32_t kMaxSlots = (1u << 20) - 1;  // slot * stride stays within 32 bits
// A port with a traffic policy Local has two endpoint lists (kube-proxy's cluster and local
// endpoints, topology.go CategorizeEndpoints): the cluster ones from the slot's first element,
// the node-local ones from this offset, each picked by a chain of its own. Such a port has at
// most this many endpoints in each list.
inline constexpr uint32_t kLocalOffset = kSlotStride / 2;

// The slot of each service port, kept by the proxier between syncs: a port keeps its slot while it
// exists; freed slots are reused (lowest first) so numbers stay small.
class EndpointSlots {
 public:
  // The port's slot, assigning the lowest free one to a new port.
  uint32_t assign(const std::string& identity);
  void release(const std::string& identity);
  std::optional<uint32_t> find(const std::string& identity) const;
  size_t size() const { return slots_.size(); }
  void clear();
  // Releases the slots of every port not in `identities`.
  void keep_only(const std::unordered_set<std::string>& identities);

 private:
  std::unordered_map<std::string, uint32_t> slots_;
  std::vector<uint32_t> free_;  // a min-heap
  uint32_t next_ = 1;           // 0 would make a mark of 0, which means "no service"
};

// Refuses what would make nft fail or rules ambiguous: malformed addresses, ports or protocols,
// two ports with one identity, two ports claiming one address.protocol.port or NodePort.
Result<void> validate(const NodeView& view);

// The rules of chain `hostports` for `mappings`, in order (the first of two mappings claiming one
// address.protocol.port wins, as in portmap). Fails on a malformed protocol, address or port.
Result<std::vector<std::string>> host_port_rules(const std::vector<HostPortMapping>& mappings);

// The whole table, preceded by `add table; delete table` so one transaction replaces whatever a
// previous (possibly crashed) proxy left behind. Ports keep the slots they have in `slots`; the
// others get free ones (a fresh EndpointSlots numbers the ports in order).
Result<std::string> full_ruleset(const NodeView& view, EndpointSlots& slots);
Result<std::string> full_ruleset(const NodeView& view);

// One transaction that turns the rules for `before` into those for `after`, touching only the
// service ports that changed. Empty when nothing changed. When a node-wide field (table name,
// node IPs, CIDRs, node name) changed it is the full ruleset instead. `before` is assumed valid (it was
// applied); of `after`, the ports that differ are validated, and uniqueness is checked again
// when a port was added or its addresses changed (not for endpoint-only changes).
// `slots` are those of `before` and become those of `after` (changed only when the diff is
// returned). Without `slots`, `before` is taken as freshly loaded by full_ruleset.
Result<std::string> diff_ruleset(const NodeView& before, const NodeView& after, EndpointSlots& slots);
Result<std::string> diff_ruleset(const NodeView& before, const NodeView& after);

// An endpoint-only change of one service port: the map elements, the no-endpoint elements (when
// it goes between none and some), the affinity map (emptied when an endpoint number it may hold
// changes meaning) and the rules of the service chain (when the count changes). This is all a
// pod coming, going or changing readiness needs, and the proxier sends it without libnftables
// (lab/proxy/fast_path.h).
struct EndpointUpdate {
  std::string chain;             // the chain that picks (service chain, or pick chain with affinity)
  std::string map;               // endpoints-<proto>
  std::string proto;             // tcp | udp | sctp
  uint32_t base = 0;             // slot * kSlotStride: the first element's key
  std::string affinity_map;      // "" without session affinity
  std::vector<std::string> addresses;  // cluster IP then LoadBalancer IPs (no-endpoint-services keys)
  int port = 0;                  // the service port
  int node_port = 0;             // 0 = none (no no-endpoint-nodeports key)
  std::vector<Endpoint> before;  // usable endpoints in element order
  std::vector<Endpoint> after;
};

// The diff from `before` to `after` as EndpointUpdates, when it consists of nothing else (every
// changed port keeps its addresses, ports, protocol and affinity settings). nullopt otherwise.
// An empty vector: nothing to do.
std::optional<std::vector<EndpointUpdate>> endpoint_updates(const NodeView& before, const NodeView& after,
                                                            const EndpointSlots& slots);

// The rules of the chain that picks an endpoint, as nft text, for `n` endpoints numbered from
// `base` (none when n is 0). The one definition both render() and the fast path follow (it builds
// the same in kernel terms; the kernel test compares the tables).
std::vector<std::string> pick_rules(uint32_t base, size_t n);
std::string endpoints_map_name(const std::string& proto);
// An endpoint number held in the affinity map stops being valid when the endpoint at that number
// changes or goes: true when any of `before`'s numbers does.
bool endpoint_numbers_moved(const std::vector<Endpoint>& before, const std::vector<Endpoint>& after);

// The names kube-proxy's scheme gives the objects of a service port, exposed for tests and for
// people reading `nft list table`: "<prefix>-<HASH8>-<ns>/<svc>/<proto>/<portname>".
std::string service_chain_name(const ServicePort& sp);
std::string external_chain_name(const ServicePort& sp);
std::string affinity_map_name(const ServicePort& sp);
std::string pick_chain_name(const ServicePort& sp);  // session affinity only
// The chain (and, with session affinity, pick chain and map) of a port's node-local endpoints.
std::string local_chain_name(const ServicePort& sp);
std::string local_pick_chain_name(const ServicePort& sp);
std::string local_affinity_map_name(const ServicePort& sp);
// The chain that drops sources outside a port's source ranges, and the set of those allowed.
std::string firewall_chain_name(const ServicePort& sp);
std::string firewall_set_name(const ServicePort& sp);
// The port's firewall is programmed (it has source ranges and addresses they guard).
bool uses_firewall(const ServicePort& sp);
// The CIDRs the firewall's set holds for `sp` on a node with `node_ips`: its source ranges, and
// its firewall IPs when a node IP is within them (kube-proxy's allowFromNode: the node's own
// requests to an address it holds come from that address); those within another dropped, so
// that no two elements of the interval set overlap, sorted.
std::vector<std::string> firewall_allowed(const ServicePort& sp, const std::vector<std::string>& node_ips);

// A UDP flow a node's conntrack may still hold after a sync, to be deleted as kube-proxy's
// conntrack cleanup does (UDP has no connection to break: a client keeping its source port
// would go on to a gone endpoint until the entry times out).
struct StaleUdpFlow {
  std::string dst_ip;       // original destination: a ClusterIP or LoadBalancer IP; "" = any (NodePort)
  int dst_port = 0;         // the service port, or the NodePort
  std::string endpoint_ip;  // the endpoint that answered it; "" = any
  bool operator==(const StaleUdpFlow&) const = default;
};

// The flows to delete after going from `before` to `after`, per UDP port with a ClusterIP:
// those answered by an endpoint that was serving and is gone or no longer serving; and all of a
// port that was removed, or that went from no ready endpoint to some (kube-proxy's "newly
// active" services: their earlier packets had nowhere to go). Plain data, for lab/node.
std::vector<StaleUdpFlow> stale_udp_flows(const NodeView& before, const NodeView& after);

// The endpoints that receive new connections, in rule order (sorted, duplicates removed).
std::vector<Endpoint> usable_endpoints(const ServicePort& sp);
// Those of them on `node` for a traffic policy Local: the ready ones, or when none is ready the
// serving and terminating ones (kube-proxy's CategorizeEndpoints), in rule order.
std::vector<Endpoint> local_endpoints(const ServicePort& sp, const std::string& node);
// The port reaches from outside the cluster (a NodePort or LoadBalancer IPs).
bool externally_accessible(const ServicePort& sp);
// Some of its traffic goes to node-local endpoints only (kube-proxy's UsesLocalEndpoints).
bool uses_local_endpoints(const ServicePort& sp);

}  // namespace lab::proxy
