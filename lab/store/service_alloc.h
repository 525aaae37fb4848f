// What the API server assigns to a Service on create and update, as the Kubernetes service
// registry does: a ClusterIP from the service CIDR and NodePorts from 30000-32767, honouring
// requested ones and refusing collisions with kubectl's wording. What is taken is kept by the
// registry (the only writer of Services), built once from the store at start.
#pragma once

#include <nlohmann/json.hpp>

#include "lab/base/result.h"
#include <set>
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

// svc: the Service being created or updated; old: its previous version (null on create); taken:
// what every Service holds (old's own addresses among them). Returns svc with spec.clusterIP(s)
// and nodePorts filled in. Errors are Reason::Invalid with kubectl's wording.
Result<nlohmann::json> allocate_service(const ServiceAllocations& taken, nlohmann::json svc,
                                        const nlohmann::json& old, const ServiceRanges& ranges);

}  // namespace lab::store
