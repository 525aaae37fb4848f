// What a request handler gets instead of a socket: one connection of the daemon's HTTP server
// (Unix socket or TLS), with the few things a handler does on it. Each call blocks the handler's
// thread (a worker or a stream thread) until the bytes are sent or the write deadline passes; the
// server's one I/O thread does the sending, so a handler never touches the socket itself.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/base/result.h"
#include "lab/server/http.h"

namespace lab::server {

// A websocket a handler accepted (RFC 6455; exec and attach speak over it). Messages are binary
// frames; pings are answered by the server whether or not the handler is reading; a close from the
// peer ends read(). The peer's frames are read all along into a small bounded queue.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // The subprotocol agreed on (Sec-WebSocket-Protocol), "" when none.
  virtual const std::string& protocol() const = 0;
  // Sends one binary message. Safe from any thread (writes are serialized).
  virtual Result<void> write(std::string_view data) = 0;
  // The next message from the peer; an Error with code ECONNRESET once the peer closed (or the
  // connection broke) and nothing is left to read.
  virtual Result<std::string> read() = 0;
  // Sends a close frame with the code (1000: normal closure) and waits for the peer's.
  virtual Result<void> close(uint16_t code = 1000) = 0;
};

// The raw byte stream of a connection a handler upgraded to a protocol of its own (SPDY/3.1 for
// kubectl before 1.30's exec and attach). The peer's bytes are read all along into a small
// bounded queue, as the websocket's are.
class RawStream {
 public:
  virtual ~RawStream() = default;
  // Sends the bytes. Safe from any thread (writes are serialized).
  virtual Result<void> write(std::string_view data) = 0;
  // The next bytes from the peer: an Error with code ECONNRESET once the peer closed (or the
  // connection broke, or close() was called) and nothing is left; ETIMEDOUT when nothing came
  // within `within` (0: wait as long as it takes).
  virtual Result<std::string> read(std::chrono::milliseconds within = std::chrono::milliseconds(0)) = 0;
  // Closes the connection; a read() waiting ends.
  virtual void close() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // A whole response (Content-Length). After it the connection may serve the client's next
  // request (keep-alive) once the handler returns.
  virtual Result<void> send(const HttpResponse& resp) = 0;
  // A streamed response (watch, log?follow): the head, with chunked encoding...
  virtual Result<void> start_stream(int status, const std::string& content_type) = 0;
  // ...then one chunk per call, flushed at once; empty data ends the stream.
  virtual Result<void> write_chunk(std::string_view data) = 0;
  // Whether the client has gone away (a watch that only writes has nothing else to notice it by).
  virtual bool peer_closed() = 0;
  // Whether the request asked for a websocket (Upgrade: websocket) and none was accepted yet.
  virtual bool wants_websocket() const = 0;
  // Answers 101 with the subprotocol given (one the client offered, or "" for none) and hands
  // over the websocket; the connection is the websocket's from then on.
  virtual Result<std::unique_ptr<WebSocket>> accept_websocket(const std::string& protocol) = 0;
  // Answers 101 Switching Protocols with the headers given (Connection and Upgrade among them)
  // and hands over the raw stream; the connection is the stream's from then on.
  virtual Result<std::unique_ptr<RawStream>> accept_upgrade(
      const std::vector<std::pair<std::string, std::string>>& headers) = 0;
};

// A whole response, or a stream's end, for a handler with nothing left to do if the client has
// gone: that is logged (a client may leave; the daemon goes on), never an error of the handler's.
void send_or_log(Connection& conn, const HttpResponse& resp);
void end_stream_or_log(Connection& conn);

}  // namespace lab::server
