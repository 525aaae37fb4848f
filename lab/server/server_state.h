// The insides of HttpServer shared by http_server.cc (accepting, the pools, limits) and
// connection.cc (one connection's reads and writes): internal, it includes Asio.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "lab/server/connection.h"
#include "lab/server/http_server.h"

namespace lab::server {

// One accepted connection, as the server's bookkeeping sees it.
struct SessionBase : Connection, std::enable_shared_from_this<SessionBase> {
  explicit SessionBase(std::shared_ptr<HttpServer::State> st) : state(std::move(st)) {}
  std::shared_ptr<HttpServer::State> state;
  // I/O thread only:
  virtual void start() = 0;   // TLS handshake (if any), then the first request
  virtual void close() = 0;   // closes the socket; pending operations end
  virtual void resume() = 0;  // the handler returned: the next request (keep-alive) or close
  virtual void refuse() = 0;  // answers 429 and closes
  // The socket, for shutdown() by stop() and poll() by peer_closed(); -1 once closed.
  virtual int fd() const = 0;
  std::list<std::weak_ptr<SessionBase>>::iterator reading_pos;
  bool reading = false;  // in State::reading_list
};

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  ServerLimits limits;
  Handler handler;
  Gate gate;

  boost::asio::io_context ioc{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::thread io_thread;
  std::atomic<bool> io_stopped{false};
  std::vector<std::thread> workers;

  mutable std::mutex mu;
  std::condition_variable work;   // a job queued, or stopping
  std::condition_variable ended;  // a stream ended; or the I/O thread did
  struct Job {
    std::shared_ptr<SessionBase> session;
    Result<HttpRequest> req;
  };
  std::deque<Job> queue;
  std::set<std::shared_ptr<SessionBase>> active;  // a worker or stream thread is answering on them
  bool stopping = false, io_done = false;
  size_t busy = 0, streams = 0, reading_count = 0, closed_slow = 0, refused = 0;

  // I/O thread only: connections still sending (or idle), oldest first; every live connection.
  std::list<std::weak_ptr<SessionBase>> reading_list;
  std::list<std::weak_ptr<SessionBase>> sessions;
  size_t max_reading = 1024;
  std::vector<std::function<void()>> close_acceptors;

  void track_reading(const std::shared_ptr<SessionBase>& s);
  void done_reading(SessionBase& s, bool slow);
  void close_oldest_reader();
  // A whole (or broken) request: to a worker, or to a stream thread of its own, or 429.
  void dispatch(const std::shared_ptr<SessionBase>& s, Result<HttpRequest> req);
  void serve(SessionBase& s, const Result<HttpRequest>& req);
  void finish(const std::shared_ptr<SessionBase>& s);
  void worker();
  void close_all();
};

// A new connection on an accepted socket (connection.cc): plain over a Unix socket or TCP, or TLS.
std::shared_ptr<SessionBase> make_unix_session(const std::shared_ptr<HttpServer::State>& state, int fd);
std::shared_ptr<SessionBase> make_tcp_session(const std::shared_ptr<HttpServer::State>& state, int fd);
std::shared_ptr<SessionBase> make_tls_session(const std::shared_ptr<HttpServer::State>& state, int fd,
                                              const std::shared_ptr<TlsContext>& tls);

}  // namespace lab::server
