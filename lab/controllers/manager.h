// The controller manager: the Deployment, ReplicaSet, garbage collector, scheduler,
// EndpointSlice, Endpoints, EndpointSlice mirroring, LoadBalancer, node lifecycle, kubernetes
// Service, ServiceAccount, root CA and namespace controllers over shared informers, each with its
// own work queue and worker thread, so a change wakes only the objects it concerns.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "lab/controllers/controller.h"

namespace lab::controllers {

class ControllerManager {
 public:
  // Registers the controllers' informers and handlers on f (before f.start()).
  ControllerManager(store::Registry& reg, store::InformerFactory& f, ClusterInfo cluster);
  ~ControllerManager();

  // Queues every object once (the first pass), then starts a worker thread per controller.
  void start();
  void stop();
  // Nothing queued or in progress, and the caches hold at least version v: the controllers have
  // acted on everything up to v (`lab up` waits for this before it reports).
  bool settled(uint64_t v) const;
  // For tests: the first pass and then every key until all queues are empty, on this thread.
  void run_until_idle();

 private:
  Context ctx_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::vector<std::thread> threads_;
};

}  // namespace lab::controllers
