// A queue of keys for controllers, as client-go's workqueue: a key waits at most once however
// often it is added (changes coalesce), a key being processed is never handed to a second worker
// (added again meanwhile, it comes back once the first is done), and a failing key is retried
// with a per-key exponential back-off.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "lab/base/clock.h"

namespace lab {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void add(const std::string& key) {
    std::lock_guard lock(mu_);
    add_locked(key);
  }
  // After delay (a periodic resync of one key, a grace period running out).
  void add_after(const std::string& key, std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    add_at_locked(key, Clock::now() + delay);
  }
  // For changes that come in bursts (the status of each of a thousand pods concerns one
  // ReplicaSet): the key's reconciles are spaced by ten times what its last one cost (the CPU
  // time its worker spent between get() and done()), at most `interval`. A key whose spacing
  // has passed since its last hand-out (or is under a millisecond) is added at once; otherwise
  // it waits until then, and the burst coalesces into one reconcile there. A cheap reconcile (an
  // EndpointSlice of two pods: 0.1 ms) is never delayed; an expensive one (all of a thousand
  // pods) runs at most a tenth of the time, not once per change (1,000 pods each a reconcile
  // that read all 1,000 cost 1,000^2).
  void add_batched(const std::string& key, std::chrono::milliseconds interval) {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    auto now = Clock::now();
    auto it = batched_.find(key);
    if (it == batched_.end()) {
      if (batched_.size() >= kMaxTracked) forget_old_starts_locked(now - interval);
      batched_.emplace(key, Batch{});
      add_locked(key);
      return;
    }
    auto spacing = std::min<Clock::duration>(interval, it->second.cost * kCostFactor);
    if (spacing < kMinSpacing || now - it->second.start >= spacing) add_locked(key);
    else add_at_locked(key, it->second.start + spacing);
  }
  // After the key's back-off: 5 ms doubling up to 30 s, until forget(key).
  void add_rate_limited(const std::string& key) {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu_);
      int n = failures_[key]++;
      delay = std::chrono::milliseconds(std::min<long long>(5LL << std::min(n, 13), 30'000));
    }
    add_after(key, delay);
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mu_);
    failures_.erase(key);
  }

  // The next key, blocking until there is one; nullopt once shut down. Call done(key) after.
  std::optional<std::string> get() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (shut_down_) return std::nullopt;
      promote_locked();
      if (!queue_.empty()) {
        std::string key = std::move(queue_.front());
        queue_.pop_front();
        queued_.erase(key);
        processing_.insert(key);
        note_start_locked(key);
        return key;
      }
      if (waiting_.empty()) ready_.wait(lock);
      else ready_.wait_until(lock, next_due_locked());
    }
  }
  // The next key if one is ready now (tests drive controllers without threads).
  std::optional<std::string> try_get() {
    std::lock_guard lock(mu_);
    promote_locked();
    if (shut_down_ || queue_.empty()) return std::nullopt;
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(key);
    processing_.insert(key);
    note_start_locked(key);
    return key;
  }
  void done(const std::string& key) {
    std::lock_guard lock(mu_);
    if (auto it = batched_.find(key); it != batched_.end()) {
      Batch& b = it->second;
      b.cost = b.thread == std::this_thread::get_id() ? thread_cpu_time() - b.cpu_start : Clock::now() - b.start;
    }
    processing_.erase(key);
    if (dirty_.erase(key)) add_locked(key);
  }
  void shut_down() {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    ready_.notify_all();
  }
  // Keys waiting or being processed (for tests and progress reports).
  size_t pending() const {
    std::lock_guard lock(mu_);
    return queue_.size() + processing_.size() + waiting_.size();
  }

 private:
  void add_locked(const std::string& key) {
    if (shut_down_) return;
    if (processing_.contains(key)) {
      dirty_.insert(key);
      return;
    }
    if (queued_.insert(key).second) {
      queue_.push_back(key);
      ready_.notify_one();
    }
  }
  void add_at_locked(const std::string& key, Clock::time_point when) {
    if (shut_down_) return;
    auto it = waiting_.find(key);
    if (it != waiting_.end()) {
      if (it->second <= when) return;
      by_time_.erase({it->second, key});
    }
    waiting_[key] = when;
    by_time_.emplace(when, key);
    ready_.notify_one();
  }
  // Only keys ever added with add_batched() are tracked.
  // What a reconcile costs is the work it did, not how long it waited: measured in wall time, a
  // reconcile of 0.2 ms of CPU took 5 ms while a burst of other work held the CPUs (or while its
  // worker waited for the informers), and the key's next change waited 50 ms for it
  // (bench/endpoints.sh: 15 of 100 deletes; a pod's deletion reached the proxies up to 50 ms late).
  // Hence the worker's CPU time, read here at the hand-out and again in done().
  void note_start_locked(const std::string& key) {
    if (auto it = batched_.find(key); it != batched_.end()) {
      it->second.start = Clock::now();
      it->second.cpu_start = thread_cpu_time();
      it->second.thread = std::this_thread::get_id();
    }
  }
  // Keys of objects long gone would pile up: past kMaxTracked, the ones not handed out since
  // `before` (which add_batched() would add at once anyway) are dropped.
  void forget_old_starts_locked(Clock::time_point before) {
    std::erase_if(batched_, [&](const auto& kv) { return kv.second.start < before; });
  }
  static constexpr size_t kMaxTracked = 4096;
  static constexpr int kCostFactor = 10;
  // A spacing below this is no batching worth a timer: the key goes at once.
  static constexpr std::chrono::milliseconds kMinSpacing{1};

  // Only the keys that are due, earliest first: with a thousand pods each resynced on a timer, a
  // scan of every waiting key on each get() was a third of the kubelet workers' time.
  void promote_locked() {
    auto now = Clock::now();
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
      auto node = by_time_.extract(by_time_.begin());
      waiting_.erase(node.value().second);
      add_locked(node.value().second);
    }
  }
  Clock::time_point next_due_locked() const {
    return by_time_.empty() ? Clock::time_point::max() : by_time_.begin()->first;
  }

  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_, processing_, dirty_;
  std::map<std::string, Clock::time_point> waiting_;               // key -> when it is due
  std::set<std::pair<Clock::time_point, std::string>> by_time_;  // the same, by when
  std::map<std::string, int> failures_;
  struct Batch {
    Clock::time_point start;  // the last hand-out
    Clock::duration cost{};   // the last reconcile's CPU time (hand-out to done, on its worker)
    Clock::duration cpu_start{};  // the worker's CPU time at the hand-out
    std::thread::id thread;       // the worker it went to (done() on another thread: wall time)
  };
  std::map<std::string, Batch> batched_;  // keys of add_batched()
  bool shut_down_ = false;
};

}  // namespace lab
