// kubectl port-forward's server side (lab/server/port_forward.h): the streams' headers and
// pairing, bad streams reset while the session goes on, and whole sessions relayed between a
// SPDY client (built on lab/server/spdy.h, as spdystream speaks) and local TCP servers: bytes
// both ways with a half-close, two requests at once, a refused port's error on the error stream.
#include "lab/server/port_forward.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <map>
#include <string>
#include <thread>

#include "runtime/fd_io.h"

namespace lab::server {
namespace {

spdy::Frame syn(uint32_t id, const std::string& type, const std::string& port, const std::string& request) {
  spdy::Frame f;
  f.type = spdy::Type::SynStream;
  f.stream_id = id;
  if (!type.empty()) f.headers.push_back({"streamtype", type});
  if (!port.empty()) f.headers.push_back({"port", port});
  if (!request.empty()) f.headers.push_back({"requestid", request});
  return f;
}

spdy::Frame data(uint32_t id, std::string bytes, uint8_t flags = 0) { return spdy::data_frame(id, std::move(bytes), flags); }
using spdy::control_frame;

TEST(PortForward, HeadersAsTheKubeletReadsThem) {
  EXPECT_EQ(*port_header({{"port", "8080"}}), 8080);
  EXPECT_EQ(port_header({}).error().what(), "\"port\" header is required");
  EXPECT_EQ(port_header({{"port", "0"}}).error().what(), "port \"0\" must be > 0");
  EXPECT_EQ(port_header({{"port", "65536"}}).error().what(), "unable to parse \"65536\" as a port");
  EXPECT_EQ(port_header({{"port", "http"}}).error().what(), "unable to parse \"http\" as a port");
  EXPECT_EQ(request_id_of({{"requestid", "7"}, {"streamtype", "data"}}, 3), "7");
  // An old client without request ids: the error stream's id, the data stream's minus 2.
  EXPECT_EQ(request_id_of({{"streamtype", "error"}}, 5), "5");
  EXPECT_EQ(request_id_of({{"streamtype", "data"}}, 7), "5");
}

TEST(PortForward, APairIsReadyOnceBothStreamsAreOpen) {
  PortForwardStreams s;
  auto err = s.handle(syn(1, "error", "80", "0"));
  ASSERT_TRUE(err.has_value());
  ASSERT_EQ(err->replies.size(), 1u);
  EXPECT_EQ(err->replies[0].type, spdy::Type::SynReply);
  EXPECT_FALSE(err->ready);
  auto dat = s.handle(syn(3, "data", "80", "0"));
  ASSERT_TRUE(dat.has_value() && dat->ready);
  EXPECT_EQ(dat->ready->port, 80);
  EXPECT_EQ(dat->ready->error_id, 1u);
  EXPECT_EQ(dat->ready->data_id, 3u);
  // The data stream's bytes and its FIN belong to the pair; the error stream's mean nothing.
  auto bytes = s.handle(data(3, "GET /", spdy::kFlagFin));
  EXPECT_EQ(bytes->data_id, 3u);
  EXPECT_EQ(bytes->data, "GET /");
  EXPECT_TRUE(bytes->data_fin);
  EXPECT_EQ(s.handle(data(1, "", spdy::kFlagFin))->data_id, 0u);
  auto rst = s.handle(control_frame(spdy::Type::RstStream, 1, spdy::kCancel));
  EXPECT_TRUE(rst->reset);
  EXPECT_EQ(rst->data_id, 3u);
  EXPECT_EQ(s.open_pairs(), 1u);
  s.forget(3);
  EXPECT_EQ(s.open_pairs(), 0u);
  EXPECT_EQ(s.handle(data(3, "late"))->data_id, 0u);  // forgotten: nowhere to go
  // Pings come back; GOAWAY ends the session.
  auto pong = s.handle(control_frame(spdy::Type::Ping, 0, 9));
  ASSERT_EQ(pong->replies.size(), 1u);
  EXPECT_EQ(pong->replies[0].value, 9u);
  EXPECT_TRUE(s.handle(control_frame(spdy::Type::GoAway, 0))->end);
}

TEST(PortForward, ARequestResetBeforeItsDataStreamIsForgotten) {
  PortForwardStreams s;
  ASSERT_TRUE(s.handle(syn(1, "error", "80", "0")).has_value());
  auto rst = s.handle(control_frame(spdy::Type::RstStream, 1, spdy::kCancel));
  EXPECT_TRUE(rst->reset);
  EXPECT_EQ(rst->data_id, 0u);
  s.forget(1);  // by its error stream: the relay has no socket for it
  EXPECT_EQ(s.open_pairs(), 0u);
}

TEST(PortForward, BadStreamsAreResetAndTheSessionGoesOn) {
  PortForwardStreams s;
  auto reset_with = [&](const spdy::Frame& f, uint32_t status) {
    auto out = s.handle(f);
    ASSERT_TRUE(out.has_value());
    ASSERT_EQ(out->replies.size(), 1u);
    EXPECT_EQ(out->replies[0].type, spdy::Type::RstStream);
    EXPECT_EQ(out->replies[0].value, status);
    EXPECT_FALSE(out->ready);
  };
  reset_with(syn(1, "error", "", "0"), spdy::kCancel);        // no port
  reset_with(syn(3, "error", "0", "0"), spdy::kCancel);       // port 0
  reset_with(syn(5, "stdout", "80", "0"), spdy::kCancel);     // not a port-forward stream
  reset_with(syn(7, "", "80", "0"), spdy::kCancel);           // no type
  ASSERT_TRUE(s.handle(syn(9, "error", "80", "1")).has_value());
  reset_with(syn(11, "error", "80", "1"), spdy::kProtocolError);  // a second error stream
  EXPECT_TRUE(s.handle(syn(13, "data", "80", "1"))->ready);
  // Ids out of order are beyond repair: the session ends.
  EXPECT_FALSE(s.handle(syn(13, "data", "80", "2")).has_value());
  EXPECT_FALSE(s.handle(syn(16, "data", "80", "2")).has_value());
}

TEST(PortForward, PairsAreBounded) {
  PortForwardStreams s;
  uint32_t id = 1;
  for (size_t i = 0; i < kMaxPortForwardPairs; ++i, id += 2)
    ASSERT_EQ(s.handle(syn(id, "error", "80", std::to_string(i)))->replies[0].type, spdy::Type::SynReply);
  auto refused = s.handle(syn(id, "error", "80", "more"));
  EXPECT_EQ(refused->replies[0].type, spdy::Type::RstStream);
  EXPECT_EQ(refused->replies[0].value, spdy::kRefusedStream);
  // The data stream of a request already counted still opens.
  EXPECT_TRUE(s.handle(syn(id + 2, "data", "80", "0"))->ready);
}

// ---- whole sessions ----

// A TCP server on 127.0.0.1 (an ephemeral port) answering each connection with `answer` of what
// it read up to the client's half-close.
class EchoServer {
 public:
  explicit EchoServer(std::string prefix) : prefix_(std::move(prefix)) {
    fd_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_.get(), 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) return;
        std::string got;
        char buf[4096];
        for (ssize_t n; (n = ::recv(c.get(), buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
        runtime::send_all(c.get(), prefix_ + got);
      }
    });
  }
  ~EchoServer() {
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  std::string prefix_;
  UniqueFd fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

Result<UniqueFd> connect_local(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return fail("refused", errno);
  return fd;
}

// The client's end of a session over a socketpair: frames out, frames in (by stream).
struct Client {
  UniqueFd fd;
  spdy::Encoder enc;
  spdy::Decoder dec;
  void send(const spdy::Frame& f) { ASSERT_TRUE(runtime::send_all(fd.get(), *enc.encode(f))); }
  // Reads frames until `done` says so (or 5 s pass), collecting each stream's data and FIN.
  std::map<uint32_t, std::string> data;
  std::map<uint32_t, bool> fin;
  std::vector<spdy::Frame> controls;
  bool read_until(const std::function<bool()>& done) {
    for (int waited = 0; !done();) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) {
        if ((waited += 100) > 5000) return false;
        continue;
      }
      char buf[65536];
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) return done();
      dec.feed(std::string_view(buf, static_cast<size_t>(n)));
      for (;;) {
        auto f = dec.next();
        if (!f || !*f) break;
        if ((*f)->type == spdy::Type::Data) {
          data[(*f)->stream_id] += (*f)->data;
          if ((*f)->fin()) fin[(*f)->stream_id] = true;
        } else {
          controls.push_back(**f);
        }
      }
    }
    return true;
  }
};

struct Session {
  Client client;
  UniqueFd server_end;
  std::thread relay;
  explicit Session(PortConnector connect) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    client.fd = UniqueFd(sv[0]);
    server_end = UniqueFd(sv[1]);
    relay = std::thread([this, connect] {
      const int fd = server_end.get();
      SpdyTransport t{.read = [fd]() -> Result<std::string> {
                        char buf[65536];
                        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                        if (n <= 0) return fail("gone", ECONNRESET);
                        return std::string(buf, static_cast<size_t>(n));
                      },
                      .write = [fd](std::string_view b) -> Result<void> {
                        if (!runtime::send_all(fd, b)) return fail("gone", EPIPE);
                        return {};
                      },
                      .close = [fd] { ::shutdown(fd, SHUT_RDWR); }};
      relay_port_forward(t, connect);
    });
  }
  void end() {
    ::shutdown(client.fd.get(), SHUT_RDWR);
    relay.join();
  }
};

TEST(PortForward, ASessionRelaysBytesBothWaysAndEndsBothStreams) {
  EchoServer a("a:"), b("b:");
  Session s(connect_local);
  // Two requests at once, to two ports, opened as client-go opens them (error, then data).
  s.client.send(syn(1, "error", std::to_string(a.port()), "0"));
  s.client.send(syn(3, "data", std::to_string(a.port()), "0"));
  s.client.send(syn(5, "error", std::to_string(b.port()), "1"));
  s.client.send(syn(7, "data", std::to_string(b.port()), "1"));
  ASSERT_TRUE(s.client.read_until([&] { return s.client.controls.size() >= 4; }));
  for (const auto& f : s.client.controls) EXPECT_EQ(f.type, spdy::Type::SynReply);
  const std::string big(200000, 'x');
  s.client.send(data(3, "hello"));
  s.client.send(data(7, big, spdy::kFlagFin));
  s.client.send(data(3, " world", spdy::kFlagFin));  // the half-close: the server answers after it
  ASSERT_TRUE(s.client.read_until([&] { return s.client.fin[3] && s.client.fin[1] && s.client.fin[7] && s.client.fin[5]; }));
  EXPECT_EQ(s.client.data[3], "a:hello world");
  EXPECT_EQ(s.client.data[7], "b:" + big);
  EXPECT_EQ(s.client.data[1], "");  // no error
  EXPECT_EQ(s.client.data[5], "");
  s.end();
}

TEST(PortForward, ARefusedPortIsReportedOnTheErrorStream) {
  Session s([](uint16_t port) -> Result<UniqueFd> {
    return fail("error forwarding port " + std::to_string(port) + " to pod p, uid : refused");
  });
  s.client.send(syn(1, "error", "81", "0"));
  s.client.send(syn(3, "data", "81", "0"));
  ASSERT_TRUE(s.client.read_until([&] { return s.client.fin[1] && s.client.fin[3]; }));
  EXPECT_EQ(s.client.data[1], "error forwarding port 81 to pod p, uid : refused");
  EXPECT_EQ(s.client.data[3], "");
  // The session goes on: the next request still gets its replies.
  s.client.controls.clear();
  s.client.send(syn(5, "error", "82", "1"));
  ASSERT_TRUE(s.client.read_until([&] { return !s.client.controls.empty(); }));
  EXPECT_EQ(s.client.controls[0].type, spdy::Type::SynReply);
  s.end();
}

TEST(PortForward, GarbageEndsTheSessionWithGoAway) {
  Session s(connect_local);
  ASSERT_TRUE(runtime::send_all(s.client.fd.get(), std::string("\x80\x03\x00\x01\xff\xff\xff\xff garbage", 16)));
  ASSERT_TRUE(s.client.read_until([&] { return !s.client.controls.empty(); }));
  EXPECT_EQ(s.client.controls[0].type, spdy::Type::GoAway);
  s.relay.join();  // the relay ended on its own
}

}  // namespace
}  // namespace lab::server
