// pods/portforward (port_forward.h): the frames' meaning, the relay, the pod-side connect.
#include "lab/server/port_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "lab/api/json_access.h"
#include "lab/base/log.h"
#include "lab/base/parse.h"
#include "lab/server/api_server.h"
#include "lab/server/remote_command_spdy.h"
#include "netns/netns.h"
#include "runtime/fd_io.h"
#include "runtime/spawn.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;
using spdy::control_frame;
using spdy::data_frame;

// What one data frame to the client carries at most (client-go copies 32 KiB at a time too).
constexpr size_t kChunk = 32 << 10;
// A pod socket that takes none of the client's bytes for this long ends its pair, so that one
// stuck connection does not hold up the session's other streams.
constexpr int kPodSendTimeoutSeconds = 30;

}  // namespace

std::string request_id_of(const spdy::Headers& headers, uint32_t stream_id) {
  std::string id = spdy::header_value(headers, "requestid");
  if (!id.empty()) return id;
  const bool data = spdy::header_value(headers, "streamtype") == "data";
  return std::to_string(data && stream_id >= 2 ? stream_id - 2 : stream_id);
}

Result<uint16_t> port_header(const spdy::Headers& headers) {
  const std::string text = spdy::header_value(headers, "port");
  if (text.empty()) return fail("\"port\" header is required");
  auto port = parse_int(text, 0, 65535);
  if (!port) return fail("unable to parse \"" + text.substr(0, 64) + "\" as a port");
  if (*port < 1) return fail("port \"" + text + "\" must be > 0");
  return static_cast<uint16_t>(*port);
}

Result<PortForwardStreams::Outcome> PortForwardStreams::handle(const spdy::Frame& f) {
  Outcome out;
  switch (f.type) {
    case spdy::Type::SynStream: {
      if (auto ok = spdy::accept_client_stream_id(f.stream_id, last_id_); !ok) return std::unexpected(ok.error());
      // The kubelet's httpStreamReceived rejects a stream without a port or a known type: reset.
      const std::string type = spdy::header_value(f.headers, "streamtype");
      auto port = port_header(f.headers);
      if (!port || (type != "error" && type != "data")) {
        out.replies.push_back(control_frame(spdy::Type::RstStream, f.stream_id, spdy::kCancel));
        return out;
      }
      const std::string rid = request_id_of(f.headers, f.stream_id);
      auto it = pairs_.find(rid);
      if (it == pairs_.end()) {
        if (pairs_.size() >= kMaxPortForwardPairs) {
          out.replies.push_back(control_frame(spdy::Type::RstStream, f.stream_id, spdy::kRefusedStream));
          return out;
        }
        it = pairs_.emplace(rid, Pair{.request_id = rid}).first;
      }
      Pair& p = it->second;
      uint32_t& slot = type == "data" ? p.data_id : p.error_id;
      if (slot != 0) {  // a second stream of the type for the request
        out.replies.push_back(control_frame(spdy::Type::RstStream, f.stream_id, spdy::kProtocolError));
        return out;
      }
      slot = f.stream_id;
      if (type == "data") p.port = *port;
      by_id_[f.stream_id] = rid;
      out.replies.push_back(control_frame(spdy::Type::SynReply, f.stream_id));
      if (p.data_id != 0 && p.error_id != 0) out.ready = p;
      return out;
    }
    case spdy::Type::Data:
    case spdy::Type::RstStream: {
      auto id = by_id_.find(f.stream_id);
      if (id == by_id_.end()) return out;  // a stream reset or forgotten: nothing to do
      const Pair& p = pairs_.at(id->second);
      if (f.type == spdy::Type::RstStream) {
        out.data_id = p.data_id;  // 0 while the data stream is not open
        out.reset = true;
      } else if (f.stream_id == p.data_id) {
        // The error stream's data (kubectl sends none: it closes its half at once) means nothing.
        out.data_id = p.data_id;
        out.data = f.data;
        out.data_fin = f.fin();
      }
      return out;
    }
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

void PortForwardStreams::forget(uint32_t stream_id) {
  auto id = by_id_.find(stream_id);
  if (id == by_id_.end()) return;
  auto pair = pairs_.find(id->second);
  if (pair != pairs_.end()) {
    by_id_.erase(pair->second.error_id);
    by_id_.erase(pair->second.data_id);
    pairs_.erase(pair);
  } else {
    by_id_.erase(id);
  }
}

void relay_port_forward(SpdyTransport& t, const PortConnector& connect) {
  // Frames to the client, from the reader and every pair's thread.
  spdy::FrameWriter writer(t.write);
  auto send = [&](const std::vector<spdy::Frame>& frames) { return writer.send(frames).has_value(); };

  // A connected request: its socket, and the thread copying the socket's bytes to the client.
  struct Active {
    UniqueFd fd;
    std::thread thread;
  };
  std::mutex mu;  // guards done
  std::map<uint32_t, Active> active;  // by data stream id; the reader thread's own
  std::vector<uint32_t> done;         // pairs whose thread has ended, for the reader to reap
  auto reap = [&](PortForwardStreams& streams) {
    std::vector<uint32_t> ended;
    {
      std::lock_guard lock(mu);
      ended.swap(done);
    }
    for (uint32_t id : ended) {
      auto it = active.find(id);
      if (it == active.end()) continue;
      it->second.thread.join();
      active.erase(it);
      streams.forget(id);
    }
  };

  PortForwardStreams streams;
  spdy::Decoder decoder;
  bool stop = false;
  while (!stop) {
    auto chunk = t.read();
    if (!chunk) break;
    decoder.feed(*chunk);
    for (;;) {
      auto frame = decoder.next();
      if (!frame) {
        log_line("port-forward: SPDY: " + frame.error().what() + "; ending the session");
        send({control_frame(spdy::Type::GoAway, 0, spdy::kGoAwayProtocolError)});
        stop = true;
        break;
      }
      if (!*frame) break;
      reap(streams);
      auto out = streams.handle(**frame);
      if (!out) {
        log_line("port-forward: SPDY: " + out.error().what() + "; ending the session");
        send({control_frame(spdy::Type::GoAway, 0, spdy::kGoAwayProtocolError)});
        stop = true;
        break;
      }
      if (!send(out->replies) || out->end) {
        stop = true;
        break;
      }
      if (out->ready) {
        const auto pair = *out->ready;
        auto fd = connect(pair.port);
        if (!fd) {
          // As the kubelet: the error on the error stream, then both streams end.
          send({data_frame(pair.error_id, fd.error().what()),
                data_frame(pair.error_id, "", spdy::kFlagFin), data_frame(pair.data_id, "", spdy::kFlagFin)});
          streams.forget(pair.data_id);
          continue;
        }
        timeval tv{kPodSendTimeoutSeconds, 0};
        if (::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
          log_line(std::string("port-forward: SO_SNDTIMEO: ") + std::strerror(errno));
        const int sock = fd->get();
        Active& a = active[pair.data_id];
        a.fd = std::move(*fd);
        a.thread = std::thread([&, sock, pair] {
          char buf[kChunk];
          for (;;) {
            ssize_t n = ::recv(sock, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            if (!send({data_frame(pair.data_id, std::string(buf, static_cast<size_t>(n)))})) break;
          }
          // The pod's side is done (or the client is gone): both streams end, as the kubelet
          // closes them when the runtime's copy returns.
          send({data_frame(pair.data_id, "", spdy::kFlagFin), data_frame(pair.error_id, "", spdy::kFlagFin)});
          ::shutdown(sock, SHUT_RDWR);
          std::lock_guard lock(mu);
          done.push_back(pair.data_id);
        });
        continue;
      }
      auto it = out->data_id == 0 ? active.end() : active.find(out->data_id);
      if (it == active.end()) {
        // A request reset before its pair was complete holds no socket: it is only forgotten.
        // Bytes for a pair whose socket has closed have nowhere to go.
        if (out->reset) streams.forget((*frame)->stream_id);
        continue;
      }
      const int sock = it->second.fd.get();
      if (out->reset) {
        ::shutdown(sock, SHUT_RDWR);  // its thread ends the streams and hands it back
        continue;
      }
      if (!out->data.empty() && !runtime::send_all(sock, out->data)) {
        // The pod's side closed, or took nothing for kPodSendTimeoutSeconds: the pair ends.
        ::shutdown(sock, SHUT_RDWR);
        continue;
      }
      // The client's local connection sent its last byte: so does ours (a half-close).
      if (out->data_fin) ::shutdown(sock, SHUT_WR);
    }
  }
  for (auto& [id, a] : active) ::shutdown(a.fd.get(), SHUT_RDWR);
  t.close();
  for (auto& [id, a] : active) a.thread.join();
}

Result<UniqueFd> connect_in_pod(int init_pid, uint16_t port) {
  const std::string ns_path = "/proc/" + std::to_string(init_pid) + "/ns/net";
  // Never the daemon's own namespace (the host's localhost): a stale pid could point there.
  struct stat pod_ns{}, own_ns{};
  if (::stat(ns_path.c_str(), &pod_ns) != 0 || ::stat("/proc/self/ns/net", &own_ns) != 0)
    return fail("the pod's network namespace is gone", errno);
  if (pod_ns.st_ino == own_ns.st_ino && pod_ns.st_dev == own_ns.st_dev)
    return fail("the pod's process is not in a network namespace of its own");
  auto netns = net::Netns::open_path(ns_path);
  if (!netns) return std::unexpected(netns.error());
  const std::string p = std::to_string(port);
  // A socket made in the pod's namespace, connected to its loopback; else Go's words for the
  // dial's failure ("dial tcp4 127.0.0.1:81: connect: connection refused").
  auto dial = [&](int family, const sockaddr* addr, socklen_t len, const std::string& name) -> Result<UniqueFd> {
    UniqueFd fd;
    {
      auto sw = net::NetnsSwitch::enter(*netns);
      if (!sw) return std::unexpected(sw.error());
      fd = UniqueFd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    }
    if (fd && ::connect(fd.get(), addr, len) == 0) return fd;
    std::string text = std::strerror(errno);  // Go's errno texts are C's, lower-case
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return fail("dial " + name + ": connect: " + text);
  };
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto via_v4 = dial(AF_INET, reinterpret_cast<sockaddr*>(&v4), sizeof v4, "tcp4 127.0.0.1:" + p);
  if (via_v4) return via_v4;
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  v6.sin6_addr = in6addr_loopback;
  auto via_v6 = dial(AF_INET6, reinterpret_cast<sockaddr*>(&v6), sizeof v6, "tcp6 [::1]:" + p);
  if (via_v6) return via_v6;
  const std::string v4_error = via_v4.error().what(), v6_error = via_v6.error().what();
  // containerd's wording (its portForward), which kubectl prints.
  return fail("failed to connect to localhost:" + p + " inside namespace of the pod, IPv4: " + v4_error +
              " IPv6 " + v6_error + " ");
}

void serve_port_forward(Connection& conn, const HttpRequest& req, const Json& pod, const std::string& state_dir) {
  auto answer = [&](const HttpResponse& r) {
    if (!conn.send(r)) log_line("port-forward: cannot answer the client");
  };
  // PodPortForwardOptions: ports, when given, must each be a port.
  for (const auto& [key, value] : req.query_list)
    if (key == "ports")
      if (auto p = parse_int(value, 1, 65535); !p)
        return answer(status_response(400, "BadRequest", "unable to parse \"" + value.substr(0, 64) + "\" as a port"));
  const std::string phase = api::string_at(api::member(pod, "status"), "phase");
  if (phase != "Running")
    return answer(status_response(400, "BadRequest",
                                  "unable to upgrade connection: pod is not running; current phase is " +
                                      (phase.empty() ? std::string("Pending") : phase)));
  auto found = runtime::read_init_pid(state_dir);
  if (!found) return answer(status_response(400, "BadRequest", "unable to upgrade connection: pod not found"));
  const pid_t init = *found;
  const std::string uid = api::string_at(api::metadata_of(pod), "uid");
  PortConnector connect = [init, uid](uint16_t port) -> Result<UniqueFd> {
    auto fd = connect_in_pod(init, port);
    // The kubelet's words around the runtime's (the pod's uid where it names the sandbox).
    if (!fd) return fail("error forwarding port " + std::to_string(port) + " to pod " + uid + ", uid : " + fd.error().what());
    return fd;
  };

  if (wants_spdy(req)) {
    // kubectl before 1.31, and later ones when the websocket is refused.
    if (!list_holds(req.header("x-stream-protocol-version"), kPortForwardProtocol))
      return answer(status_response(403, "Forbidden",
                                    "unable to upgrade: unable to negotiate protocol: client supports [" +
                                        req.header("x-stream-protocol-version") + "], server accepts [" +
                                        kPortForwardProtocol + "]"));
    auto raw = conn.accept_upgrade(spdy_upgrade_headers(kPortForwardProtocol));
    if (!raw) return log_line("port-forward: SPDY upgrade failed: " + raw.error().what());
    SpdyTransport t{.read = [&] { return (*raw)->read(); },
                    .write = [&](std::string_view b) { return (*raw)->write(b); },
                    .close = [&] { (*raw)->close(); }};
    return relay_port_forward(t, connect);
  }
  if (!conn.wants_websocket())
    return answer(status_response(400, "BadRequest",
                                  "Upgrade request required: the lab serves port-forward over a websocket (" +
                                      std::string(kPortForwardTunnelProtocol) + ") and SPDY/3.1 (" +
                                      kPortForwardProtocol + ")"));
  if (!list_holds(req.header("sec-websocket-protocol"), kPortForwardTunnelProtocol))
    return answer(status_response(400, "BadRequest",
                                  "unable to upgrade connection: none of the requested subprotocols is supported (" +
                                      std::string(kPortForwardTunnelProtocol) + ")"));
  auto ws = conn.accept_websocket(kPortForwardTunnelProtocol);
  if (!ws) return log_line("port-forward: websocket upgrade failed: " + ws.error().what());
  bool client_gone = false;  // kubectl ends a session by leaving: nothing to close then
  SpdyTransport t{.read =
                      [&] {
                        auto r = (*ws)->read();
                        if (!r) client_gone = true;
                        return r;
                      },
                  .write = [&](std::string_view b) { return (*ws)->write(b); },
                  .close = [&] {
                    if (client_gone) return;
                    if (auto closed = (*ws)->close(1000); !closed) log_line("port-forward: " + closed.error().what());
                  }};
  relay_port_forward(t, connect);
}

}  // namespace lab::server
