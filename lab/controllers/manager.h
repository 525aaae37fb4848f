// The controller manager: one pass runs every controller over the store (level-triggered, as
// Kubernetes controllers are), and a loop runs passes whenever the store changes.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "lab/store/store.h"

namespace lab::controllers {

// Deployments, ReplicaSets, garbage collection, scheduling. Errors are logged by the caller.
void run_controllers_once(store::Store& st, const std::vector<std::string>& nodes);

// Runs passes on every store change (and every second) until stop is set.
void run_controller_loop(store::Store& st, const std::vector<std::string>& nodes,
                         const std::atomic<bool>& stop);

}  // namespace lab::controllers
