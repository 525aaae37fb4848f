// `kubectl exec` / `attach` / `run -i` over SPDY/3.1, as kubectl before 1.30 speaks them (and
// later ones when websockets are refused): the kubelet's httpstream remotecommand server.
//
// The request is a POST with `Upgrade: SPDY/3.1` and the versions the client speaks in
// X-Stream-Protocol-Version; the answer a 101 naming `v4.channel.k8s.io`. Then the client opens
// one SPDY stream per channel, its header `streamType` saying which (error, stdin, stdout,
// stderr, resize: only those the query asked for, resize with a tty), and the server replies to
// each. stdout/stderr bytes go as data on their streams; stdin comes as data (FIN: its end);
// resize carries `{"Width":..,"Height":..}` lines. The end: the v4 Status JSON on the error
// stream (remote_command.h's status_message), FIN on every stream, the connection closed.
//
// The process side is remote_command.h's (the same attach.h frames, the same translation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/base/result.h"
#include "lab/server/connection.h"
#include "lab/server/http.h"
#include "lab/server/remote_command.h"
#include "lab/server/spdy.h"

namespace lab::server {

// Whether the request asks to upgrade to SPDY/3.1.
bool wants_spdy(const HttpRequest& req);
// The stream protocol to answer from the client's X-Stream-Protocol-Version (its values joined
// with ", "): v4, the one spoken here; "" when the client does not offer it.
std::string pick_stream_protocol(std::string_view offered);
// The 101's headers, as the kubelet's (httpstream.Handshake and spdy's upgrader) sends them.
std::vector<std::pair<std::string, std::string>> spdy_upgrade_headers(const std::string& protocol);

enum class StreamKind { Error, Stdin, Stdout, Stderr, Resize };
// The stream a SYN_STREAM opens, from its streamType header; an error naming an unknown one.
Result<StreamKind> stream_kind(const spdy::Headers& headers);
// How many streams the client opens for the request, as the kubelet counts them: the error
// stream, one per requested stdio stream, and resize with a tty.
size_t expected_streams(const RemoteCommand& rc);

// The client's side of a session: what each of its frames means for the process side and what
// to answer. Pure, so that the unit tests reach every case; relay_spdy_session drives it.
class SpdyClientFrames {
 public:
  explicit SpdyClientFrames(const RemoteCommand& rc) : rc_(rc), expected_(expected_streams(rc)) {}

  struct Outcome {
    std::vector<spdy::Frame> replies;  // to the client (SYN_REPLY, PING, RST_STREAM)
    std::string to_process;           // attach.h frames for the process side
    bool end = false;                 // the client is done with the session (GOAWAY)
  };
  // One frame from the client; an error ends the session (a protocol error, a stream type
  // that is not the protocol's, a resize that is not a size).
  Result<Outcome> handle(const spdy::Frame& frame);

  // Whether every stream the request needs has been opened.
  bool ready() const { return opened_ >= expected_; }
  // The stream id of each kind, 0 while not opened.
  uint32_t id(StreamKind kind) const { return ids_[static_cast<size_t>(kind)]; }

 private:
  RemoteCommand rc_;
  size_t expected_;
  size_t opened_ = 0;
  uint32_t ids_[5] = {};
  uint32_t last_id_ = 0;
  std::string resize_buffer_;
  bool stdin_closed_ = false;
};

// The data frames that end a session: the status on the error stream, then FIN on every stream
// the client opened.
std::vector<spdy::Frame> closing_frames(const SpdyClientFrames& streams, const std::string& status);

// Relays between an upgraded connection (after its 101) and the process side's frames on sock:
// waits for the client's streams (30 s, as the kubelet's stream creation timeout), then relays
// until the process side sends its status or either side goes away. Bad input ends the session
// with a log line.
void relay_spdy_session(RawStream& raw, int sock, const RemoteCommand& rc);

}  // namespace lab::server
