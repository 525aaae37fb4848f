// The daemon's HTTP server on its Unix socket, shaped by what a slow or hostile client can do.
// One thread reads every request as it trickles in (poll over non-blocking sockets), with one
// deadline for the whole request, so a half-open connection costs a buffer, not a thread. Whole
// requests go to a fixed pool of workers; watches and logs, which last, get a thread each up to
// their own limit, so they never starve the pool. Past a limit a client gets kube-apiserver's 429
// ("Too many requests, please try again later."), and when too many connections are still
// sending, the oldest of them is closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "lab/base/result.h"
#include "lab/server/http.h"

namespace lab::server {

struct ServerLimits {
  size_t workers = 16;   // threads answering ordinary requests (kube-apiserver's max in flight)
  size_t queue = 256;    // whole requests waiting for a worker; more are answered 429
  size_t streams = 64;   // watches and log streams at once, a thread each; more are answered 429
  size_t reading = 1024; // connections still sending their request; then the oldest is closed
  // To send a whole request, head and body (Go's ReadHeaderTimeout, kube-apiserver's 32 s, shorter).
  std::chrono::milliseconds read_timeout{10000};
  // For an answer the client does not take (SO_SNDTIMEO on every send).
  std::chrono::milliseconds write_timeout{30000};
};

// Requests that last as long as the client stays: watches and pod logs (kube-apiserver's
// long-running check: the watch verb, the log subresource).
bool is_long_running(const HttpRequest& req);

class HttpServer {
 public:
  // Answers one request on fd (a blocking socket, closed by the server afterwards). A malformed
  // request comes as its error, to be answered 400 or 413.
  using Handler = std::function<void(int fd, const Result<HttpRequest>& req)>;

  HttpServer(ServerLimits limits, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Accepts on listen_fd and reads requests until stop_fd turns readable (left unread: it is the
  // caller's signalfd or eventfd).
  Result<void> run(int listen_fd, int stop_fd);
  // Shuts down the sockets of the requests in flight, joins the workers and waits up to `wait`
  // for the streams to end. Returns how many streams had not ended by then.
  size_t stop(std::chrono::milliseconds wait = std::chrono::seconds(5));

  struct Stats {
    size_t reading = 0;  // connections still sending their request
    size_t queued = 0;   // whole requests waiting for a worker
    size_t busy = 0;     // workers answering one
    size_t streams = 0;  // stream threads
    size_t closed_slow = 0;     // connections closed for missing the read deadline (or evicted)
    size_t refused = 0;         // requests answered 429
  };
  Stats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::vector<std::thread> workers_;
};

}  // namespace lab::server
