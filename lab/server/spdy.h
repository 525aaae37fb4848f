// SPDY/3.1 framing (the protocol kubectl before 1.30 speaks for exec and attach, through the
// moby/spdystream library): frames to bytes and back, and the header blocks' compression. Pure:
// no sockets; remote_command_spdy.h drives it on a connection.
//
// A frame is 8 bytes of head and a payload. A control frame's head: bit 1, version (3), type,
// flags, 24-bit length; a data frame's: bit 0, 31-bit stream id, flags, 24-bit length. Header
// blocks (SYN_STREAM, SYN_REPLY, HEADERS) are zlib-compressed with SPDY/3's dictionary, one zlib
// stream per direction for the whole connection (each block ends with a sync flush), so the
// compressor and the decompressor live as long as the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/base/result.h"

namespace lab::server::spdy {

enum class Type : uint16_t {
  Data = 0,  // not a control frame
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
};

inline constexpr uint8_t kFlagFin = 0x01;             // data and SYN_STREAM/SYN_REPLY/HEADERS
inline constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM

// RST_STREAM statuses (spdystream's RstStreamStatus).
inline constexpr uint32_t kProtocolError = 1;
inline constexpr uint32_t kRefusedStream = 3;
inline constexpr uint32_t kCancel = 5;
inline constexpr uint32_t kInternalError = 6;
// GOAWAY statuses.
inline constexpr uint32_t kGoAwayOk = 0;
inline constexpr uint32_t kGoAwayProtocolError = 1;

// Limits on what a peer may send: a control frame's payload, a header block once decompressed,
// a data frame's payload (spdystream writes what one Write got, client-go's copies 32 KiB).
inline constexpr size_t kMaxControlPayload = 64 << 10;
inline constexpr size_t kMaxHeaderBlock = 64 << 10;
inline constexpr size_t kMaxDataPayload = 1 << 20;

// Names lower-case, in order; a value with several parts keeps its NUL separators.
using Headers = std::vector<std::pair<std::string, std::string>>;
// The value of a header (name compared case-insensitively), "" when absent.
std::string header_value(const Headers& headers, std::string_view name);

struct Frame {
  Type type = Type::Data;
  uint8_t flags = 0;
  uint32_t stream_id = 0;      // data, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE; GOAWAY's last good
  uint32_t associated_id = 0;  // SYN_STREAM
  uint8_t priority = 0;        // SYN_STREAM, 0-7
  uint32_t value = 0;          // RST_STREAM/GOAWAY status, PING id, WINDOW_UPDATE delta
  Headers headers;             // SYN_STREAM, SYN_REPLY, HEADERS
  std::string data;            // data frames; SETTINGS' raw entries (which are not acted on)
  bool fin() const { return (flags & kFlagFin) != 0; }
};

// A data frame on a stream (kFlagFin: the sender's last), and a control frame with its one value
// (RST_STREAM's and GOAWAY's status, PING's id).
Frame data_frame(uint32_t stream_id, std::string data, uint8_t flags = 0);
Frame control_frame(Type type, uint32_t stream_id, uint32_t value = 0);

// Compresses header blocks, one zlib stream for the connection's one direction.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;
  Result<std::string> compress(const Headers& headers);

 private:
  struct Z;
  std::unique_ptr<Z> z_;
};

// Decompresses them; an error (a block that is not zlib, or too big) spoils the stream for good,
// as it does the connection.
class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;
  Result<Headers> decompress(std::string_view block);

 private:
  struct Z;
  std::unique_ptr<Z> z_;
};

// The uncompressed form of a header block: count, then length-prefixed names and values.
std::string encode_header_block(const Headers& headers);
Result<Headers> decode_header_block(std::string_view block);

// Frames to bytes, compressing header blocks with the sender's compressor.
class Encoder {
 public:
  Result<std::string> encode(const Frame& frame);

 private:
  HeaderCompressor compressor_;
};

// A server's checks of its client's frames. A stream the client opens has an odd id above the
// last one it opened (spdystream's validateStreamId): last is advanced, or the error (the
// connection is beyond repair). A client's PING (odd id) is answered with itself; the server
// sends none, so there is no other kind to get back.
Result<void> accept_client_stream_id(uint32_t id, uint32_t& last);
std::optional<Frame> ping_reply(const Frame& ping);

// Sends frames on a connection from any thread: the header compressor's state is the
// connection's, so encoding and writing go together, under one lock.
class FrameWriter {
 public:
  explicit FrameWriter(std::function<Result<void>(std::string_view)> write) : write_(std::move(write)) {}
  // Whether every frame was encoded and written (false once the peer is gone).
  Result<void> send(const std::vector<Frame>& frames);

 private:
  std::mutex mu_;
  Encoder encoder_;
  std::function<Result<void>(std::string_view)> write_;
};

// Bytes to frames. feed() the bytes as they come; next() gives each whole frame, nullopt while
// one is incomplete, an error for bytes that are not SPDY/3.1 (after which it gives that error
// again: the connection is beyond repair).
class Decoder {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  Result<std::optional<Frame>> next();

 private:
  std::string buffer_;
  size_t offset_ = 0;
  std::optional<Error> failed_;
  HeaderDecompressor decompressor_;
};

}  // namespace lab::server::spdy
