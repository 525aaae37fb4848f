// `kubectl port-forward` (pods/portforward): the kubelet's port-forward server, protocol
// `portforward.k8s.io` over SPDY/3.1. kubectl 1.31+ tunnels the same SPDY bytes through a
// websocket (subprotocol `SPDY/3.1+portforward.k8s.io`, one binary message per write, as
// client-go's TunnelingConnection), and falls back to a plain SPDY upgrade (a POST, as kubectl
// before 1.31 sends) when the websocket is refused; both are served.
//
// For every local connection it accepts, kubectl opens a pair of streams, each with the headers
// `streamType` (error or data), `port` and `requestID`. Once both streams of a request are open,
// the server connects to localhost:port inside the pod's network namespace (as containerd does)
// and relays: the data stream's bytes to the socket, the socket's to the data stream. A failed
// connect is written on the error stream; either way both streams end with FIN. A stream with
// bad headers is reset, as the kubelet rejects it; the session goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "lab/server/connection.h"
#include "lab/server/http.h"
#include "lab/server/spdy.h"

namespace lab::server {

inline constexpr const char* kPortForwardProtocol = "portforward.k8s.io";
inline constexpr const char* kPortForwardTunnelProtocol = "SPDY/3.1+portforward.k8s.io";
// At most this many requests (pairs of streams) open at once in one session; more are refused.
inline constexpr size_t kMaxPortForwardPairs = 256;

// The client's side of a session: what each of its frames means. Pure, so that the unit tests
// reach every case; relay_port_forward drives it.
class PortForwardStreams {
 public:
  struct Pair {
    std::string request_id;
    uint16_t port = 0;
    uint32_t data_id = 0, error_id = 0;
  };
  struct Outcome {
    std::vector<spdy::Frame> replies;  // to the client (SYN_REPLY, RST_STREAM, PING)
    std::optional<Pair> ready;         // both streams of a request are open: connect its port
    uint32_t data_id = 0;              // the pair (by its data stream) the rest is about
    std::string data;                  // the client's bytes for the pair's socket
    bool data_fin = false;             // the client sends nothing more on it
    bool reset = false;                // the client reset one of the pair's streams
    bool end = false;                  // the client is done with the session (GOAWAY)
  };
  // One frame from the client; an error (a stream id out of order) ends the session.
  Result<Outcome> handle(const spdy::Frame& frame);
  // The relay is done with a pair (its streams ended, or one was reset): the ids of the pair
  // that stream_id (either of its streams) belongs to are forgotten.
  void forget(uint32_t stream_id);
  size_t open_pairs() const { return pairs_.size(); }

 private:
  std::map<std::string, Pair> pairs_;      // by request id, from its first stream to forget()
  std::map<uint32_t, std::string> by_id_;  // stream id -> request id
  uint32_t last_id_ = 0;
};

// The request id of a stream, as the kubelet reads it: the `requestID` header, or for a client
// that sends none the stream's id (error) or the id minus 2 (data: opened right after its error
// stream).
std::string request_id_of(const spdy::Headers& headers, uint32_t stream_id);
// The `port` header: 1-65535; the kubelet's words otherwise.
Result<uint16_t> port_header(const spdy::Headers& headers);

// Connects to a port of the pod: a connected socket, or the error to write on the error stream.
using PortConnector = std::function<Result<UniqueFd>(uint16_t port)>;

// The byte stream the SPDY session runs on: the raw upgraded connection, or the websocket whose
// binary messages carry the bytes.
struct SpdyTransport {
  std::function<Result<std::string>()> read;  // the next bytes; an error once the peer is gone
  std::function<Result<void>(std::string_view)> write;
  std::function<void()> close;  // ends a read() waiting
};

// Relays a session until the client goes away (or breaks the protocol, logged): every request's
// pair of streams to a socket from `connect`. Returns when every pair's socket is closed.
void relay_port_forward(SpdyTransport& transport, const PortConnector& connect);

// The socket for `port` on localhost inside the network namespace of the pod whose init is
// init_pid (127.0.0.1, then ::1), or the error as containerd words it.
Result<UniqueFd> connect_in_pod(int init_pid, uint16_t port);

// Serves one pods/portforward request on conn for a pod (checked to be running) whose state
// directory is state_dir: answers the upgrade (websocket tunnel or SPDY) and relays.
void serve_port_forward(Connection& conn, const HttpRequest& req, const nlohmann::json& pod,
                        const std::string& state_dir);

}  // namespace lab::server
