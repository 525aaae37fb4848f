// What the API server assigns to a Service on create and update, as the Kubernetes service
// registry does: a ClusterIP from the service CIDR and NodePorts from 30000-32767, honouring
// requested ones and refusing collisions with kubectl's wording. What is taken is kept by the
// registry (the only writer of Services), built once from the store at start.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <set>

#include "lab/base/result.h"
#include "netns/cidr.h"

namespace lab::store {

struct ServiceRanges {
  net::Cidr service_cidr;
  int node_port_min = 30000, node_port_max = 32767;
};

// What the Services hold now: ClusterIPs and NodePorts.
struct ServiceAllocations {
  std::set<uint32_t> ips;
  std::set<int> node_ports;
  void add(const nlohmann::json& svc);     // what svc holds becomes taken
  void remove(const nlohmann::json& svc);  // and free again
};

// The `kubernetes` Service of `default` (kube-apiserver's master service) holds the service
// CIDR's first address; no other Service may ask for it or be given it.
net::Ipv4 kubernetes_service_ip(const net::Cidr& service_cidr);
bool is_kubernetes_service(const nlohmann::json& svc);

// ServiceIPStaticSubrange: the bottom min(max(16, size/16), 256) addresses are the static band,
// kept for addresses written by hand; 0 for a range of 16 addresses or fewer.
uint64_t static_band_size(const net::Cidr& service_cidr);
// A free address for a Service that asked for none: random in the dynamic band (above the
// static one) while it has room, else in the static band; nullopt when the range is full.
std::optional<net::Ipv4> pick_cluster_ip(const net::Cidr& service_cidr, const std::function<bool(uint32_t)>& taken);

// patchAllocatedValues for node ports: a port of an update sent without a nodePort keeps the one
// the old port of the same name had, unless another port of the update holds that number.
void patch_node_ports(nlohmann::json& ports, const nlohmann::json& old_ports);
// The node ports of a NodePort or LoadBalancer Service, as the API server's allocator gives them:
// on create (old null) ports with the same port number share one (80/TCP and 80/UDP); on update
// the old Service's numbers stay its own and ports without one get a fresh one. taken(n): another
// Service holds n. Numbers are allocated whatever the protocol, as the allocator's bitmap does.
Result<void> assign_node_ports(nlohmann::json& svc, const nlohmann::json& old, const std::function<bool(int)>& taken,
                               const ServiceRanges& ranges);

// healthCheckNodePort, as allocHealthCheckNodePort/updateHealthCheckNodePort give it: for a
// LoadBalancer with externalTrafficPolicy Local, the one asked for (500 Internal error when out of
// range or taken, as the API server wraps the allocator's error) or a free one; an update keeps
// the old one and refuses another (422); any other Service has none (the old one is released).
// Run after assign_node_ports: this Service's own nodePorts are taken too.
Result<void> assign_health_check_node_port(nlohmann::json& svc, const nlohmann::json& old,
                                           const std::function<bool(int)>& taken, const ServiceRanges& ranges);

// svc: the Service being created or updated; old: its previous version (null on create); taken:
// what every Service holds (old's own addresses among them). Returns svc with spec.clusterIP(s)
// and nodePorts filled in. Errors are Reason::Invalid with kubectl's wording.
Result<nlohmann::json> allocate_service(const ServiceAllocations& taken, nlohmann::json svc,
                                        const nlohmann::json& old, const ServiceRanges& ranges);

}  // namespace lab::store
