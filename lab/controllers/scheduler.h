// The scheduler: binds each unscheduled pod to a node, spreading a workload's pods across nodes
// (fewest pods with the same owner first, then fewest pods overall, then node order).
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/store/store.h"

namespace lab::controllers {

// Chooses a node for pod among nodes (in order); honours spec.nodeName when set.
Result<std::string> choose_node(const store::Store& st, const nlohmann::json& pod,
                                const std::vector<std::string>& nodes);
// Binds every pod without spec.nodeName; returns the pods it bound.
Result<std::vector<nlohmann::json>> schedule_pending(store::Store& st,
                                                     const std::vector<std::string>& nodes);

}  // namespace lab::controllers
