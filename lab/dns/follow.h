// Keeps a Zone in step with the lab's API, as an informer does: list, then watch from the list's
// resourceVersion, event by event; when a watch ends (410 Expired, the daemon restarted, the
// socket went away) list again and watch again. One thread per watch: Services, Pods, and two of
// EndpointSlices (follow.cc says which). Uses the lab's own HTTP client (lab/server/http).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lab/dns/zone.h"

namespace lab::dns {

class ApiFollower {
 public:
  using Log = std::function<void(const std::string&)>;
  ApiFollower(std::string socket_path, Zone& zone, Log log);
  ~ApiFollower();
  void start();
  // Every watch has listed once: answers can be trusted from here on.
  bool synced() const { return synced_count_.load(std::memory_order_acquire) == kWatches; }

 private:
  static constexpr int kWatches = 4;
  // feed: the zone's name for this watch among its kind's (Zone::apply).
  void run(Kind kind, const std::string& path, unsigned feed);
  std::string socket_;
  Zone& zone_;
  Log log_;
  std::atomic<int> synced_count_{0};
  std::vector<std::thread> threads_;
};

}  // namespace lab::dns
