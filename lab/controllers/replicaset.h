// The ReplicaSet controller: keeps spec.replicas pods alive for each ReplicaSet, creating pods
// named <replicaset>-<5 chars> and deleting surplus ones gracefully through the registry.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class ReplicaSetController : public Controller {
 public:
  explicit ReplicaSetController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;
};

}  // namespace lab::controllers
