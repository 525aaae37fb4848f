// The objects every lab has from its start, as a kubeadm cluster has them: the `kubernetes`
// Service in `default`, and cluster DNS in `kube-system` (the coredns Deployment, the kube-dns
// Service). Plain objects; the daemon creates them through the registry like any write.
#pragma once

#include <vector>

#include "lab/cluster/lab_record.h"
#include <nlohmann/json.hpp>

namespace lab::server {

using Json = nlohmann::json;

// The `kubernetes` Service (ClusterIP: the service CIDR's first address, port 443 "https").
std::vector<Json> kubernetes_service_objects(const cluster::LabRecord& rec);

// Cluster DNS: the coredns Deployment and the kube-dns Service (the service CIDR's tenth address).
std::vector<Json> dns_addon_objects(const cluster::LabRecord& rec);

}  // namespace lab::server
