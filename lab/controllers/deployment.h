// The Deployment controller: a Deployment owns ReplicaSets named <deployment>-<pod-template-hash>;
// a template change rolls pods from the old ReplicaSets to the new one within maxSurge and
// maxUnavailable, as Kubernetes' rolling updater does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lab/controllers/controller.h"

namespace lab::controllers {

using Json = nlohmann::json;

// Kubernetes' pod-template-hash: FNV-32a of the template, in the "safe" alphabet.
std::string pod_template_hash(const Json& pod_template);

class DeploymentController : public Controller {
 public:
  explicit DeploymentController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;

  // One pass over a Deployment: the ReplicaSet for its current template exists, replica counts
  // move one rolling step, status is recomputed.
  static Result<void> reconcile(Context& ctx, const Json& deployment);
};

}  // namespace lab::controllers
