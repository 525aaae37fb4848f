// The scheduler: binds each unscheduled pod to a node, spreading a workload's pods across nodes
// (fewest pods with the same owner first, then fewest pods overall, then node order).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "lab/controllers/controller.h"

namespace lab::controllers {

// Chooses a node for pod among nodes (in order), counting the pods the cache holds; honours
// spec.nodeName when set.
// pods_per_node > 0: a node with that many pods takes no more (its pod CIDR is full); a node in
// not_ready takes none (as the node.kubernetes.io/not-ready taint keeps pods away); nor does a
// node where another pod holds a hostPort the pod asks for (the NodePorts filter); nor does a
// cordoned node in unschedulable (spec.unschedulable: the NodeUnschedulable filter), unless the
// pod tolerates node.kubernetes.io/unschedulable.
Result<std::string> choose_node(const store::Informer& pods, const Json& pod, const std::vector<std::string>& nodes,
                                int pods_per_node = 0, const std::set<std::string>& not_ready = {},
                                const std::set<std::string>& unschedulable = {});

class Scheduler : public Controller {
 public:
  explicit Scheduler(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;
};

}  // namespace lab::controllers
