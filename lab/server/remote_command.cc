// pods/exec and pods/attach over websockets, and SPDY/3.1 through remote_command_spdy.h (remote_command.h).
#include "lab/server/remote_command.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "lab/api/json_access.h"
#include "lab/base/log.h"
#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "lab/server/api_server.h"
#include "lab/server/remote_command_spdy.h"
#include "runtime/fd_io.h"
#include "runtime/spawn.h"

namespace lab::server {

using Json = nlohmann::json;
using api::member;
using api::string_at;

namespace {

bool query_true(const HttpRequest& req, const char* key) {
  auto it = req.query.find(key);
  return it != req.query.end() && (it->second == "true" || it->second == "1");
}

// `lab __exec-session PID [--stdin] [--tty] -- CMD...` with one end of a socketpair as its fd 3.
Result<pid_t> spawn_exec_session(const std::string& self_exe, pid_t container_pid, const RemoteCommand& rc, int sock) {
  std::vector<std::string> args = {"__exec-session", std::to_string(container_pid)};
  if (rc.stdin) args.push_back("--stdin");
  if (rc.tty) args.push_back("--tty");
  args.push_back("--");
  args.insert(args.end(), rc.command.begin(), rc.command.end());
  return runtime::spawn_lab(self_exe, args, sock);
}

// The container the request names, checked against the pod as the kubelet checks it.
Result<std::string> pick_container(const Json& pod, const std::string& wanted) {
  const Json& containers = member(member(pod, "spec"), "containers");
  const std::string pod_name = string_at(api::metadata_of(pod), "name");
  if (!containers.is_array() || containers.empty())
    return fail_api(Reason::BadRequest, "pod " + pod_name + " has no containers");
  if (wanted.empty()) return string_at(containers[0], "name");
  for (const auto& c : containers)
    if (string_at(c, "name") == wanted) return wanted;
  return fail_api(Reason::BadRequest, "container " + wanted + " is not valid for pod " + pod_name);
}

// The container's current process (the pod init's <container>.hostpid), or the kubelet's
// "container not found" when it is not running.
Result<pid_t> running_container(const std::string& state_dir, const std::string& container) {
  if (auto init = runtime::read_init_pid(state_dir))
    if (auto pid = runtime::container_pid(*init, state_dir, container)) return *pid;
  return fail_api(Reason::BadRequest, "unable to upgrade connection: container not found (\"" + container + "\")");
}

}  // namespace

Result<RemoteCommand> parse_remote_command(const HttpRequest& req, bool exec) {
  RemoteCommand rc;
  rc.exec = exec;
  for (const auto& [key, value] : req.query_list)
    if (key == "command") rc.command.push_back(value);
  if (auto it = req.query.find("container"); it != req.query.end()) rc.container = it->second;
  rc.stdin = query_true(req, "stdin");
  rc.stdout = query_true(req, "stdout");
  rc.stderr = query_true(req, "stderr");
  rc.tty = query_true(req, "tty");
  if (exec && rc.command.empty())
    return fail_api(Reason::BadRequest, "you must specify at least 1 command");
  if (!rc.stdin && !rc.stdout && !rc.stderr)
    return fail_api(Reason::BadRequest, "you must specify at least one of stdin, stdout, stderr");
  // A terminal merges stderr into stdout (kubectl never asks for both).
  if (rc.tty) rc.stderr = false;
  return rc;
}

std::string pick_channel_protocol(std::string_view offered) {
  return list_holds(offered, kChannelV5) ? kChannelV5 : list_holds(offered, kChannelV4) ? kChannelV4 : "";
}

Result<std::string> client_message_frames(std::string_view message, bool v5) {
  using runtime::Channel;
  if (message.empty()) return std::string();
  const auto channel = static_cast<uint8_t>(message[0]);
  std::string_view payload = message.substr(1);
  switch (channel) {
    case 0:
      return payload.empty() ? std::string() : runtime::encode_frame(Channel::Stdin, payload);
    case 4: {
      // {"Width":80,"Height":24}, newline-terminated; one per terminal size change.
      Json size = Json::parse(payload, nullptr, false);
      const Json& w = member(size, "Width");
      const Json& h = member(size, "Height");
      if (!w.is_number_unsigned() || !h.is_number_unsigned() || w.get<uint64_t>() > 65535 || h.get<uint64_t>() > 65535)
        return fail_api(Reason::BadRequest, "resize: not a terminal size: " + std::string(payload.substr(0, 64)));
      return runtime::encode_frame(Channel::Resize, runtime::encode_resize({static_cast<uint16_t>(w.get<uint64_t>()),
                                                                            static_cast<uint16_t>(h.get<uint64_t>())}));
    }
    case 255:
      // v5's close: the payload names the stream the client is done with; only stdin is ours.
      if (v5 && payload.size() == 1 && payload[0] == 0) return runtime::encode_frame(Channel::CloseStdin, {});
      if (v5) return std::string();
      break;
    default:
      break;
  }
  return fail_api(Reason::BadRequest, "unexpected message on channel " + std::to_string(channel));
}

std::string status_message(const runtime::AttachStatus& status, bool exec) {
  Json s = {{"metadata", Json::object()}, {"status", "Success"}};
  if (status.exit_code && *status.exit_code != 0 && exec) {
    const std::string code = std::to_string(*status.exit_code);
    s = {{"metadata", Json::object()},
         {"status", "Failure"},
         {"reason", "NonZeroExitCode"},
         {"message", "command terminated with non-zero exit code: exit status " + code},
         {"details", {{"causes", Json::array({{{"reason", "ExitCode"}, {"message", code}}})}}}};
  } else if (!status.exit_code && status.error != "the session ended before the container did") {
    s = {{"metadata", Json::object()},
         {"status", "Failure"},
         {"reason", "InternalError"},
         {"code", 500},
         {"message", (exec ? "Internal error occurred: error executing command in container: "
                           : "Internal error occurred: error attaching to container: ") +
                         status.error}};
  }
  return s.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<std::string> frame_message(const runtime::Frame& frame, const RemoteCommand& rc) {
  using runtime::Channel;
  char channel = 0;
  if (frame.channel == Channel::Stdout && rc.stdout) channel = 1;
  else if (frame.channel == Channel::Stderr && rc.stderr) channel = 2;
  else if (frame.channel == Channel::Stderr && rc.tty && rc.stdout) channel = 1;
  else return std::nullopt;
  return std::string(1, channel) + frame.payload;
}

ProcessEnd relay_process_output(int sock, const RemoteCommand& rc,
                                const std::function<bool(const std::string& message)>& to_client) {
  ProcessEnd end;
  runtime::FrameDecoder decoder;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return end;
    decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (auto f = decoder.next()) {
      if (f->channel == runtime::Channel::Status) {
        end.status = runtime::decode_status(f->payload);
        return end;
      }
      if (auto m = frame_message(*f, rc); m && !to_client(*m)) {
        end.client_gone = true;
        return end;
      }
    }
    if (decoder.failed()) return end;
  }
}

void relay_session(WebSocket& socket, int sock, const RemoteCommand& rc, bool v5) {
  // The client's side on a thread of its own for the whole session: stdin, resizes, the close
  // (pings are answered beneath). Its end shuts our writing half, which the process side sees.
  std::thread from_client([&] {
    for (;;) {
      auto message = socket.read();
      if (!message) break;
      auto frames = client_message_frames(*message, v5);
      if (!frames) {
        log_line("exec/attach: " + frames.error().what());
        break;
      }
      if (!frames->empty() && !runtime::send_all(sock, *frames)) break;
    }
    ::shutdown(sock, SHUT_WR);
  });

  auto [status, client_gone] =
      relay_process_output(sock, rc, [&](const std::string& m) { return static_cast<bool>(socket.write(m)); });
  if (!client_gone) {
    if (!socket.write(std::string(1, '\3') + status_message(status, rc.exec)))
      log_line("exec/attach: the client left before the status");
    else if (auto closed = socket.close(1000); !closed)
      log_line("exec/attach: " + closed.error().what());
  }
  // The process side ends its command when the client went; either way the reader sees the
  // websocket's end now.
  ::shutdown(sock, SHUT_RDWR);
  if (client_gone)
    if (auto closed = socket.close(1001); !closed) log_line("exec/attach: " + closed.error().what());
  from_client.join();
}

void serve_remote_command(Connection& conn, const HttpRequest& req, const RemoteCommand& rc, const Json& pod,
                          const std::string& state_dir, const std::string& self_exe) {
  auto answer = [&](const HttpResponse& r) {
    if (!conn.send(r)) log_line("exec/attach: cannot answer the client");
  };
  const std::string phase = string_at(member(pod, "status"), "phase");
  if (phase == "Succeeded" || phase == "Failed")
    return answer(status_response(400, "BadRequest", std::string("cannot ") + (rc.exec ? "exec into" : "attach to") +
                                                         " a container in a completed pod; current phase is " + phase));
  auto container = pick_container(pod, rc.container);
  if (!container) return answer(error_status(container.error()));
  auto pid = running_container(state_dir, *container);
  if (!pid) return answer(error_status(pid.error()));
  // Checked after the pod, so that kubectl's SPDY retry of a refused websocket hears what was
  // wrong with the pod first. kubectl before 1.30 goes straight to SPDY/3.1 (remote_command_spdy.h).
  const bool spdy = wants_spdy(req);
  std::string protocol;
  if (spdy) {
    protocol = pick_stream_protocol(req.header("x-stream-protocol-version"));
    if (protocol.empty())
      return answer(status_response(403, "Forbidden",
                                    "unable to upgrade: unable to negotiate protocol: client supports [" +
                                        req.header("x-stream-protocol-version") + "], server accepts [" +
                                        kChannelV4 + "]"));
  } else {
    if (!conn.wants_websocket()) {
      return answer(status_response(400, "BadRequest",
                                    "Upgrade request required: the lab serves exec and attach over websockets "
                                    "(v5.channel.k8s.io, v4.channel.k8s.io) and SPDY/3.1 (v4.channel.k8s.io)"));
    }
    protocol = pick_channel_protocol(req.header("sec-websocket-protocol"));
    if (protocol.empty())
      return answer(status_response(400, "BadRequest",
                                    "unable to upgrade connection: none of the requested subprotocols is supported "
                                    "(v5.channel.k8s.io, v4.channel.k8s.io)"));
  }

  // The process side: a socket carrying attach.h's frames.
  UniqueFd sock;
  pid_t session = -1;
  if (rc.exec) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return answer(status_response(500, "InternalError", std::string("socketpair: ") + std::strerror(errno)));
    sock.reset(sv[0]);
    UniqueFd theirs(sv[1]);
    auto spawned = spawn_exec_session(self_exe, *pid, rc, theirs.get());
    if (!spawned) return answer(status_response(500, "InternalError", spawned.error().what()));
    session = *spawned;
  } else {
    auto connected = runtime::attach_connect(state_dir, *container, rc.stdin);
    if (!connected)
      return answer(status_response(500, "InternalError", "unable to upgrade connection: " + connected.error().what()));
    sock = std::move(*connected);
  }
  auto reap = [&] {
    if (session <= 0) return;
    int status = 0;
    while (::waitpid(session, &status, 0) < 0 && errno == EINTR) {
    }
  };

  if (spdy) {
    auto raw = conn.accept_upgrade(spdy_upgrade_headers(protocol));
    if (!raw) {
      log_line("exec/attach: SPDY upgrade failed: " + raw.error().what());
      sock.reset();
      return reap();
    }
    relay_spdy_session(**raw, sock.get(), rc);
    return reap();
  }
  auto ws = conn.accept_websocket(protocol);
  if (!ws) {
    log_line("exec/attach: websocket upgrade failed: " + ws.error().what());
    sock.reset();  // the session sees the hangup and ends its command
    return reap();
  }
  relay_session(**ws, sock.get(), rc, protocol == kChannelV5);
  reap();
}

}  // namespace lab::server
