// The accepting, the worker pool, the stream threads and the limits of the daemon's HTTP server;
// one connection's reads and writes are connection.cc's.
#include "lab/server/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <future>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "lab/base/log.h"
#include "lab/base/thread_name.h"
#include "lab/server/server_state.h"

namespace lab::server {
namespace net = boost::asio;

bool is_long_running(const HttpRequest& req) {
  // kubectl before 1.30 asks for exec and attach as a POST upgrading to SPDY/3.1.
  if (req.method == "POST") {
    std::string upgrade = req.header("upgrade");
    for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return upgrade.find("spdy/") != std::string::npos;
  }
  if (req.method != "GET") return false;
  auto watch = req.query.find("watch");
  if (watch != req.query.end() && (watch->second == "true" || watch->second == "1")) return true;
  std::string upgrade = req.header("upgrade");
  for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (upgrade.find("websocket") != std::string::npos) return true;
  return req.path.ends_with("/log");
}

void HttpServer::State::track_reading(const std::shared_ptr<SessionBase>& s) {
  if (s->reading) return;
  while (reading_list.size() >= max_reading && !reading_list.empty()) close_oldest_reader();
  s->reading_pos = reading_list.insert(reading_list.end(), s);
  s->reading = true;
  std::lock_guard lock(mu);
  reading_count = reading_list.size();
}

void HttpServer::State::done_reading(SessionBase& s, bool slow) {
  if (!s.reading) return;
  reading_list.erase(s.reading_pos);
  s.reading = false;
  std::lock_guard lock(mu);
  reading_count = reading_list.size();
  if (slow) closed_slow++;
}

void HttpServer::State::close_oldest_reader() {
  auto oldest = reading_list.front().lock();
  if (!oldest) {
    reading_list.pop_front();
    return;
  }
  done_reading(*oldest, true);
  oldest->close();
}

void HttpServer::State::dispatch(const std::shared_ptr<SessionBase>& s, Result<HttpRequest> req) {
  const bool stream = req && is_long_running(*req);
  std::unique_lock lock(mu);
  if (stopping) {
    lock.unlock();
    s->close();
    return;
  }
  // Idle workers take queued requests at once: they do not count against the queue's limit.
  const size_t idle = workers.size() - std::min(workers.size(), busy);
  if (stream ? streams >= limits.streams : queue.size() >= limits.queue + idle) {
    refused++;
    lock.unlock();
    s->refuse();
    return;
  }
  if (!stream) {
    queue.push_back(Job{s, std::move(req)});
    work.notify_one();
    return;
  }
  streams++;
  active.insert(s);
  lock.unlock();
  std::thread([st = shared_from_this(), session = s, req = std::move(req)]() mutable {
    name_this_thread("api-stream");
    st->serve(*session, req);
    st->finish(session);
    session.reset();
    std::lock_guard done(st->mu);
    st->streams--;
    st->ended.notify_all();
  }).detach();
}

void HttpServer::State::serve(SessionBase& s, const Result<HttpRequest>& req) {
  try {
    if (req && gate)
      if (auto refusal = gate(*req)) {
        if (!s.send(*refusal)) log_line("api: the client left before its " + std::to_string(refusal->status));
        return;
      }
    handler(s, req);
  } catch (const std::exception& e) {
    // A handler that throws has nothing more to say; the connection closes.
    log_line(std::string("http: handler failed: ") + e.what());
  }
}

void HttpServer::State::finish(const std::shared_ptr<SessionBase>& s) {
  {
    std::lock_guard lock(mu);
    active.erase(s);
  }
  net::post(ioc, [s] { s->resume(); });
}

void HttpServer::State::worker() {
  for (;;) {
    std::unique_lock lock(mu);
    work.wait(lock, [&] { return stopping || !queue.empty(); });
    if (queue.empty()) return;  // stopping
    Job job = std::move(queue.front());
    queue.pop_front();
    active.insert(job.session);
    busy++;
    lock.unlock();
    serve(*job.session, job.req);
    finish(job.session);
    job.session.reset();
    std::lock_guard again(mu);
    busy--;
  }
}

void HttpServer::State::close_all() {
  for (auto& close : close_acceptors) close();
  close_acceptors.clear();
  while (!reading_list.empty()) close_oldest_reader();
  for (auto& w : sessions)
    if (auto s = w.lock()) s->close();
  sessions.clear();
}

namespace {

using State = HttpServer::State;

// Accepts on one listening socket (a duplicate of the caller's), as the I/O thread's loop: accept4
// with SOCK_CLOEXEC, so that no connection leaks into a process the daemon starts.
struct Acceptor : std::enable_shared_from_this<Acceptor> {
  // The listening socket is only waited on for readability here (the accepting is accept4's).
  Acceptor(State& st, int fd, std::shared_ptr<TlsContext> t, bool unix)
      : state(st), listen(st.ioc, fd), pause(st.ioc), tls(std::move(t)), unix_socket(unix) {}
  State& state;
  net::posix::stream_descriptor listen;
  net::steady_timer pause;
  std::shared_ptr<TlsContext> tls;
  bool unix_socket;

  void next() {
    listen.async_wait(net::posix::stream_descriptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->listen.is_open()) return;
      self->accept_some();
    });
  }
  void accept_some() {
    for (int i = 0; i < 64; ++i) {
      int fd = ::accept4(listen.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0 && errno == EINTR) continue;
      if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        // Out of fds: the oldest reader makes room, or accepting waits a moment (no busy loop).
        if (!state.reading_list.empty()) {
          state.close_oldest_reader();
          continue;
        }
        pause.expires_after(std::chrono::milliseconds(100));
        pause.async_wait([self = shared_from_this()](boost::system::error_code ec) {
          if (!ec) self->next();
        });
        return;
      }
      if (fd < 0) break;  // EAGAIN: none left; ECONNABORTED and the like: that one is gone
      auto session = tls           ? make_tls_session(state.shared_from_this(), fd, tls)
                     : unix_socket ? make_unix_session(state.shared_from_this(), fd)
                                   : make_tcp_session(state.shared_from_this(), fd);
      state.sessions.push_back(session);
      session->start();
    }
    // Forget the connections that are gone (cheap: done once per round of accepts).
    std::erase_if(state.sessions, [](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
    next();
  }
};

}  // namespace

HttpServer::HttpServer(ServerLimits limits, Handler handler, Gate gate) : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.limits = limits;
  s.handler = std::move(handler);
  s.gate = std::move(gate);
  // Half the fds this process may open, at most: the rest are the lab's (namespaces, pods, db).
  s.max_reading = std::max<size_t>(1, limits.reading);
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    s.max_reading = std::clamp<size_t>(rl.rlim_cur / 2, 1, s.max_reading);
  for (size_t i = 0; i < std::max<size_t>(1, limits.workers); ++i) {
    s.workers.emplace_back([st = state_] {
      name_this_thread("api-worker");
      st->worker();
    });
  }
  s.guard.emplace(s.ioc.get_executor());
  s.io_thread = std::thread([st = state_.get()] {
    name_this_thread("api-io");
    for (;;) {
      try {
        st->ioc.run();
        break;
      } catch (const std::exception& e) {
        log_line(std::string("http: ") + e.what());  // one connection's failure; the loop goes on
      }
    }
    std::lock_guard lock(st->mu);
    st->io_done = true;
    st->ended.notify_all();
  });
}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::run(const std::vector<Listener>& listeners, int stop_fd) {
  State& s = *state_;
  std::vector<std::shared_ptr<Acceptor>> acceptors;
  for (const auto& l : listeners) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return fail_errno("listener");
    const bool unix_socket = addr.ss_family == AF_UNIX;
    if (unix_socket && l.tls) return fail("TLS is served on TCP listeners only");
    int fd = ::fcntl(l.fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return fail_errno("listener: dup");
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      ::close(fd);
      return fail_errno("listener: non-blocking");
    }
    acceptors.push_back(std::make_shared<Acceptor>(s, fd, l.tls, unix_socket));
  }
  net::post(s.ioc, [&s, acceptors] {
    for (auto& a : acceptors) {
      s.close_acceptors.push_back([a] {
        boost::system::error_code ec;
        a->pause.cancel();
        a->listen.close(ec);
      });
      a->next();
    }
  });
  Result<void> result;
  for (;;) {
    pollfd p{stop_fd, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      result = fail_errno("poll");
    }
    break;
  }
  // No more accepting; the connections still sending are closed, as the old loop dropped them.
  std::promise<void> closed;
  net::post(s.ioc, [&s, &closed] {
    for (auto& close : s.close_acceptors) close();
    s.close_acceptors.clear();
    while (!s.reading_list.empty()) s.close_oldest_reader();
    closed.set_value();
  });
  auto done = closed.get_future();
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (s.io_stopped) break;
  std::lock_guard lock(s.mu);
  s.reading_count = 0;
  return result;
}

size_t HttpServer::stop(std::chrono::milliseconds wait) {
  State& s = *state_;
  std::deque<State::Job> dropped;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
    dropped.swap(s.queue);  // not started: closed unanswered
    for (const auto& session : s.active)
      if (int fd = session->fd(); fd >= 0) ::shutdown(fd, SHUT_RDWR);  // blocked sends and reads end now
    s.work.notify_all();
  }
  for (auto& job : dropped) net::post(s.ioc, [session = job.session] { session->close(); });
  dropped.clear();
  for (auto& t : s.workers)
    if (t.joinable()) t.join();
  s.workers.clear();
  std::unique_lock lock(s.mu);
  s.ended.wait_for(lock, wait, [&] { return s.streams == 0; });
  const size_t left = s.streams;
  if (s.io_thread.joinable()) {
    // The I/O thread last: it closes what is left and ends when nothing is pending; a stream
    // that outlived the wait finds it stopped (its sends fail) rather than waiting for ever.
    lock.unlock();
    net::post(s.ioc, [st = state_.get()] { st->close_all(); });
    s.guard.reset();
    lock.lock();
    if (!s.ended.wait_for(lock, std::chrono::seconds(1), [&] { return s.io_done; })) s.ioc.stop();
    lock.unlock();
    s.io_thread.join();
    s.io_stopped = true;
  }
  return left;
}

HttpServer::Stats HttpServer::stats() const {
  std::lock_guard lock(state_->mu);
  return {state_->reading_count, state_->queue.size(), state_->busy, state_->streams, state_->closed_slow,
          state_->refused};
}

}  // namespace lab::server
