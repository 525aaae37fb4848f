// The Deployment controller: a Deployment owns a ReplicaSet named <deployment>-<pod-template-hash>,
// which owns pods named <replicaset>-<5 random chars>, as in Kubernetes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lab/base/result.h"
#include "lab/store/store.h"

namespace lab::controllers {

using Json = nlohmann::json;

// Kubernetes' pod-template-hash: FNV-32a of the template, in the "safe" alphabet.
std::string pod_template_hash(const Json& pod_template);
// Five characters of the safe alphabet (bcdfghjklmnpqrstvwxz2456789), as pod names use.
std::string random_suffix(size_t n = 5);

// Brings a Deployment's ReplicaSet and pod objects into the store (no kernel work: the kubelet
// realizes pods). Creates what is missing up to spec.replicas.
Result<void> reconcile_deployment(store::Store& st, const Json& deployment);
// Recomputes status of the Deployment and its ReplicaSets from their pods.
void update_deployment_status(store::Store& st, const Json& deployment);

}  // namespace lab::controllers
