// Attaching to a container's stdio (`lab attach`, `lab run -i`), as conmon serves it: the pod
// init keeps each container's pty master (tty) or stdin pipe and output, and serves a Unix
// socket per container in the pod's state dir (<container>.attach, root-only, mode 0600);
// attached clients get the output and feed stdin. Messages on the socket are frames: one byte
// of channel (the channels of Kubernetes' remotecommand protocol), a 4-byte big-endian length
// and the payload.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "runtime/pty.h"

namespace lab::runtime {

enum class Channel : uint8_t {
  Stdin = 0,        // client -> pod init: bytes for the container's stdin
  Stdout = 1,       // pod init -> client
  Stderr = 2,       // pod init -> client
  Status = 3,       // pod init -> client, last frame: "exit N" or "error MESSAGE"
  Resize = 4,       // client -> pod init: the terminal's size (encode_resize)
  Hello = 5,        // client -> pod init, first frame: flags (kHelloStdin)
  CloseStdin = 255  // client -> pod init: the client's stdin ended
};
inline constexpr uint8_t kHelloStdin = 1;
inline constexpr size_t kMaxFramePayload = 1 << 20;

std::string encode_frame(Channel channel, std::string_view payload);
std::string encode_resize(WindowSize size);
std::optional<WindowSize> decode_resize(std::string_view payload);

struct Frame {
  Channel channel;
  std::string payload;
};

// Splits a byte stream into frames; a frame longer than kMaxFramePayload is an error, and so
// is everything after it.
class FrameDecoder {
 public:
  void feed(std::string_view data) { buffer_.append(data); }
  // The next whole frame, if one has arrived.
  std::optional<Frame> next();
  bool failed() const { return failed_; }
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  bool failed_ = false;
};

// What a Status frame says: the container's exit code, or why there is none.
struct AttachStatus {
  std::optional<int> exit_code;
  std::string error;
};
std::string encode_status(const AttachStatus& s);
AttachStatus decode_status(std::string_view payload);

// ---- The pod init's side: one process, single-threaded, poll()-driven. ----

// Binds <state_dir>/<container>.attach (mode 0600). stdin_once: the container's stdin closes
// when the first client that attached it detaches, and that first client gets the output
// written before it came (up to 64 KiB), so `run -i` misses nothing of a quick command.
Result<void> attach_listen(const std::string& state_dir, const std::string& container, bool stdin_once);
// The descriptors to poll, and the handling of what poll() found on them (same order).
std::vector<pollfd> attach_pollfds();
void attach_handle(std::span<const pollfd> ready);
// Output of a container, for its attached clients.
void attach_publish(const std::string& container, Channel stream, std::string_view data);
void attach_started(const std::string& container);
// The container's process ended; final: it will not be started again (restartPolicy).
void attach_exited(const std::string& container, int exit_code, bool final);

// ---- The CLI's side. ----

struct AttachOptions {
  bool stdin = false;  // the caller's stdin goes to the container
  bool tty = false;    // raw terminal, window size passed through, no stderr
  // Called once the session is up (the pod init answered), before any output.
  std::function<void()> on_attached;
};
// Connects to a container's attach socket and sends the hello (with stdin or not): the
// socket then carries the session's frames (the daemon's `kubectl attach` relays them).
Result<UniqueFd> attach_connect(const std::string& state_dir, const std::string& container, bool stdin);
// Attaches the caller's stdin/stdout/stderr to the container until it exits or the socket
// closes. Returns the container's final status (its exit code when it ended during the
// session or had already ended).
Result<AttachStatus> attach_session(const std::string& state_dir, const std::string& container,
                                    const AttachOptions& opts);

}  // namespace lab::runtime
