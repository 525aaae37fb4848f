// The ReplicaSet controller: keeps spec.replicas pods alive for each ReplicaSet, creating pods
// named <replicaset>-<5 chars> and marking surplus ones for graceful deletion.
#pragma once

#include <nlohmann/json.hpp>

#include "lab/base/result.h"
#include "lab/store/store.h"

namespace lab::controllers {

Result<void> reconcile_replicaset(store::Store& st, const nlohmann::json& rs);

// Marks a pod for graceful deletion (deletionTimestamp + grace period), as the API server does
// for DELETE; the kubelet stops it and removes the object.
Result<nlohmann::json> mark_pod_deleted(store::Store& st, nlohmann::json pod, int grace_seconds = -1);

}  // namespace lab::controllers
