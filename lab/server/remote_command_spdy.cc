// pods/exec and pods/attach over SPDY/3.1 (remote_command_spdy.h).
#include "lab/server/remote_command_spdy.h"

#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "lab/base/log.h"
#include "runtime/attach.h"
#include "runtime/fd_io.h"

namespace lab::server {
namespace {

using namespace std::chrono_literals;
using spdy::control_frame;
using spdy::data_frame;

// The kubelet's stream creation timeout (streaming.DefaultConfig): how long the client has to
// open the streams the request needs.
constexpr auto kStreamCreationTimeout = 30s;
// After the last frames, how long the client has to close the connection itself (kubectl does
// once it read the status) before it is closed under it.
constexpr auto kCloseWait = 5s;
// A resize line longer than this is not a terminal size.
constexpr size_t kMaxResizeLine = 4096;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view p) {
  while (!p.empty() && (p.front() == ' ' || p.front() == '\t')) p.remove_prefix(1);
  while (!p.empty() && (p.back() == ' ' || p.back() == '\t')) p.remove_suffix(1);
  return p;
}

const char* kind_name(StreamKind kind) {
  switch (kind) {
    case StreamKind::Error: return "error";
    case StreamKind::Stdin: return "stdin";
    case StreamKind::Stdout: return "stdout";
    case StreamKind::Stderr: return "stderr";
    case StreamKind::Resize: return "resize";
  }
  return "?";
}

}  // namespace

bool wants_spdy(const HttpRequest& req) { return lower(req.header("upgrade")).find("spdy/3.1") != std::string::npos; }

std::string pick_stream_protocol(std::string_view offered) { return list_holds(offered, kChannelV4) ? kChannelV4 : ""; }

std::vector<std::pair<std::string, std::string>> spdy_upgrade_headers(const std::string& protocol) {
  return {{"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}, {"X-Stream-Protocol-Version", protocol}};
}

Result<StreamKind> stream_kind(const spdy::Headers& headers) {
  const std::string type = spdy::header_value(headers, "streamtype");
  if (type == "error") return StreamKind::Error;
  if (type == "stdin") return StreamKind::Stdin;
  if (type == "stdout") return StreamKind::Stdout;
  if (type == "stderr") return StreamKind::Stderr;
  if (type == "resize") return StreamKind::Resize;
  return fail("unexpected stream type: \"" + type.substr(0, 64) + "\"");
}

size_t expected_streams(const RemoteCommand& rc) {
  return 1 + size_t{rc.stdin} + size_t{rc.stdout} + size_t{rc.stderr} + size_t{rc.tty};
}

Result<SpdyClientFrames::Outcome> SpdyClientFrames::handle(const spdy::Frame& f) {
  using runtime::Channel;
  Outcome out;
  auto close_stdin = [&] {
    if (stdin_closed_) return;
    stdin_closed_ = true;
    out.to_process += runtime::encode_frame(Channel::CloseStdin, {});
  };
  switch (f.type) {
    case spdy::Type::SynStream: {
      if (auto ok = spdy::accept_client_stream_id(f.stream_id, last_id_); !ok) return std::unexpected(ok.error());
      auto kind = stream_kind(f.headers);
      if (!kind) return std::unexpected(kind.error());
      uint32_t& slot = ids_[static_cast<size_t>(*kind)];
      if (slot != 0) return fail(std::string("a second ") + kind_name(*kind) + " stream");
      slot = f.stream_id;
      opened_++;
      out.replies.push_back(control_frame(spdy::Type::SynReply, f.stream_id));
      if (*kind == StreamKind::Stdin && f.fin()) close_stdin();
      return out;
    }
    case spdy::Type::Data: {
      const uint32_t id = f.stream_id;
      if (id != 0 && id == this->id(StreamKind::Stdin)) {
        if (!f.data.empty() && !stdin_closed_) out.to_process += runtime::encode_frame(Channel::Stdin, f.data);
        if (f.fin()) close_stdin();
      } else if (id != 0 && id == this->id(StreamKind::Resize)) {
        resize_buffer_ += f.data;
        for (size_t nl; (nl = resize_buffer_.find('\n')) != std::string::npos;) {
          std::string line = resize_buffer_.substr(0, nl);
          resize_buffer_.erase(0, nl + 1);
          if (trim(line).empty()) continue;
          auto frames = client_message_frames("\4" + line, false);
          if (!frames) return std::unexpected(frames.error());
          out.to_process += *frames;
        }
        if (resize_buffer_.size() > kMaxResizeLine) return fail("resize: a line of more than 4096 bytes");
      }
      // Data on the other streams (or on one that is gone) means nothing to the server.
      return out;
    }
    case spdy::Type::RstStream:
      if (f.stream_id != 0 && f.stream_id == id(StreamKind::Stdin)) close_stdin();
      return out;
    case spdy::Type::Ping:
      if (auto pong = spdy::ping_reply(f)) out.replies.push_back(*pong);
      return out;
    case spdy::Type::GoAway:
      out.end = true;
      return out;
    default:
      // SETTINGS, WINDOW_UPDATE (spdystream keeps no flow control windows), HEADERS, SYN_REPLY.
      return out;
  }
}

std::vector<spdy::Frame> closing_frames(const SpdyClientFrames& streams, const std::string& status) {
  std::vector<spdy::Frame> frames;
  if (uint32_t id = streams.id(StreamKind::Error)) frames.push_back(data_frame(id, status));
  for (auto kind : {StreamKind::Stdout, StreamKind::Stderr, StreamKind::Error, StreamKind::Stdin, StreamKind::Resize})
    if (uint32_t id = streams.id(kind)) frames.push_back(data_frame(id, "", spdy::kFlagFin));
  return frames;
}

void relay_spdy_session(RawStream& raw, int sock, const RemoteCommand& rc) {
  std::mutex mu;  // guards streams, replied and reader_done
  std::condition_variable changed;
  SpdyClientFrames streams(rc);
  // Every stream the request needs is open and its SYN_REPLY written. Output may flow only then:
  // spdystream drops DATA on a stream whose reply it has not read yet (handleDataFrame's
  // "not replied"), so output written between the last SYN_STREAM and its reply was lost.
  bool replied = false;
  bool reader_done = false;

  // Frames to the client, from either thread.
  spdy::FrameWriter writer([&](std::string_view bytes) { return raw.write(bytes); });
  auto send = [&](const std::vector<spdy::Frame>& frames) { return writer.send(frames).has_value(); };
  auto protocol_error = [&](const std::string& why) {
    log_line("exec/attach: SPDY: " + why + "; ending the session");
    send({control_frame(spdy::Type::GoAway, 0, spdy::kGoAwayProtocolError)});
    raw.close();
  };

  // The client's side on a thread of its own for the whole session: stream openings, stdin,
  // resizes, pings. Its end shuts our writing half, which the process side sees.
  std::thread from_client([&] {
    spdy::Decoder decoder;
    bool stop = false;
    while (!stop) {
      auto chunk = raw.read();
      if (!chunk) break;
      decoder.feed(*chunk);
      for (;;) {
        auto frame = decoder.next();
        if (!frame) {
          protocol_error(frame.error().what());
          stop = true;
          break;
        }
        if (!*frame) break;
        Result<SpdyClientFrames::Outcome> out;
        {
          std::lock_guard lock(mu);
          out = streams.handle(**frame);
        }
        if (!out) {
          protocol_error(out.error().what());
          stop = true;
          break;
        }
        if (!out->replies.empty()) {
          if (!send(out->replies)) {
            stop = true;
            break;
          }
          std::lock_guard lock(mu);
          if (!replied && streams.ready()) {
            replied = true;
            changed.notify_all();
          }
        }
        if (!out->to_process.empty() && !runtime::send_all(sock, out->to_process)) stop = true;
        if (out->end) stop = true;
        if (stop) break;
      }
    }
    ::shutdown(sock, SHUT_WR);
    std::lock_guard lock(mu);
    reader_done = true;
    changed.notify_all();
  });
  auto finish = [&] {
    raw.close();
    ::shutdown(sock, SHUT_RDWR);
    from_client.join();
  };

  {
    std::unique_lock lock(mu);
    if (!changed.wait_for(lock, kStreamCreationTimeout, [&] { return replied || reader_done; })) {
      log_line("exec/attach: SPDY: timed out waiting for client to create streams");
      lock.unlock();
      return finish();
    }
    if (!replied) {
      lock.unlock();
      return finish();  // the client left (or broke the protocol, which was logged)
    }
  }
  const uint32_t out_id = streams.id(StreamKind::Stdout), err_id = streams.id(StreamKind::Stderr);

  auto [status, client_gone] = relay_process_output(sock, rc, [&](const std::string& m) {
    if (m.empty()) return true;
    const uint32_t id = m[0] == 1 ? out_id : m[0] == 2 ? err_id : 0;
    return id == 0 || send({data_frame(id, m.substr(1))});
  });
  if (!client_gone) {
    std::vector<spdy::Frame> last;
    {
      std::lock_guard lock(mu);
      last = closing_frames(streams, status_message(status, rc.exec));
    }
    if (!send(last)) {
      log_line("exec/attach: the client left before the status");
    } else {
      // kubectl closes the connection once it has read everything; closing it first could
      // cut off what it has not read yet.
      std::unique_lock lock(mu);
      changed.wait_for(lock, kCloseWait, [&] { return reader_done; });
    }
  }
  finish();
}

}  // namespace lab::server
