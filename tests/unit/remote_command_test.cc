// kubectl exec/attach's websocket protocol (lab/server/remote_command.h): the query, the
// subprotocol choice, the channel translation both ways, the status channel's Status, and a
// whole session relayed between a Beast websocket client (as kubectl) and a fake process side.
#include "lab/server/remote_command.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab/server/http_server.h"
#include "runtime/attach.h"
#include "tests/unit/fake_process_side.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;
using runtime::Channel;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

HttpRequest exec_request(const std::string& target) {
  HttpRequest req;
  EXPECT_TRUE(parse_target(target, req).has_value());
  return req;
}

TEST(RemoteCommand, EveryCommandWordIsKeptInOrder) {
  auto req = exec_request(
      "/api/v1/namespaces/default/pods/p/exec?command=curl&command=-s&command=https%3A%2F%2Fmy-nginx&container=c"
      "&stderr=true&stdout=true");
  auto rc = parse_remote_command(req, true);
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(rc->command, (std::vector<std::string>{"curl", "-s", "https://my-nginx"}));
  EXPECT_EQ(rc->container, "c");
  EXPECT_TRUE(rc->stdout && rc->stderr);
  EXPECT_FALSE(rc->stdin || rc->tty);
}

TEST(RemoteCommand, AnExecWithoutCommandOrStreamsIsRefusedAsTheKubeletRefusesIt) {
  auto none = parse_remote_command(exec_request("/x/exec?stdout=true"), true);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().reason, Reason::BadRequest);
  EXPECT_EQ(none.error().message, "you must specify at least 1 command");
  auto quiet = parse_remote_command(exec_request("/x/exec?command=ls"), true);
  ASSERT_FALSE(quiet.has_value());
  EXPECT_EQ(quiet.error().message, "you must specify at least one of stdin, stdout, stderr");
  // attach has no command.
  EXPECT_TRUE(parse_remote_command(exec_request("/x/attach?stdin=true&stdout=true&tty=true"), false).has_value());
}

TEST(RemoteCommand, ATerminalHasNoStderrChannel) {
  auto rc = parse_remote_command(exec_request("/x/exec?command=sh&stdin=true&stdout=true&stderr=true&tty=true"), true);
  ASSERT_TRUE(rc.has_value());
  EXPECT_FALSE(rc->stderr);
  auto out = frame_message({Channel::Stderr, "e"}, *rc);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, std::string("\1e"));
}

TEST(RemoteCommand, V5IsPreferredThenV4AndNothingElse) {
  EXPECT_EQ(pick_channel_protocol("v5.channel.k8s.io"), "v5.channel.k8s.io");
  EXPECT_EQ(pick_channel_protocol("v4.channel.k8s.io, v5.channel.k8s.io"), "v5.channel.k8s.io");
  EXPECT_EQ(pick_channel_protocol("channel.k8s.io,v4.channel.k8s.io"), "v4.channel.k8s.io");
  EXPECT_EQ(pick_channel_protocol("v3.channel.k8s.io, base64.channel.k8s.io"), "");
  EXPECT_EQ(pick_channel_protocol(""), "");
}

TEST(RemoteCommand, ClientChannelsBecomeFrames) {
  EXPECT_EQ(*client_message_frames(std::string("\0hi", 3), true), runtime::encode_frame(Channel::Stdin, "hi"));
  EXPECT_EQ(*client_message_frames("\4{\"Width\":80,\"Height\":24}\n", true),
            runtime::encode_frame(Channel::Resize, runtime::encode_resize({80, 24})));
  EXPECT_EQ(*client_message_frames(std::string("\xff\0", 2), true), runtime::encode_frame(Channel::CloseStdin, ""));
  // Closing a stream that is not stdin carries nothing; v4 has no close channel.
  EXPECT_EQ(*client_message_frames("\xff\1", true), "");
  EXPECT_FALSE(client_message_frames(std::string("\xff\0", 2), false).has_value());
  EXPECT_EQ(*client_message_frames("", true), "");
  // Not a size, not a channel: errors, never a throw.
  EXPECT_FALSE(client_message_frames("\4{\"Width\":-1,\"Height\":24}", true).has_value());
  EXPECT_FALSE(client_message_frames("\4not json", true).has_value());
  EXPECT_FALSE(client_message_frames("\4{\"Width\":99999,\"Height\":1}", true).has_value());
  EXPECT_FALSE(client_message_frames("\7x", true).has_value());
}

TEST(RemoteCommand, TheStatusChannelSaysHowTheCommandEnded) {
  EXPECT_EQ(Json::parse(status_message({0, ""}, true)), Json::parse(R"({"metadata":{},"status":"Success"})"));
  EXPECT_EQ(Json::parse(status_message({1, ""}, true)), Json::parse(R"({"metadata":{},"status":"Failure",
      "reason":"NonZeroExitCode","message":"command terminated with non-zero exit code: exit status 1",
      "details":{"causes":[{"reason":"ExitCode","message":"1"}]}})"));
  // An attach ends when the container does: that is a Success (kubectl run reads the exit code
  // from the pod's status).
  EXPECT_EQ(Json::parse(status_message({2, ""}, false))["status"], "Success");
  EXPECT_EQ(Json::parse(status_message({std::nullopt, "the session ended before the container did"}, false))["status"],
            "Success");
  auto failed = Json::parse(status_message({std::nullopt, "exec nope: No such file or directory"}, true));
  EXPECT_EQ(failed["status"], "Failure");
  EXPECT_EQ(failed["message"],
            "Internal error occurred: error executing command in container: exec nope: No such file or directory");
}

// A whole session: kubectl's side is a Beast websocket client, the process side a thread on a
// socketpair speaking attach.h's frames.
TEST(RemoteCommand, ASessionRelaysBothWaysThenSendsTheStatusAndClosesNormally) {
  char tmpl[] = "/tmp/lab-remote-command-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd ours(sv[0]), process(sv[1]);

  HttpServer server(
      ServerLimits{},
      [&](Connection& conn, const Result<HttpRequest>& req) {
        ASSERT_TRUE(req.has_value());
        auto rc = parse_remote_command(*req, true);
        ASSERT_TRUE(rc.has_value());
        auto ws = conn.accept_websocket(pick_channel_protocol(req->header("sec-websocket-protocol")));
        ASSERT_TRUE(ws.has_value());
        relay_session(**ws, ours.get(), *rc, true);
      },
      {});
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  std::thread serving([&] { EXPECT_TRUE(server.run({Listener{listener->get()}}, stop.get()).has_value()); });

  // The fake process side: takes the resize, stdin and its end, then answers.
  std::vector<runtime::Frame> got;
  std::thread side([&] { got = lab::testing::fake_process_side(process.get()); });

  net::io_context ioc;
  net::local::stream_protocol::socket sock(ioc);
  sock.connect(net::local::stream_protocol::endpoint(path));
  websocket::stream<net::local::stream_protocol::socket> ws(std::move(sock));
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& r) { r.set(beast::http::field::sec_websocket_protocol, "v5.channel.k8s.io"); }));
  ws.handshake("lab", "/api/v1/namespaces/default/pods/p/exec?command=cat&stdin=true&stdout=true&stderr=true");
  ws.binary(true);
  for (const std::string& m : {std::string("\4{\"Width\":80,\"Height\":24}\n"), std::string("\0hello", 6),
                               std::string("\xff\0", 2)})
    ws.write(net::buffer(m));
  std::vector<std::string> messages;
  beast::error_code ec;
  for (;;) {
    beast::flat_buffer buf;
    ws.read(buf, ec);
    if (ec) break;
    messages.push_back(beast::buffers_to_string(buf.data()));
  }
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::normal);
  side.join();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], "\1out:hello");
  EXPECT_EQ(messages[1], "\2err");
  ASSERT_EQ(messages[2][0], '\3');
  EXPECT_EQ(Json::parse(messages[2].substr(1))["reason"], "NonZeroExitCode");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].channel, Channel::Resize);
  EXPECT_EQ(runtime::decode_resize(got[0].payload), (runtime::WindowSize{80, 24}));
  EXPECT_EQ(got[1].channel, Channel::Stdin);
  EXPECT_EQ(got[1].payload, "hello");
  EXPECT_EQ(got[2].channel, Channel::CloseStdin);

  uint64_t one = 1;
  EXPECT_EQ(::write(stop.get(), &one, sizeof one), 8);
  serving.join();
  server.stop(std::chrono::seconds(2));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lab::server
