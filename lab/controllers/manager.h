// The controller manager: one pass runs every controller over the store (level-triggered, as
// Kubernetes controllers are), and a loop runs passes whenever the store changes.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "lab/store/store.h"
#include "netns/cidr.h"

namespace lab::controllers {

// What the controllers need to know of the lab.
struct ClusterInfo {
  std::vector<std::string> nodes;
  net::Ipv4Range lb_pool{};
};

// Deployments, ReplicaSets, garbage collection, scheduling, EndpointSlices, load balancers.
// Errors are logged.
void run_controllers_once(store::Store& st, const ClusterInfo& cluster);

// Runs passes on every store change (and every second) until stop is set. synced, if given,
// gets the store version each finished pass had seen (`lab up` waits for status to catch up).
void run_controller_loop(store::Store& st, const ClusterInfo& cluster, const std::atomic<bool>& stop,
                         std::atomic<uint64_t>* synced = nullptr);

}  // namespace lab::controllers
