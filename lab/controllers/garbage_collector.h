// The garbage collector: objects whose controlling owner is gone are deleted (ReplicaSets and
// EndpointSlices at once, pods gracefully), as Kubernetes' background cascading deletion does.
// Keys are owner uids; an owner's delete wakes its dependents through the owner-uid index.
#pragma once

#include <chrono>

#include "lab/controllers/controller.h"

namespace lab::controllers {

class GarbageCollector : public Controller {
 public:
  explicit GarbageCollector(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& owner_uid) override;

 private:
  bool owner_exists(const std::string& uid) const;
  void sweep_events();
  std::chrono::steady_clock::time_point next_event_sweep_{};
};

}  // namespace lab::controllers
