// The `kubernetes` Service of `default` is kept, as kube-apiserver's kubernetes-service
// (bootstrap) controller keeps it: created if missing, its ports and type put back at start,
// and made again whenever it is deleted. A controller rather than a special case in the
// registry's delete, because that is how a cluster behaves: the delete really happens (watchers
// see DELETED, then ADDED with a new uid), and the Service comes back a moment later.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class KubernetesServiceController : public Controller {
 public:
  // Does nothing when ctx.cluster.kubernetes_service is null.
  explicit KubernetesServiceController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;

 private:
  std::string key_;         // "default/kubernetes"
  bool reconciled_ = false; // ports and type are put back on the first sync only, as upstream
};

}  // namespace lab::controllers
