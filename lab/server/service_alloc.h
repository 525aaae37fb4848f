// What the API server assigns to a Service on create and update, as the Kubernetes service
// registry does: a ClusterIP from the service CIDR and NodePorts from 30000-32767, honouring
// requested ones and refusing collisions with kubectl's wording. Allocation is derived from the
// services in the store, so deleting a Service frees what it held.
#pragma once

#include <nlohmann/json.hpp>

#include "lab/base/result.h"
#include "lab/store/store.h"
#include "netns/cidr.h"

namespace lab::server {

struct ServiceRanges {
  net::Cidr service_cidr;
  int node_port_min = 30000, node_port_max = 32767;
};

// svc: the Service being created or updated; old: its previous version (null on create).
// Returns svc with spec.clusterIP(s) and nodePorts filled in. Errors carry HTTP 422.
Result<nlohmann::json> allocate_service(const store::Store& st, nlohmann::json svc,
                                        const nlohmann::json& old, const ServiceRanges& ranges);

}  // namespace lab::server
