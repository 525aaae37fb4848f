// kubectl 1.29's exec/attach over SPDY/3.1 (lab/server/remote_command_spdy.h): the upgrade's
// protocol choice, the client's frames as the process side's, the closing frames, a whole session
// relayed between a SPDY client (built on lab/server/spdy.h, as spdystream speaks) and a fake
// process side, and sessions with bad input that end with a log line while the server goes on.
#include "lab/server/remote_command_spdy.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab/server/http_server.h"
#include "runtime/attach.h"
#include "tests/unit/fake_process_side.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;
using runtime::Channel;

RemoteCommand command(bool stdin, bool tty) {
  RemoteCommand rc;
  rc.exec = true;
  rc.command = {"sh"};
  rc.stdin = stdin;
  rc.stdout = true;
  rc.stderr = !tty;
  rc.tty = tty;
  return rc;
}

spdy::Frame syn(uint32_t id, const std::string& type, uint8_t flags = 0) {
  spdy::Frame f;
  f.type = spdy::Type::SynStream;
  f.stream_id = id;
  f.flags = flags;
  f.headers = {{"streamtype", type}};
  return f;
}

spdy::Frame data(uint32_t id, std::string bytes, uint8_t flags = 0) { return spdy::data_frame(id, std::move(bytes), flags); }

TEST(RemoteCommandSpdy, TheUpgradeNamesV4WhenOffered) {
  EXPECT_EQ(pick_stream_protocol("v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io"),
            "v4.channel.k8s.io");
  EXPECT_EQ(pick_stream_protocol("v5.channel.k8s.io,v4.channel.k8s.io"), "v4.channel.k8s.io");
  EXPECT_EQ(pick_stream_protocol("v3.channel.k8s.io, channel.k8s.io"), "");
  EXPECT_EQ(pick_stream_protocol(""), "");
  HttpRequest req;
  req.headers["upgrade"] = "SPDY/3.1";
  EXPECT_TRUE(wants_spdy(req));
  req.headers["upgrade"] = "websocket";
  EXPECT_FALSE(wants_spdy(req));
  auto h = spdy_upgrade_headers("v4.channel.k8s.io");
  EXPECT_EQ(h, (std::vector<std::pair<std::string, std::string>>{
                   {"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}, {"X-Stream-Protocol-Version", "v4.channel.k8s.io"}}));
}

TEST(RemoteCommandSpdy, TheStreamsExpectedAreTheKubeletsCount) {
  EXPECT_EQ(expected_streams(command(false, false)), 3u);  // error, stdout, stderr
  EXPECT_EQ(expected_streams(command(true, false)), 4u);
  EXPECT_EQ(expected_streams(command(true, true)), 4u);  // error, stdin, stdout, resize
  auto bad = stream_kind({{"streamtype", "bogus"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().what(), "unexpected stream type: \"bogus\"");
  EXPECT_FALSE(stream_kind({}).has_value());
}

TEST(RemoteCommandSpdy, ClientFramesBecomeRepliesAndProcessFrames) {
  SpdyClientFrames s(command(true, true));
  for (auto [id, type] : std::vector<std::pair<uint32_t, std::string>>{{1, "error"}, {3, "stdin"}, {5, "stdout"}}) {
    auto out = s.handle(syn(id, type));
    ASSERT_TRUE(out.has_value());
    ASSERT_EQ(out->replies.size(), 1u);
    EXPECT_EQ(out->replies[0].type, spdy::Type::SynReply);
    EXPECT_EQ(out->replies[0].stream_id, id);
    EXPECT_FALSE(s.ready());
  }
  ASSERT_TRUE(s.handle(syn(7, "resize")).has_value());
  EXPECT_TRUE(s.ready());
  EXPECT_EQ(s.id(StreamKind::Stdin), 3u);
  EXPECT_EQ(s.id(StreamKind::Stderr), 0u);
  // A size split over two frames, then two in one.
  EXPECT_EQ(s.handle(data(7, "{\"Width\":80,"))->to_process, "");
  EXPECT_EQ(s.handle(data(7, "\"Height\":24}\n"))->to_process,
            runtime::encode_frame(Channel::Resize, runtime::encode_resize({80, 24})));
  EXPECT_EQ(s.handle(data(7, "{\"Width\":1,\"Height\":2}\n{\"Width\":3,\"Height\":4}\n"))->to_process,
            runtime::encode_frame(Channel::Resize, runtime::encode_resize({1, 2})) +
                runtime::encode_frame(Channel::Resize, runtime::encode_resize({3, 4})));
  EXPECT_EQ(s.handle(data(3, "hi"))->to_process, runtime::encode_frame(Channel::Stdin, "hi"));
  EXPECT_EQ(s.handle(data(3, "", spdy::kFlagFin))->to_process, runtime::encode_frame(Channel::CloseStdin, ""));
  // Once closed, stdin stays closed (a RST after the FIN, as kubectl's close sends, adds nothing).
  spdy::Frame rst;
  rst.type = spdy::Type::RstStream;
  rst.stream_id = 3;
  rst.value = spdy::kCancel;
  EXPECT_EQ(s.handle(rst)->to_process, "");
  // The client's pings come back; data on streams the server writes means nothing.
  spdy::Frame ping;
  ping.type = spdy::Type::Ping;
  ping.value = 5;
  auto pong = s.handle(ping);
  ASSERT_EQ(pong->replies.size(), 1u);
  EXPECT_EQ(pong->replies[0].value, 5u);
  EXPECT_EQ(s.handle(data(5, "x"))->to_process, "");
  spdy::Frame away;
  away.type = spdy::Type::GoAway;
  EXPECT_TRUE(s.handle(away)->end);

  auto last = closing_frames(s, "{\"status\":\"Success\"}");
  ASSERT_EQ(last.size(), 5u);
  EXPECT_EQ(last[0].stream_id, 1u);
  EXPECT_EQ(last[0].data, "{\"status\":\"Success\"}");
  EXPECT_FALSE(last[0].fin());
  for (size_t i = 1; i < last.size(); ++i) EXPECT_TRUE(last[i].fin() && last[i].data.empty());
}

TEST(RemoteCommandSpdy, ProtocolErrorsEndTheSession) {
  SpdyClientFrames s(command(true, true));
  EXPECT_FALSE(s.handle(syn(2, "error")).has_value());  // even: a server's id
  ASSERT_TRUE(s.handle(syn(3, "error")).has_value());
  EXPECT_FALSE(s.handle(syn(3, "stdin")).has_value());  // not above the last
  EXPECT_FALSE(s.handle(syn(5, "error")).has_value());  // a second error stream
  EXPECT_FALSE(s.handle(syn(7, "bogus")).has_value());
  ASSERT_TRUE(s.handle(syn(9, "resize")).has_value());
  EXPECT_FALSE(s.handle(data(9, "not a size\n")).has_value());
  EXPECT_FALSE(s.handle(data(9, "{\"Width\":99999,\"Height\":1}\n")).has_value());
  SpdyClientFrames t(command(true, true));
  ASSERT_TRUE(t.handle(syn(1, "resize")).has_value());
  EXPECT_FALSE(t.handle(data(1, std::string(5000, '{'))).has_value());  // a line that never ends
}

// ---- whole sessions through the daemon's HTTP server ----

struct Fixture {
  std::string dir, path;
  UniqueFd ours, process, stop;
  std::unique_ptr<HttpServer> server;
  std::thread serving;
  std::optional<UniqueFd> listener;

  Fixture() {
    char tmpl[] = "/tmp/lab-remote-command-spdy-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir + "/api.sock";
    auto l = listen_unix(path);
    EXPECT_TRUE(l.has_value());
    listener.emplace(std::move(*l));
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ours.reset(sv[0]);
    process.reset(sv[1]);
    server = std::make_unique<HttpServer>(
        ServerLimits{},
        [this](Connection& conn, const Result<HttpRequest>& req) {
          ASSERT_TRUE(req.has_value());
          if (!wants_spdy(*req)) {
            send_or_log(conn, HttpResponse{200, "alive"});
            return;
          }
          auto rc = parse_remote_command(*req, true);
          ASSERT_TRUE(rc.has_value());
          auto raw = conn.accept_upgrade(spdy_upgrade_headers(pick_stream_protocol(req->header("x-stream-protocol-version"))));
          ASSERT_TRUE(raw.has_value());
          relay_spdy_session(**raw, ours.get(), *rc);
        },
        HttpServer::Gate{});
    stop.reset(::eventfd(0, EFD_CLOEXEC));
    serving = std::thread([this] { EXPECT_TRUE(server->run({Listener{listener->get()}}, stop.get()).has_value()); });
  }
  ~Fixture() {
    uint64_t one = 1;
    EXPECT_EQ(::write(stop.get(), &one, sizeof one), 8);
    serving.join();
    server->stop(std::chrono::seconds(2));
    std::filesystem::remove_all(dir);
  }

  UniqueFd connect() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{10, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
};

void send_bytes(int fd, const std::string& s) { ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), (ssize_t)s.size()); }

// The upgrade request kubectl 1.29 sends, and the response head it gets; what follows the head.
std::string upgrade(int fd, std::string* head) {
  send_bytes(fd,
             "POST /api/v1/namespaces/default/pods/p/exec?command=cat&stdin=true&stdout=true&stderr=true HTTP/1.1\r\n"
             "Host: lab\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
             "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: v3.channel.k8s.io\r\n"
             "Content-Length: 0\r\n\r\n");
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  size_t end = got.find("\r\n\r\n");
  if (end == std::string::npos) return "";
  *head = got.substr(0, end);
  return got.substr(end + 4);
}

// Reads frames until the server closes the connection.
std::vector<spdy::Frame> read_until_closed(int fd, spdy::Decoder& dec, std::string first = "") {
  std::vector<spdy::Frame> frames;
  dec.feed(first);
  char buf[4096];
  for (;;) {
    for (;;) {
      auto f = dec.next();
      EXPECT_TRUE(f.has_value());
      if (!f || !*f) break;
      frames.push_back(**f);
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    dec.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  return frames;
}

TEST(RemoteCommandSpdy, ASessionRelaysBothWaysThenSendsTheStatusAndFinishesEveryStream) {
  Fixture fx;
  std::vector<runtime::Frame> got;
  std::thread side([&] { got = lab::testing::fake_process_side(fx.process.get()); });

  UniqueFd fd = fx.connect();
  std::string head;
  std::string rest = upgrade(fd.get(), &head);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 Switching Protocols")) << head;
  EXPECT_NE(head.find("Upgrade: SPDY/3.1"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: v4.channel.k8s.io"), std::string::npos) << head;

  // As client-go's v4: error, stdin, stdout, stderr; then stdin and its end, and a ping.
  spdy::Encoder enc;
  std::string out;
  for (const auto& f : {syn(1, "error"), syn(3, "stdin"), syn(5, "stdout"), syn(7, "stderr")}) out += *enc.encode(f);
  spdy::Frame ping;
  ping.type = spdy::Type::Ping;
  ping.value = 1;
  out += *enc.encode(ping);
  out += *enc.encode(data(3, "hello"));
  out += *enc.encode(data(3, "", spdy::kFlagFin));
  send_bytes(fd.get(), out);

  // kubectl closes once every stream has finished; this client reads until then and closes.
  spdy::Decoder dec;
  std::vector<spdy::Frame> frames;
  dec.feed(rest);
  std::set<uint32_t> finished;
  char buf[4096];
  while (finished.size() < 4) {
    auto f = dec.next();
    ASSERT_TRUE(f.has_value());
    if (*f) {
      frames.push_back(**f);
      if ((*f)->type == spdy::Type::Data && (*f)->fin()) finished.insert((*f)->stream_id);
      continue;
    }
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "the server closed before finishing every stream";
    dec.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  fd.reset();
  side.join();

  std::vector<uint32_t> replies;
  std::string stdout_bytes, stderr_bytes, status;
  bool ponged = false;
  for (const auto& f : frames) {
    if (f.type == spdy::Type::SynReply) replies.push_back(f.stream_id);
    if (f.type == spdy::Type::Ping) ponged = f.value == 1;
    if (f.type == spdy::Type::Data && f.stream_id == 5) stdout_bytes += f.data;
    if (f.type == spdy::Type::Data && f.stream_id == 7) stderr_bytes += f.data;
    if (f.type == spdy::Type::Data && f.stream_id == 1) status += f.data;
  }
  EXPECT_EQ(replies, (std::vector<uint32_t>{1, 3, 5, 7}));
  EXPECT_TRUE(ponged);
  EXPECT_EQ(stdout_bytes, "out:hello");
  EXPECT_EQ(stderr_bytes, "err");
  auto s = Json::parse(status, nullptr, false);
  EXPECT_EQ(s["reason"], "NonZeroExitCode");
  EXPECT_EQ(s["details"]["causes"][0]["message"], "3");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].channel, Channel::Stdin);
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[1].channel, Channel::CloseStdin);
}

// A command that writes and exits before the client has opened every stream (`sh -c 'echo x >&2;
// exit 3'`): its output waits until the last stream's SYN_REPLY is written, since spdystream drops
// DATA on a stream it has no reply for yet (kubectl 1.29 lost such stderr about once in 30).
TEST(RemoteCommandSpdy, NoOutputPrecedesItsStreamsReply) {
  for (int round = 0; round < 200; ++round) {
    Fixture fx;
    for (const auto& f : {runtime::encode_frame(Channel::Stdout, "out"), runtime::encode_frame(Channel::Stderr, "err"),
                          runtime::encode_frame(Channel::Status, runtime::encode_status({3, ""}))})
      ASSERT_EQ(::send(fx.process.get(), f.data(), f.size(), MSG_NOSIGNAL), static_cast<ssize_t>(f.size()));
    UniqueFd fd = fx.connect();
    std::string head;
    std::string rest = upgrade(fd.get(), &head);
    ASSERT_TRUE(head.starts_with("HTTP/1.1 101")) << head;
    spdy::Encoder enc;
    std::string out;
    for (const auto& f : {syn(1, "error"), syn(3, "stdin", spdy::kFlagFin), syn(5, "stdout"), syn(7, "stderr")})
      out += *enc.encode(f);
    send_bytes(fd.get(), out);

    spdy::Decoder dec;
    dec.feed(rest);
    std::set<uint32_t> replied, finished;
    std::string stderr_bytes;
    char buf[4096];
    while (finished.size() < 4) {
      auto f = dec.next();
      ASSERT_TRUE(f.has_value());
      if (*f) {
        const spdy::Frame& frame = **f;
        if (frame.type == spdy::Type::SynReply) replied.insert(frame.stream_id);
        if (frame.type == spdy::Type::Data) {
          ASSERT_TRUE(replied.contains(frame.stream_id))
              << "round " << round << ": DATA on stream " << frame.stream_id << " before its SYN_REPLY";
          if (frame.stream_id == 7) stderr_bytes += frame.data;
          if (frame.fin()) finished.insert(frame.stream_id);
        }
        continue;
      }
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      ASSERT_GT(n, 0) << "the server closed before finishing every stream";
      dec.feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    EXPECT_EQ(stderr_bytes, "err");
  }
}

// Bad input after the upgrade: the session ends (the process side sees the client go, the
// connection closes, a GOAWAY says why when the framing still allows it) and the server answers
// the next client.
void bad_session(const std::string& bytes, const std::string& logged) {
  Fixture fx;
  UniqueFd fd = fx.connect();
  std::string head;
  std::string rest = upgrade(fd.get(), &head);
  ASSERT_TRUE(head.starts_with("HTTP/1.1 101")) << head;
  ::testing::internal::CaptureStderr();
  send_bytes(fd.get(), bytes);
  spdy::Decoder dec;
  auto frames = read_until_closed(fd.get(), dec, rest);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("exec/attach: SPDY: " + logged), std::string::npos) << log;
  EXPECT_NE(log.find("; ending the session"), std::string::npos) << log;
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().type, spdy::Type::GoAway);
  EXPECT_EQ(frames.back().value, spdy::kGoAwayProtocolError);
  // The process side saw the client go.
  pollfd p{fx.process.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char c;
  EXPECT_EQ(::recv(fx.process.get(), &c, 1, MSG_DONTWAIT), 0);
  // And the server goes on.
  UniqueFd next = fx.connect();
  send_bytes(next.get(), "GET /healthz HTTP/1.1\r\nHost: lab\r\n\r\n");
  char buf[512];
  ssize_t n = ::recv(next.get(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("alive"), std::string::npos);
}

TEST(RemoteCommandSpdy, AMalformedFrameEndsTheSession) {
  // HTTP where frames belong: a "data frame" far too long.
  bad_session("GET / HTTP/1.1\r\n\r\n", "a data frame of");
}

TEST(RemoteCommandSpdy, AHugeHeaderBlockEndsTheSession) {
  spdy::Encoder enc;
  bad_session(*enc.encode(syn(1, std::string(200000, 'x'))), "SYN_STREAM: header block: more than 65536 bytes");
}

TEST(RemoteCommandSpdy, AnUnknownStreamTypeEndsTheSession) {
  spdy::Encoder enc;
  std::string bytes = *enc.encode(syn(1, "error"));  // in order: one compressed stream
  bytes += *enc.encode(syn(3, "bogus"));
  bad_session(bytes, "unexpected stream type: \"bogus\"");
}

}  // namespace
}  // namespace lab::server
