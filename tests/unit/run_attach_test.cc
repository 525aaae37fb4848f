// `lab run`'s flags and Pod (kubectl run's rules and wording), the attach socket's framing and
// the restart policy's verdicts: the pure parts of run/attach.
#include <gtest/gtest.h>

#include "lab/cli/run_options.h"
#include "runtime/attach.h"
#include "runtime/supervisor.h"

namespace lab {
namespace {

using cli::parse_run_args;
using Strings = std::vector<std::string>;

std::string error_of(const Strings& words) {
  auto o = parse_run_args(words);
  EXPECT_FALSE(o.has_value());
  return o ? "" : o.error().what();
}

TEST(RunOptions, TutorialCommands) {
  auto o = parse_run_args({"curl", "--image=radial/busyboxplus:curl", "-i", "--tty", "--rm"});
  ASSERT_TRUE(o) << o.error().what();
  EXPECT_EQ(o->name, "curl");
  EXPECT_TRUE(o->stdin && o->tty && o->remove);
  EXPECT_EQ(o->restart, "Always");  // kubectl's default, even with -i --tty
  auto pod = cli::run_pod_object(*o);
  EXPECT_EQ(pod["metadata"]["labels"], (nlohmann::json{{"run", "curl"}}));
  const auto& c = pod["spec"]["containers"][0];
  EXPECT_EQ(c["name"], "curl");
  EXPECT_EQ(c["image"], "radial/busyboxplus:curl");
  EXPECT_EQ(c["stdin"], true);
  EXPECT_EQ(c["stdinOnce"], true);
  EXPECT_EQ(c["tty"], true);
  EXPECT_FALSE(c.contains("args"));
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(pod["spec"]["dnsPolicy"], "ClusterFirst");

  o = parse_run_args({"t", "--image=busybox", "-i", "--rm", "--restart=Never", "--", "nslookup", "my-nginx"});
  ASSERT_TRUE(o) << o.error().what();
  pod = cli::run_pod_object(*o);
  EXPECT_EQ(pod["spec"]["containers"][0]["args"], (Strings{"nslookup", "my-nginx"}));
  EXPECT_FALSE(pod["spec"]["containers"][0].contains("tty"));
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
}

TEST(RunOptions, CommandEnvLabelsPort) {
  auto o = parse_run_args({"web", "--image", "nginx", "--env", "A=1", "--env=B=x=y", "--labels=app=web,tier=fe",
                           "--port=8080", "--command", "-n", "other", "--", "sh", "-c", "echo $A"});
  ASSERT_TRUE(o) << o.error().what();
  auto pod = cli::run_pod_object(*o);
  const auto& c = pod["spec"]["containers"][0];
  EXPECT_EQ(c["command"], (Strings{"sh", "-c", "echo $A"}));
  EXPECT_FALSE(c.contains("args"));
  EXPECT_EQ(c["env"], (nlohmann::json::array({{{"name", "A"}, {"value", "1"}}, {{"name", "B"}, {"value", "x=y"}}})));
  EXPECT_EQ(c["ports"][0]["containerPort"], 8080);
  EXPECT_EQ(pod["metadata"]["labels"], (nlohmann::json{{"app", "web"}, {"tier", "fe"}}));
  EXPECT_EQ(pod["metadata"]["namespace"], "other");
  EXPECT_FALSE(c.contains("stdin"));
}

TEST(RunOptions, KubectlErrors) {
  EXPECT_TRUE(error_of({"--image=busybox"}).starts_with("NAME is required for run"));
  EXPECT_EQ(error_of({"x"}), "required flag(s) \"image\" not set");
  EXPECT_TRUE(error_of({"x", "--image=busybox", "--rm"}).starts_with("--rm should only be used for attached containers\n"));
  EXPECT_TRUE(error_of({"x", "--image=busybox", "-t"})
                  .starts_with("-i/--stdin is required for containers with -t/--tty=true"));
  EXPECT_TRUE(error_of({"x", "--image=busybox", "--restart=Sometimes"}).starts_with("invalid restart policy: Sometimes"));
  EXPECT_EQ(error_of({"x", "--image=busybox", "--env=NOVALUE"}), "invalid env: NOVALUE");
  EXPECT_EQ(error_of({"x", "--image=busybox", "--labels=a"}), "invalid label spec: a");
  EXPECT_EQ(error_of({"x", "--image=busybox", "--labels=a=1,"}), "invalid label spec: a=1,");
  EXPECT_TRUE(error_of({"x", "--image=busybox", "--port=0"}).starts_with("invalid argument \"0\" for \"--port\""));
  EXPECT_TRUE(error_of({"x", "--image=busybox", "--port=http"}).starts_with("invalid argument"));
  EXPECT_FALSE(error_of({"x", "--image=busybox", "--bogus"}).empty());
  EXPECT_TRUE(error_of({"x", "--image=busybox", "--lab", ""}).starts_with("--lab must name a lab"));
}

TEST(AttachFrames, RoundTrip) {
  using runtime::Channel;
  std::string wire = runtime::encode_frame(Channel::Stdout, "hello") + runtime::encode_frame(Channel::Status, "exit 3") +
                     runtime::encode_frame(Channel::Stdin, "");
  runtime::FrameDecoder d;
  // Byte by byte: frames come whole only once all their bytes have.
  std::vector<runtime::Frame> got;
  for (char ch : wire) {
    d.feed(std::string_view(&ch, 1));
    while (auto f = d.next()) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].channel, Channel::Stdout);
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[1].channel, Channel::Status);
  EXPECT_EQ(runtime::decode_status(got[1].payload).exit_code, 3);
  EXPECT_EQ(got[2].channel, Channel::Stdin);
  EXPECT_EQ(got[2].payload, "");
  EXPECT_FALSE(d.failed());
}

TEST(AttachFrames, OversizedFrameFails) {
  std::string header = {'\x01', '\x7f', '\xff', '\xff', '\xff'};
  runtime::FrameDecoder d;
  d.feed(header);
  EXPECT_FALSE(d.next());
  EXPECT_TRUE(d.failed());
  d.feed(runtime::encode_frame(runtime::Channel::Stdout, "x"));
  EXPECT_FALSE(d.next());  // nothing after a broken frame counts
}

TEST(AttachFrames, ResizeAndStatus) {
  auto size = runtime::decode_resize(runtime::encode_resize({120, 40}));
  ASSERT_TRUE(size);
  EXPECT_EQ(size->cols, 120);
  EXPECT_EQ(size->rows, 40);
  EXPECT_FALSE(runtime::decode_resize("abc"));
  EXPECT_EQ(runtime::decode_status("exit 0").exit_code, 0);
  EXPECT_EQ(runtime::decode_status(runtime::encode_status({std::nullopt, "not running"})).error, "not running");
  EXPECT_FALSE(runtime::decode_status("exit 999").exit_code);
  EXPECT_FALSE(runtime::decode_status("garbage").exit_code);
}

TEST(RestartPolicy, Verdicts) {
  EXPECT_TRUE(runtime::restarts_after("Always", 0));
  EXPECT_TRUE(runtime::restarts_after("Always", 1));
  EXPECT_FALSE(runtime::restarts_after("Never", 1));
  EXPECT_FALSE(runtime::restarts_after("OnFailure", 0));
  EXPECT_TRUE(runtime::restarts_after("OnFailure", 2));
}

}  // namespace
}  // namespace lab
