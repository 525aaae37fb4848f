// One connection of the daemon's HTTP server, over a Unix socket or TLS on TCP: its reads (on the
// I/O thread, with deadlines), the Connection a handler answers through (each call a job for the
// I/O thread that the handler's thread waits for), keep-alive, and the websocket upgrade.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <future>
#include <optional>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "lab/base/log.h"
#include "lab/server/beast_request.h"
#include "lab/server/server_state.h"
#include "lab/server/tls_internal.h"
#include "lab/server/raw_stream_session.h"
#include "lab/server/websocket_session.h"

namespace lab::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

using UnixStream = beast::basic_stream<net::local::stream_protocol>;
using TlsStream = net::ssl::stream<beast::tcp_stream>;
using TcpStream = beast::tcp_stream;

template <class Stream>
constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

const std::string& too_many_requests_body() {
  // kube-apiserver's answer when it is over its in-flight limit, as a Status (which lab's clients
  // expect) with the Retry-After that client-go honours.
  static const std::string body =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      "\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\","
      "\"details\":{\"retryAfterSeconds\":1},\"code\":429}";
  return body;
}

template <class Stream>
class Session final : public SessionBase {
 public:
  Session(std::shared_ptr<HttpServer::State> st, std::shared_ptr<TlsContext> tls, Stream stream)
      : SessionBase(std::move(st)), tls_(std::move(tls)), stream_(std::move(stream)), idle_(state->ioc) {}

  auto& lowest() { return beast::get_lowest_layer(stream_); }
  auto self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  // ---- I/O thread ----
  void start() override {
    state->track_reading(shared_from_this());
    // One deadline from the accept for the handshake and the whole first request.
    lowest().expires_after(state->limits.read_timeout);
    if constexpr (kTls<Stream>) {
      stream_.async_handshake(net::ssl::stream_base::server, [s = self()](beast::error_code ec) {
        if (ec) {
          s->state->done_reading(*s, ec == beast::error::timeout);
          s->close();
          return;
        }
        s->peer_ = tls_peer(s->stream_.native_handle());
        s->read_now();
      });
    } else {
      read_now();
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    idle_.cancel();
    beast::error_code ec;
    auto& sock = lowest().socket();
    sock.shutdown(net::socket_base::shutdown_both, ec);
    lowest().close();
    fd_.store(-1);
  }

  void resume() override {
    if (closed_ || upgraded_ || !keep_alive_ || !completed_ || stopping()) {
      close();
      return;
    }
    // The next request on this connection: first the wait for its first byte (idle), then the
    // read deadline for all of it.
    completed_ = false;
    streaming_ = false;
    ws_request_.reset();
    state->track_reading(shared_from_this());
    if (buffer_.size() > 0) {  // already here (pipelined)
      lowest().expires_after(state->limits.read_timeout);
      read_now();
      return;
    }
    idle_.expires_after(state->limits.idle_timeout);
    idle_.async_wait([s = self()](beast::error_code ec) {
      if (!ec) {
        beast::error_code ignored;
        s->lowest().socket().cancel(ignored);
      }
    });
    lowest().socket().async_wait(net::socket_base::wait_read, [s = self()](beast::error_code ec) {
      s->idle_.cancel();
      if (ec || s->closed_) {
        s->state->done_reading(*s, false);
        s->close();
        return;
      }
      s->lowest().expires_after(s->state->limits.read_timeout);
      s->read_now();
    });
  }

  void refuse() override {
    keep_alive_ = false;
    auto res = std::make_shared<http::response<http::string_body>>(http::status::too_many_requests, 11);
    res->set(http::field::content_type, "application/json");
    res->set(http::field::retry_after, "1");
    res->body() = too_many_requests_body();
    res->keep_alive(false);
    res->prepare_payload();
    lowest().expires_after(std::min<std::chrono::milliseconds>(state->limits.write_timeout, 5000ms));
    http::async_write(stream_, *res, [s = self(), res](beast::error_code, size_t) { s->close(); });
  }

  int fd() const override { return fd_.load(); }

  // ---- the handler's thread ----
  Result<void> send(const HttpResponse& resp) override {
    if (streaming_ || upgraded_) return fail("send: the response has begun");
    http::response<http::string_body> res;
    res.version(version_);
    res.result(static_cast<unsigned>(resp.status));
    res.set(http::field::content_type, resp.content_type);
    for (const auto& [name, value] : resp.headers) res.insert(name, value);  // several Warning headers stay several
    res.body() = resp.body;
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    auto ec = on_io([&](Done done) {
      lowest().expires_after(state->limits.write_timeout);
      http::async_write(stream_, res, std::move(done));
    });
    if (ec) return sent_failed(ec);
    completed_ = true;
    return {};
  }

  Result<void> start_stream(int status, const std::string& content_type) override {
    if (streaming_ || upgraded_) return fail("stream: the response has begun");
    http::response<http::empty_body> res;
    res.version(version_);
    res.result(static_cast<unsigned>(status));
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr(res);
    auto ec = on_io([&](Done done) {
      lowest().expires_after(state->limits.write_timeout);
      http::async_write_header(stream_, sr, std::move(done));
    });
    if (ec) return sent_failed(ec);
    streaming_ = true;
    return {};
  }

  Result<void> write_chunk(std::string_view data) override {
    if (!streaming_ || completed_) return fail("write_chunk: no stream");
    auto ec = on_io([&](Done done) {
      lowest().expires_after(state->limits.write_timeout);
      if (data.empty()) net::async_write(stream_, http::make_chunk_last(), std::move(done));
      else net::async_write(stream_, http::make_chunk(net::const_buffer(data.data(), data.size())), std::move(done));
    });
    if (ec) return sent_failed(ec);
    if (data.empty()) completed_ = true;
    return {};
  }

  bool peer_closed() override {
    const int fd = fd_.load();
    if (fd < 0) return true;
    pollfd p{fd, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
  }

  bool wants_websocket() const override { return ws_request_.has_value() && !upgraded_; }

  Result<std::unique_ptr<WebSocket>> accept_websocket(const std::string& protocol) override {
    if (!wants_websocket()) return fail("not a websocket request");
    if (streaming_ || completed_) return fail("websocket: a response was sent");
    auto ws = std::make_shared<WsCore<Stream>>(shared_from_this(), stream_, protocol);
    auto ec = on_io([&](Done done) {
      lowest().expires_never();  // the websocket's own timeouts from now on
      ws->accept(*ws_request_, std::move(done));
    });
    upgraded_ = true;  // whatever the outcome, this connection serves no more HTTP
    if (ec) return fail("websocket handshake: " + ec.message(), ECONNRESET);
    net::post(state->ioc, [ws] { ws->read_loop(); });
    return std::unique_ptr<WebSocket>(new WsHandle<Stream>(ws));
  }

  Result<std::unique_ptr<RawStream>> accept_upgrade(
      const std::vector<std::pair<std::string, std::string>>& headers) override {
    if (streaming_ || completed_ || upgraded_) return fail("upgrade: a response was sent");
    http::response<http::empty_body> res;
    res.version(version_);
    res.result(http::status::switching_protocols);
    for (const auto& [name, value] : headers) res.set(name, value);
    auto core = std::make_shared<RawCore<Stream>>(shared_from_this(), stream_);
    auto ec = on_io([&](Done done) {
      lowest().expires_never();  // the protocol's own liveness from now on
      // Bytes the client sent after its request (read ahead with it) are the new protocol's.
      if (buffer_.size() > 0) {
        std::lock_guard lock(core->mu);
        core->queue.push_back(beast::buffers_to_string(buffer_.data()));
        buffer_.consume(buffer_.size());
      }
      http::async_write(stream_, res, std::move(done));
    });
    upgraded_ = true;  // whatever the outcome, this connection serves no more HTTP
    if (ec) return fail("upgrade: " + ec.message(), ECONNRESET);
    net::post(state->ioc, [core] { core->read_loop(); });
    return std::unique_ptr<RawStream>(new RawHandle<Stream>(core));
  }

 private:
  bool stopping() {
    std::lock_guard lock(state->mu);
    return state->stopping;
  }

  Result<void> sent_failed(const beast::error_code& ec) {
    keep_alive_ = false;
    return fail("send: " + ec.message(), ECONNRESET);
  }

  template <class Start>
  beast::error_code on_io(Start start) { return run_on_io(*state, shared_from_this(), std::move(start)); }

  void read_now() {
    parser_.emplace();
    limit_parser(*parser_);
    http::async_read(stream_, buffer_, *parser_, [s = self()](beast::error_code ec, size_t) { s->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    const bool timed_out = ec == beast::error::timeout;
    state->done_reading(*this, timed_out);
    if (closed_ || timed_out || ec == net::error::operation_aborted) {
      close();
      return;
    }
    Result<HttpRequest> req = ec ? Result<HttpRequest>(std::unexpected(request_error(ec))) : to_http_request(parser_->get());
    if (!req && req.error().reason == Reason::None) {
      close();  // the peer went away: nothing to answer
      return;
    }
    keep_alive_ = false;
    if (req) {
      req->transport = kTls<Stream> ? "tls" : std::is_same_v<Stream, TcpStream> ? "tcp" : "unix";
      req->client_cn = peer_.cn;
      req->client_orgs = peer_.orgs;
      const auto& msg = parser_->get();
      version_ = msg.version();
      keep_alive_ = msg.keep_alive();
      if (beast::websocket::is_upgrade(msg)) ws_request_.emplace(parser_->release());
    }
    parser_.reset();
    state->dispatch(shared_from_this(), std::move(req));
  }

  std::shared_ptr<TlsContext> tls_;  // outlives the stream that uses its context
  Stream stream_;
  net::steady_timer idle_;
  beast::flat_buffer buffer_{kMaxHeaderBytes + 65536};
  std::optional<BeastParser> parser_;
  std::optional<BeastRequest> ws_request_;
  TlsPeer peer_;
  std::atomic<int> fd_{static_cast<int>(beast::get_lowest_layer(stream_).socket().native_handle())};
  unsigned version_ = 11;
  // Set by the handler's thread while the I/O thread waits for it, read by resume() after.
  bool keep_alive_ = false, completed_ = false, streaming_ = false, upgraded_ = false;
  bool closed_ = false;  // I/O thread
};

}  // namespace

std::shared_ptr<SessionBase> make_unix_session(const std::shared_ptr<HttpServer::State>& state, int fd) {
  net::local::stream_protocol::socket sock(state->ioc);
  sock.assign(net::local::stream_protocol(), fd);
  return std::make_shared<Session<UnixStream>>(state, nullptr, UnixStream(std::move(sock)));
}

std::shared_ptr<SessionBase> make_tcp_session(const std::shared_ptr<HttpServer::State>& state, int fd) {
  net::ip::tcp::socket sock(state->ioc);
  sock.assign(net::ip::tcp::v4(), fd);
  return std::make_shared<Session<TcpStream>>(state, nullptr, TcpStream(std::move(sock)));
}

std::shared_ptr<SessionBase> make_tls_session(const std::shared_ptr<HttpServer::State>& state, int fd,
                                              const std::shared_ptr<TlsContext>& tls) {
  net::ip::tcp::socket sock(state->ioc);
  sock.assign(net::ip::tcp::v4(), fd);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_shared<Session<TlsStream>>(state, tls, TlsStream(beast::tcp_stream(std::move(sock)), tls->ctx));
}

void send_or_log(Connection& conn, const HttpResponse& resp) {
  if (auto sent = conn.send(resp); !sent)
    log_line("api: the client left before its " + std::to_string(resp.status) + " answer: " + sent.error().what());
}

void end_stream_or_log(Connection& conn) {
  if (auto sent = conn.write_chunk(""); !sent) log_line("api: the client left before its stream ended: " + sent.error().what());
}

}  // namespace lab::server
