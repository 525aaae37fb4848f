// The accept-and-read loop, the worker pool and the stream threads of the daemon's HTTP server.
#include "lab/server/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <set>
#include <string>

#include "lab/base/unique_fd.h"

namespace lab::server {
namespace {

using Clock = std::chrono::steady_clock;

// kube-apiserver's answer when it is over its in-flight limit, as a Status (which lab's clients
// expect) with the Retry-After that client-go honours.
const std::string& too_many_requests() {
  static const std::string body =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      "\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\","
      "\"details\":{\"retryAfterSeconds\":1},\"code\":429}";
  static const std::string response =
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  return response;
}

// A connection still sending its request.
struct Reading {
  UniqueFd fd;
  MessageReader reader{true};
  Clock::time_point deadline;
};

struct Job {
  UniqueFd fd;
  Result<HttpRequest> req;
};

bool set_blocking(int fd, std::chrono::milliseconds write_timeout) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) return false;
  timeval tv{static_cast<time_t>(write_timeout.count() / 1000),
             static_cast<suseconds_t>(write_timeout.count() % 1000 * 1000)};
  return ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
}

}  // namespace

bool is_long_running(const HttpRequest& req) {
  if (req.method != "GET") return false;
  auto watch = req.query.find("watch");
  if (watch != req.query.end() && (watch->second == "true" || watch->second == "1")) return true;
  return req.path.ends_with("/log");
}

// Shared with the stream threads, which may outlive a stop() that stopped waiting for them.
struct HttpServer::State {
  ServerLimits limits;
  Handler handler;
  mutable std::mutex mu;
  std::condition_variable work;   // a job queued, or stopping
  std::condition_variable ended;  // a stream ended
  std::deque<Job> queue;
  std::set<int> active;  // fds a worker or a stream is answering on; shut down by stop()
  bool stopping = false;
  size_t busy = 0, streams = 0, reading = 0, closed_slow = 0, refused = 0;

  // The owner of an answered connection closes it under the lock, so that stop() never shuts
  // down an fd number that has been reused meanwhile.
  void finish(UniqueFd& fd) {
    std::lock_guard lock(mu);
    active.erase(fd.get());
    fd.reset();
  }

  void worker() {
    for (;;) {
      std::unique_lock lock(mu);
      work.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping
      Job job = std::move(queue.front());
      queue.pop_front();
      active.insert(job.fd.get());
      busy++;
      lock.unlock();
      handler(job.fd.get(), job.req);
      finish(job.fd);
      std::lock_guard again(mu);
      busy--;
    }
  }
};

HttpServer::HttpServer(ServerLimits limits, Handler handler) : state_(std::make_shared<State>()) {
  state_->limits = limits;
  state_->handler = std::move(handler);
  for (size_t i = 0; i < std::max<size_t>(1, limits.workers); ++i)
    workers_.emplace_back([s = state_] { s->worker(); });
}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::run(int listen_fd, int stop_fd) {
  State& s = *state_;
  int flags = ::fcntl(listen_fd, F_GETFL);
  if (flags < 0 || ::fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) return fail_errno("listener: non-blocking");
  // Half the fds this process may open, at most: the rest are the lab's (namespaces, pods, db).
  size_t max_reading = std::max<size_t>(1, s.limits.reading);
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    max_reading = std::clamp<size_t>(rl.rlim_cur / 2, 1, max_reading);

  const size_t workers_count = workers_.size();
  std::list<Reading> reading;  // in accept order, which is deadline order
  auto close_reading = [&](std::list<Reading>::iterator it, bool slow) {
    reading.erase(it);
    std::lock_guard lock(s.mu);
    s.reading = reading.size();
    if (slow) s.closed_slow++;
  };
  auto refuse = [&](UniqueFd& fd) {
    // Still non-blocking: a client that does not read gets nothing rather than a stuck loop.
    const std::string& answer = too_many_requests();
    (void)::send(fd.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    std::lock_guard lock(s.mu);
    s.refused++;
  };
  // A whole (or broken) request: to a worker, or to a stream thread of its own.
  auto dispatch = [&](std::list<Reading>::iterator it) {
    Reading conn = std::move(*it);
    close_reading(it, false);
    auto msg = conn.reader.take();
    if (!msg && msg.error().reason == Reason::None) return;  // nothing to answer
    Result<HttpRequest> req = parse_request(std::move(msg));
    const bool stream = req && is_long_running(*req);
    std::unique_lock lock(s.mu);
    if (s.stopping) return;
    // Idle workers take queued requests at once: they do not count against the queue's limit.
    const size_t idle = workers_count - std::min(workers_count, s.busy);
    if (stream ? s.streams >= s.limits.streams : s.queue.size() >= s.limits.queue + idle) {
      lock.unlock();
      refuse(conn.fd);
      return;
    }
    if (!set_blocking(conn.fd.get(), s.limits.write_timeout)) return;
    if (!stream) {
      s.queue.push_back(Job{std::move(conn.fd), std::move(req)});
      s.work.notify_one();
      return;
    }
    s.streams++;
    s.active.insert(conn.fd.get());
    lock.unlock();
    std::thread([st = state_, fd = std::move(conn.fd), req = std::move(req)]() mutable {
      st->handler(fd.get(), req);
      st->finish(fd);
      std::lock_guard done(st->mu);
      st->streams--;
      st->ended.notify_all();
    }).detach();
  };

  std::vector<pollfd> fds;
  std::vector<std::list<Reading>::iterator> polled;
  Clock::time_point accept_paused_until{};
  for (;;) {
    const auto now = Clock::now();
    fds.clear();
    polled.clear();
    fds.push_back({stop_fd, POLLIN, 0});
    const bool accepting = now >= accept_paused_until;
    fds.push_back({accepting ? listen_fd : -1, POLLIN, 0});
    for (auto it = reading.begin(); it != reading.end(); ++it) {
      fds.push_back({it->fd.get(), POLLIN, 0});
      polled.push_back(it);
    }
    Clock::time_point wake = Clock::time_point::max();
    if (!reading.empty()) wake = reading.front().deadline;
    if (!accepting) wake = std::min(wake, accept_paused_until);
    int timeout = -1;
    if (wake != Clock::time_point::max())
      timeout = static_cast<int>(std::clamp<int64_t>(
          std::chrono::ceil<std::chrono::milliseconds>(wake - now).count(), 0, 60000));
    if (::poll(fds.data(), fds.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll");
    }
    if (fds[0].revents) break;

    // What the readers sent. A request that is whole (or broken, or cut short) leaves the list.
    char buf[16384];
    for (size_t i = 0; i < polled.size(); ++i) {
      if (!fds[i + 2].revents) continue;
      auto it = polled[i];
      for (int round = 0; round < 4; ++round) {  // a fast sender does not hold up the others
        ssize_t n = ::recv(it->fd.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) {
          close_reading(it, false);
          break;
        }
        if (n == 0 ? it->reader.end() : it->reader.add(buf, static_cast<size_t>(n))) {
          dispatch(it);
          break;
        }
      }
    }
    // Past the deadline: closed, as Go's server does on its read timeout.
    for (const auto later = Clock::now(); !reading.empty() && reading.front().deadline <= later;)
      close_reading(reading.begin(), true);

    if (!accepting || !(fds[1].revents & POLLIN)) continue;
    for (int i = 0; i < 64; ++i) {
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0 && errno == EINTR) continue;
      if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        // Out of fds: the oldest reader makes room, or accepting waits a moment (no busy loop).
        if (!reading.empty()) {
          close_reading(reading.begin(), true);
          continue;
        }
        accept_paused_until = Clock::now() + std::chrono::milliseconds(100);
        break;
      }
      if (fd < 0) break;  // EAGAIN: none left; ECONNABORTED and the like: that one is gone
      if (reading.size() >= max_reading) close_reading(reading.begin(), true);
      reading.push_back(Reading{UniqueFd(fd), MessageReader(true), Clock::now() + s.limits.read_timeout});
      std::lock_guard lock(s.mu);
      s.reading = reading.size();
    }
  }
  std::lock_guard lock(s.mu);
  s.reading = 0;
  return {};
}

size_t HttpServer::stop(std::chrono::milliseconds wait) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
    s.queue.clear();  // not started: closed unanswered
    for (int fd : s.active) ::shutdown(fd, SHUT_RDWR);  // blocked sends and reads return now
    s.work.notify_all();
  }
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  std::unique_lock lock(s.mu);
  s.ended.wait_for(lock, wait, [&] { return s.streams == 0; });
  return s.streams;
}

HttpServer::Stats HttpServer::stats() const {
  std::lock_guard lock(state_->mu);
  return {state_->reading, state_->queue.size(), state_->busy, state_->streams, state_->closed_slow,
          state_->refused};
}

}  // namespace lab::server
