// The raw stream a handler takes over after a 101 of its own (connection.h's RawStream), on the
// connection's own stream (Unix, TCP or TLS): as the websocket's (websocket_session.h), one read
// in flight on the I/O thread for the whole session into a small bounded queue, and writes that
// the handler's thread has the I/O thread do. Internal to connection.cc.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "lab/server/server_state.h"
#include "lab/server/websocket_session.h"

namespace lab::server {

template <class Stream>
struct RawCore : std::enable_shared_from_this<RawCore<Stream>> {
  static constexpr size_t kQueued = 64;     // chunks read ahead of the handler
  static constexpr size_t kChunk = 16384;   // one read, at most

  RawCore(std::shared_ptr<SessionBase> session, Stream& s) : owner(std::move(session)), stream(s) {}

  std::shared_ptr<SessionBase> owner;
  Stream& stream;          // I/O thread only
  char incoming[kChunk];   // I/O thread only

  std::mutex mu;  // guards the rest
  std::condition_variable arrived;
  std::deque<std::string> queue;
  bool peer_gone = false, reading = false;
  std::mutex write_mu;  // one write at a time

  // I/O thread; paused while the handler has kQueued chunks unread.
  void read_loop() {
    {
      std::lock_guard lock(mu);
      if (reading || peer_gone || queue.size() >= kQueued) return;
      reading = true;
    }
    stream.async_read_some(boost::asio::buffer(incoming),
                           [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
                             {
                               std::lock_guard lock(self->mu);
                               self->reading = false;
                               if (ec) self->peer_gone = true;
                               else self->queue.emplace_back(self->incoming, n);
                               self->arrived.notify_all();
                             }
                             if (!ec) self->read_loop();
                           });
  }
};

template <class Stream>
class RawHandle final : public RawStream {
 public:
  explicit RawHandle(std::shared_ptr<RawCore<Stream>> core) : core_(std::move(core)) {}
  ~RawHandle() override { close(); }

  Result<void> write(std::string_view data) override {
    std::lock_guard lock(core_->write_mu);
    auto ec = run_on_io(*core_->owner->state, core_, [&](Done done) {
      boost::asio::async_write(core_->stream, boost::asio::const_buffer(data.data(), data.size()), std::move(done));
    });
    if (ec) return fail("write: " + ec.message(), ECONNRESET);
    return {};
  }

  Result<std::string> read(std::chrono::milliseconds within) override {
    const auto deadline = std::chrono::steady_clock::now() + within;
    std::unique_lock lock(core_->mu);
    for (;;) {
      if (!core_->queue.empty()) {
        std::string chunk = std::move(core_->queue.front());
        core_->queue.pop_front();
        if (!core_->reading && !core_->peer_gone)  // paused: read on
          boost::asio::post(core_->owner->state->ioc, [c = core_] { c->read_loop(); });
        return chunk;
      }
      if (core_->peer_gone || core_->owner->state->io_stopped) return fail("connection closed", ECONNRESET);
      if (within.count() > 0 && std::chrono::steady_clock::now() >= deadline) return fail("nothing arrived", ETIMEDOUT);
      core_->arrived.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  void close() override {
    {
      std::lock_guard lock(core_->mu);
      if (closed_) return;
      closed_ = true;
      core_->peer_gone = true;
      core_->queue.clear();
      core_->arrived.notify_all();
    }
    boost::asio::post(core_->owner->state->ioc, [owner = core_->owner] { owner->close(); });
  }

 private:
  std::shared_ptr<RawCore<Stream>> core_;
  bool closed_ = false;  // under core_->mu
};

}  // namespace lab::server
