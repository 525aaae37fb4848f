// The node lifecycle controller: the pods of a node that goes NotReady are marked not Ready at
// once (MarkPodsNotReady), and evicted as taint-based eviction does it: the pods of a node
// that has been NotReady for the eviction timeout are deleted, so their controllers make new
// ones on the nodes that are Ready (the scheduler passes NotReady nodes by). A node that comes
// back before the timeout keeps its pods.
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "lab/controllers/controller.h"

namespace lab::controllers {

class NodeLifecycleController : public Controller {
 public:
  explicit NodeLifecycleController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;

 private:
  Result<void> mark_pods_not_ready(const std::string& node);

  using Clock = std::chrono::steady_clock;
  std::mutex mu_;
  std::map<std::string, Clock::time_point> not_ready_since_;  // by node name, as this daemon saw it
};

}  // namespace lab::controllers
