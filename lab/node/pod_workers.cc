// Pod worker threads over the work queue, and the epoll thread that notices pod inits exiting
// (see pod_workers.h).
#include "lab/node/pod_workers.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <exception>

#include "lab/base/log.h"
#include "lab/base/thread_name.h"

namespace lab::node {

void PodWorkers::start(size_t threads) {
  std::lock_guard lock(mu_);
  while (threads_.size() < threads) threads_.emplace_back([this] { run(); });
}

void PodWorkers::stop() {
  queue_->shut_down();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

size_t PodWorkers::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

void PodWorkers::run() {
  name_this_thread("pod-worker");
  while (auto key = queue_->get()) {
    {
      std::lock_guard lock(mu_);
      ++busy_;
    }
    try {
      sync_(*key);
    } catch (const std::exception& e) {
      // A stored object the sync cannot read (a mistyped field): skip it rather than lose the
      // thread; a new version of the object queues the key again.
      log_line("kubelet " + *key + ": skipped, cannot process the pod: " + e.what());
    }
    {
      std::lock_guard lock(mu_);
      --busy_;
    }
    queue_->done(*key);
  }
}

Result<void> ExitWatcher::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return {};  // started already (adopt() and start() both ask)
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return fail_errno("epoll_create1");
  wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return fail_errno("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0) return fail_errno("epoll_ctl");
  thread_ = std::thread([this] {
    name_this_thread("exit-watcher");
    run();
  });
  return {};
}

void ExitWatcher::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  // An eventfd write fails only when its counter would overflow, and one is enough to wake run().
  (void)!::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void ExitWatcher::watch(int pidfd, const std::string& key) {
  if (pidfd < 0) return;
  std::lock_guard lock(mu_);
  if (!epoll_) return;
  epoll_event ev{};
  // One-shot: an exited process stays readable; one call is all the sync needs.
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.fd = pidfd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd, &ev) == 0) keys_[pidfd] = key;
}

void ExitWatcher::unwatch(int pidfd) {
  std::lock_guard lock(mu_);
  if (!keys_.erase(pidfd) || !epoll_) return;
  // Fails only if pidfd was never added; either way it is no longer watched.
  (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, pidfd, nullptr);
}

void ExitWatcher::run() {
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    std::vector<std::string> exited;
    {
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_.get()) return;
        // A pidfd unwatched (and perhaps its number reused) after the event was queued maps to
        // another pod or none: a spurious sync is harmless.
        if (auto it = keys_.find(events[i].data.fd); it != keys_.end()) exited.push_back(it->second);
      }
    }
    for (const auto& key : exited) exited_(key);
  }
}

}  // namespace lab::node
