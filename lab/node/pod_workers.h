// The kubelet's concurrency machinery, apart from what it does with a pod: a bounded pool of
// pod workers over a work queue of pod keys (the real kubelet has a goroutine per pod; a queue
// gives the same guarantee, one sync of a pod at a time, with a fixed number of threads), and an
// epoll thread that turns a pod init's exit (its pidfd becoming readable) into a sync of that
// pod at once, rather than at its next periodic re-sync.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "lab/base/work_queue.h"

namespace lab::node {

class PodWorkers {
 public:
  using Sync = std::function<void(const std::string& key)>;
  PodWorkers(std::shared_ptr<WorkQueue> queue, Sync sync) : queue_(std::move(queue)), sync_(std::move(sync)) {}
  ~PodWorkers() { stop(); }
  PodWorkers(const PodWorkers&) = delete;
  PodWorkers& operator=(const PodWorkers&) = delete;

  void start(size_t threads);
  // Shuts the queue down (keys still queued are dropped) and joins the threads; a sync in
  // progress finishes first.
  void stop();
  // Syncs currently running (for tests and progress).
  size_t busy() const;

 private:
  void run();

  std::shared_ptr<WorkQueue> queue_;
  Sync sync_;
  mutable std::mutex mu_;
  size_t busy_ = 0;
  std::vector<std::thread> threads_;
};

class ExitWatcher {
 public:
  using Exited = std::function<void(const std::string& key)>;
  explicit ExitWatcher(Exited exited) : exited_(std::move(exited)) {}
  ~ExitWatcher() { stop(); }
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  // Idempotent: the kubelet starts it before adopting pods and again when its workers start.
  Result<void> start();
  void stop();
  // Calls exited(key) once, when pidfd becomes readable (the process has exited). The caller
  // keeps pidfd open until unwatch(pidfd).
  void watch(int pidfd, const std::string& key);
  void unwatch(int pidfd);

 private:
  void run();

  Exited exited_;
  UniqueFd epoll_, wake_;  // wake_: an eventfd that ends run()
  std::mutex mu_;
  std::map<int, std::string> keys_;  // by pidfd
  std::thread thread_;
};

}  // namespace lab::node
