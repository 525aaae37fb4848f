// The scale subresource of Deployments and ReplicaSets (…/deployments/NAME/scale): an
// autoscaling/v1 Scale read from the workload (spec.replicas, status.replicas, the selector as a
// string), and written back by GET, PUT (a missing Content-Type is JSON, as kubectl's
// `scale --current-replicas` sends it) and PATCH (merge, strategic-merge or JSON patch of the
// Scale), as kube-apiserver's scaleUpdatedObjectInfo does: through the registry's validated write
// of the workload, a resourceVersion in the Scale being a precondition (409 when stale).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lab/api/resources.h"
#include "lab/server/http.h"
#include "lab/store/registry.h"

namespace lab::server {

// The Scale of a stored Deployment or ReplicaSet.
nlohmann::json scale_of(const nlohmann::json& workload);

// One request on …/NAME/scale of type (a kind with a scale subresource).
HttpResponse serve_scale(store::Registry& registry, const api::ResourceType& type, const std::string& ns,
                         const std::string& name, const HttpRequest& req);

}  // namespace lab::server
