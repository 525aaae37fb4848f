// pods/log's options, tails and end of a followed run (lab/server/pod_logs.h).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "lab/server/pod_logs.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

// A temporary file holding text, open for reading.
struct TextFile {
  std::string path;
  int fd = -1;
  explicit TextFile(const std::string& text) {
    char tmpl[] = "/tmp/pod_logs_test.XXXXXX";
    fd = ::mkstemp(tmpl);
    path = tmpl;
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  ~TextFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  std::string tail(int64_t n) const {
    auto off = server::tail_offset(fd, n);
    EXPECT_TRUE(off);
    std::string all;
    char buf[256];
    ssize_t r;
    off_t at = *off;
    while ((r = ::pread(fd, buf, sizeof buf, at)) > 0) all.append(buf, static_cast<size_t>(r)), at += r;
    return all;
  }
};

}  // namespace

TEST(PodLogs, Options) {
  auto o = server::log_options({{"follow", "true"}, {"tailLines", "2"}, {"container", "c"}});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->follow);
  EXPECT_FALSE(o->previous);
  EXPECT_EQ(o->tail_lines, 2);
  EXPECT_FALSE(o->limit_bytes);
  EXPECT_FALSE(server::log_options({})->follow);
  auto neg = server::log_options({{"tailLines", "-1"}});
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().reason, Reason::Invalid);
  EXPECT_NE(neg.error().message.find("tailLines: Invalid value: -1"), std::string::npos);
  auto bad = server::log_options({{"limitBytes", "x"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().reason, Reason::BadRequest);
  EXPECT_FALSE(server::log_options({{"limitBytes", "0"}}));
}

TEST(PodLogs, TailCountsLines) {
  TextFile f("line 1\nline 2\nline 3\n");
  EXPECT_EQ(f.tail(0), "");
  EXPECT_EQ(f.tail(1), "line 3\n");
  EXPECT_EQ(f.tail(2), "line 2\nline 3\n");
  EXPECT_EQ(f.tail(3), "line 1\nline 2\nline 3\n");
  EXPECT_EQ(f.tail(10), "line 1\nline 2\nline 3\n");
  TextFile open_end("a\nb");  // a last line without its newline is a line
  EXPECT_EQ(open_end.tail(1), "b");
  EXPECT_EQ(open_end.tail(2), "a\nb");
  TextFile empty("");
  EXPECT_EQ(empty.tail(5), "");
  TextFile blank("\n\n\n");
  EXPECT_EQ(blank.tail(2), "\n\n");
}

TEST(PodLogs, TailAcrossBlocks) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + "\n";
  TextFile f(text);
  EXPECT_EQ(f.tail(2), "line 19998\nline 19999\n");
  std::string last = f.tail(15000);
  EXPECT_TRUE(last.starts_with("line 5000\n"));
  EXPECT_TRUE(last.ends_with("line 19999\n"));
}

TEST(PodLogs, TerminatedAndReplaced) {
  Json pod = {{"status",
               {{"containerStatuses",
                 Json::array({{{"name", "a"}, {"state", {{"running", {{"startedAt", "x"}}}}}},
                              {{"name", "b"}, {"state", {{"terminated", {{"exitCode", 0}}}}}}})}}}};
  EXPECT_FALSE(server::container_terminated(pod, "a"));
  EXPECT_TRUE(server::container_terminated(pod, "b"));
  EXPECT_FALSE(server::container_terminated(pod, "c"));
  EXPECT_FALSE(server::container_terminated(Json::object(), "a"));
  EXPECT_FALSE(server::container_terminated(Json{{"status", "bad"}}, "a"));

  TextFile f("x\n");
  EXPECT_FALSE(server::log_replaced(f.fd, f.path));
  std::string moved = f.path + ".previous";
  ASSERT_EQ(::rename(f.path.c_str(), moved.c_str()), 0);
  EXPECT_TRUE(server::log_replaced(f.fd, f.path));  // gone
  int fresh = ::open(f.path.c_str(), O_CREAT | O_WRONLY, 0600);
  EXPECT_TRUE(server::log_replaced(f.fd, f.path));  // a new run's file
  ::close(fresh);
  ::unlink(moved.c_str());
}
