// The websocket a handler accepts (connection.h's WebSocket) on Beast's websocket::stream, over
// the connection's own stream (Unix or TLS); and run_on_io, how a handler's thread has the I/O
// thread do one asynchronous operation and waits for it. Internal to connection.cc.
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "lab/server/beast_request.h"
#include "lab/server/server_state.h"

namespace lab::server {

// The completion of one operation, for the thread waiting in run_on_io.
struct Done {
  std::shared_ptr<std::promise<boost::beast::error_code>> promise;
  void operator()(boost::beast::error_code ec, std::size_t = 0) { promise->set_value(ec); }
};

// Has the I/O thread start an operation (start(Done)) and waits for its completion. keep holds
// what the operation works on. A server whose I/O thread has stopped fails it at once.
template <class Start>
boost::beast::error_code run_on_io(HttpServer::State& st, std::shared_ptr<void> keep, Start start) {
  auto promise = std::make_shared<std::promise<boost::beast::error_code>>();
  auto done = promise->get_future();
  boost::asio::post(st.ioc, [keep = std::move(keep), promise, &start] { start(Done{promise}); });
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (st.io_stopped) return boost::asio::error::operation_aborted;
  return done.get();
}

// The websocket's state, kept alive by the handle and by the operation in flight.
template <class Stream>
struct WsCore : std::enable_shared_from_this<WsCore<Stream>> {
  static constexpr size_t kQueued = 64;            // messages read ahead of the handler
  static constexpr size_t kMaxMessage = 4 << 20;   // one message from the peer, at most

  WsCore(std::shared_ptr<SessionBase> session, Stream& stream, std::string proto)
      : owner(std::move(session)), ws(stream), protocol(std::move(proto)) {}

  std::shared_ptr<SessionBase> owner;
  boost::beast::websocket::stream<Stream&> ws;  // I/O thread only
  std::string protocol;
  boost::beast::flat_buffer incoming;  // I/O thread only

  std::mutex mu;  // guards the rest
  std::condition_variable arrived;
  std::deque<std::string> queue;
  bool peer_gone = false, reading = false;
  std::mutex write_mu;  // one write (or close) at a time, as Beast requires

  // I/O thread.
  void accept(const BeastRequest& req, Done done) {
    namespace websocket = boost::beast::websocket;
    ws.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator([p = protocol](websocket::response_type& r) {
      if (!p.empty()) r.set(boost::beast::http::field::sec_websocket_protocol, p);
    }));
    ws.read_message_max(kMaxMessage);
    ws.binary(true);
    ws.async_accept(req, std::move(done));
  }

  // I/O thread: one read in flight for as long as the session lasts, so that pings are answered
  // (Beast answers them within a read) and a close from the peer is seen; paused while the
  // handler has kQueued messages unread.
  void read_loop() {
    {
      std::lock_guard lock(mu);
      if (reading || peer_gone || queue.size() >= kQueued) return;
      reading = true;
    }
    ws.async_read(incoming, [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
      {
        std::lock_guard lock(self->mu);
        self->reading = false;
        if (ec) {
          self->peer_gone = true;
        } else {
          self->queue.push_back(boost::beast::buffers_to_string(self->incoming.data()));
          self->incoming.consume(self->incoming.size());
        }
        self->arrived.notify_all();
      }
      if (!ec) self->read_loop();
    });
  }
};

template <class Stream>
class WsHandle final : public WebSocket {
 public:
  explicit WsHandle(std::shared_ptr<WsCore<Stream>> core) : core_(std::move(core)) {}
  const std::string& protocol() const override { return core_->protocol; }

  Result<void> write(std::string_view data) override {
    std::lock_guard lock(core_->write_mu);
    auto ec = run_on_io(*core_->owner->state, core_, [&](Done done) {
      core_->ws.binary(true);
      core_->ws.async_write(boost::asio::const_buffer(data.data(), data.size()), std::move(done));
    });
    if (ec) return fail("websocket write: " + ec.message(), ECONNRESET);
    return {};
  }

  Result<std::string> read() override {
    std::unique_lock lock(core_->mu);
    for (;;) {
      if (!core_->queue.empty()) {
        std::string msg = std::move(core_->queue.front());
        core_->queue.pop_front();
        if (!core_->reading && !core_->peer_gone)  // paused: read on
          boost::asio::post(core_->owner->state->ioc, [c = core_] { c->read_loop(); });
        return msg;
      }
      if (core_->peer_gone || core_->owner->state->io_stopped) return fail("websocket closed", ECONNRESET);
      core_->arrived.wait_for(lock, std::chrono::milliseconds(200));
    }
  }

  Result<void> close(uint16_t code) override {
    std::lock_guard lock(core_->write_mu);
    auto ec = run_on_io(*core_->owner->state, core_, [&](Done done) {
      core_->ws.async_close(boost::beast::websocket::close_reason(code), std::move(done));
    });
    if (ec && ec != boost::beast::websocket::error::closed) return fail("websocket close: " + ec.message(), ECONNRESET);
    return {};
  }

 private:
  std::shared_ptr<WsCore<Stream>> core_;
};

}  // namespace lab::server
