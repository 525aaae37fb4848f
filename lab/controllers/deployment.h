// The Deployment controller: a Deployment owns ReplicaSets named <deployment>-<pod-template-hash>;
// a template change rolls pods from the old ReplicaSets to the new one within maxSurge and
// maxUnavailable, as Kubernetes' rolling updater does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lab/base/result.h"
#include "lab/store/store.h"

namespace lab::controllers {

using Json = nlohmann::json;

// Kubernetes' pod-template-hash: FNV-32a of the template, in the "safe" alphabet.
std::string pod_template_hash(const Json& pod_template);

// One pass over a Deployment: the ReplicaSet for its current template exists, replica counts
// move one rolling step, status is recomputed.
Result<void> reconcile_deployment(store::Store& st, const Json& deployment);

}  // namespace lab::controllers
