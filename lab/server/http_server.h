// The daemon's HTTP server, on Boost.Beast over Boost.Asio, shaped by what a slow or hostile
// client can do. One I/O thread accepts, does the TLS handshakes and reads every request as it
// trickles in (asynchronously), with one deadline for the whole request, so a half-open
// connection costs a buffer, not a thread. Whole requests go to a fixed pool of workers; watches,
// logs and websockets, which last, get a thread each up to their own limit, so they never starve
// the pool. Handlers answer through a Connection (connection.h); the I/O thread does the sending.
// Connections are kept alive between requests (HTTP/1.1). Past a limit a client gets
// kube-apiserver's 429 ("Too many requests, please try again later."), and when too many
// connections are still sending, the oldest of them is closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "lab/base/result.h"
#include "lab/server/connection.h"
#include "lab/server/http.h"
#include "lab/server/tls.h"

namespace lab::server {

struct ServerLimits {
  size_t workers = 16;   // threads answering ordinary requests (kube-apiserver's max in flight)
  size_t queue = 256;    // whole requests waiting for a worker; more are answered 429
  size_t streams = 64;   // watches, log streams and websockets at once, a thread each; more: 429
  size_t reading = 1024; // connections still sending their request (or idle); then the oldest is closed
  // To send a whole request, head and body (Go's ReadHeaderTimeout, kube-apiserver's 32 s,
  // shorter), and for a TLS handshake. A kept-alive connection's clock starts at its first byte.
  std::chrono::milliseconds read_timeout{10000};
  // For an answer the client does not take (each send).
  std::chrono::milliseconds write_timeout{30000};
  // A kept-alive connection with no request (kube-apiserver's IdleTimeout, 90 s).
  std::chrono::milliseconds idle_timeout{90000};
};

// Requests that last as long as the client stays: watches, pod logs (kube-apiserver's
// long-running check: the watch verb, the log subresource) and websocket upgrades (exec, attach).
bool is_long_running(const HttpRequest& req);

// A listening socket the server accepts on: a Unix socket (plain HTTP) or a TCP one (TLS with
// tls; plain HTTP without, as the DNS pods' metrics port).
struct Listener {
  int fd = -1;                          // owned by the caller; the server uses a duplicate
  std::shared_ptr<TlsContext> tls = {}; // set: TLS (TCP listeners only)
};

class HttpServer {
 public:
  // Answers one request. A malformed request comes as its error, to be answered 400 or 413.
  using Handler = std::function<void(Connection& conn, const Result<HttpRequest>& req)>;
  // Whether a (well-formed) request may go to the handler: nullopt, or the answer to give instead
  // (auth.h's 401/403). Runs on the worker or stream thread, before the handler.
  using Gate = std::function<std::optional<HttpResponse>(const HttpRequest& req)>;

  HttpServer(ServerLimits limits, Handler handler, Gate gate = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Accepts on the listeners and reads requests until stop_fd turns readable (left unread: it is
  // the caller's signalfd or eventfd). Then accepts no more and closes the connections that are
  // still sending; requests in flight go on until stop().
  Result<void> run(const std::vector<Listener>& listeners, int stop_fd);
  Result<void> run(int listen_fd, int stop_fd) { return run({Listener{listen_fd}}, stop_fd); }
  // Shuts down the sockets of the requests in flight, joins the workers and waits up to `wait`
  // for the streams to end. Returns how many streams had not ended by then.
  size_t stop(std::chrono::milliseconds wait = std::chrono::seconds(5));

  struct Stats {
    size_t reading = 0;  // connections still sending their request (or idle between requests)
    size_t queued = 0;   // whole requests waiting for a worker
    size_t busy = 0;     // workers answering one
    size_t streams = 0;  // stream threads
    size_t closed_slow = 0;     // connections closed for missing the read deadline (or evicted)
    size_t refused = 0;         // requests answered 429
  };
  Stats stats() const;

  struct State;  // shared with the connections and the stream threads (http_server.cc)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lab::server
