// `kubectl exec` and `kubectl attach` (pods/exec, pods/attach): the kubelet's remotecommand
// server, over a websocket speaking `v5.channel.k8s.io` (kubectl 1.30+) or `v4.channel.k8s.io`.
// Every message is binary: one byte of channel (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize,
// 255 close in v5) and the payload. The session ends with the status on channel 3 (a Status:
// Success, or NonZeroExitCode with the code) and a close frame 1000.
//
// The daemon's threads never fork, so the process side lives elsewhere and speaks attach.h's
// frames: an exec is a `lab __exec-session` process (runtime/exec_session.h) on a socketpair;
// an attach is the pod init's attach socket, as conmon serves it. This file turns those frames
// into the websocket's channels and back: the pure translation below, and serve_remote_command.
// kubectl 1.29 speaks SPDY/3.1 instead: remote_command_spdy.h, with the same translation.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "lab/server/connection.h"
#include "lab/server/http.h"
#include "runtime/attach.h"

namespace lab::server {

inline constexpr const char* kChannelV5 = "v5.channel.k8s.io";
inline constexpr const char* kChannelV4 = "v4.channel.k8s.io";

// What the query asks for (kubectl: `command=` once per word, container, stdin, stdout, stderr,
// tty). exec without a command, or a session with no stream at all, is a 400 as the kubelet's.
struct RemoteCommand {
  bool exec = false;  // else attach
  std::vector<std::string> command;
  std::string container;  // "" = the pod's only (or first) container
  bool stdin = false, stdout = false, stderr = false, tty = false;
};
Result<RemoteCommand> parse_remote_command(const HttpRequest& req, bool exec);

// The subprotocol to answer from the client's Sec-WebSocket-Protocol list (v5 before v4); ""
// when it offers neither.
std::string pick_channel_protocol(std::string_view offered);

// One websocket message from the client as the frames the process side takes (stdin bytes, a
// window size, stdin's end); "" for a message that carries nothing for it. v5 only has the
// close channel. An error for a message that is not the protocol's.
Result<std::string> client_message_frames(std::string_view message, bool v5);

// The status channel's Status for how the process ended (exec: its exit code; attach: the
// session simply ended, which is Success).
std::string status_message(const runtime::AttachStatus& status, bool exec);

// The websocket message for one frame from the process side: channel byte + payload; nullopt
// for a frame the client did not ask for (stderr it did not request, say).
std::optional<std::string> frame_message(const runtime::Frame& frame, const RemoteCommand& rc);

// How the process side's output ended for a relay: its status (when it sent one) and whether
// the client went away first.
struct ProcessEnd {
  runtime::AttachStatus status{std::nullopt, "the session ended before the container did"};
  bool client_gone = false;
};
// Reads the process side's frames on sock until its status or its end, handing each frame the
// client asked for to `to_client` as frame_message's message; to_client returning false means
// the client is gone. Shared by the websocket and SPDY relays.
ProcessEnd relay_process_output(int sock, const RemoteCommand& rc,
                                const std::function<bool(const std::string& message)>& to_client);

// Relays between an accepted websocket and the process side's frames on sock until the process
// side sends its status (then channel 3 and a close 1000) or either side goes away.
void relay_session(WebSocket& ws, int sock, const RemoteCommand& rc, bool v5);

// Serves one pods/exec or pods/attach request on conn: validates it against the pod (Status
// answers, as kube-apiserver and the kubelet word them), accepts the websocket (or the SPDY
// upgrade) and relays until
// the process side ends or the client goes. state_dir: the pod's state directory; self_exe: the
// lab binary to spawn `__exec-session` from.
void serve_remote_command(Connection& conn, const HttpRequest& req, const RemoteCommand& rc, const nlohmann::json& pod,
                          const std::string& state_dir, const std::string& self_exe);

}  // namespace lab::server
