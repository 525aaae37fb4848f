// The daemon's HTTP server against slow, half-open and too many clients: a connection that is
// still sending costs no thread, is closed at its read deadline, the worker pool stays bounded,
// watches have their own limit, and what is over a limit gets kube-apiserver's 429. Plus the
// client's side: a server that does not answer fails a call at its timeout instead of hanging.
#include "lab/server/http_server.h"
#include "lab/server/http_request.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

namespace lab::server {
namespace {

using namespace std::chrono_literals;

size_t thread_count() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// Polls cond every 5 ms for up to 10 s (a hang guard, not a timing check).
template <typename F>
bool eventually(F cond) {
  for (int i = 0; i < 2000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

UniqueFd connect_to(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  return fd;
}

void send_text(int fd, const std::string& s) { ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }

// Everything the server sends until it closes (or 10 s pass: a hang guard). The requests say
// "Connection: close": the server keeps HTTP/1.1 connections alive otherwise.
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return out + "<no answer>";
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// A gate the handler waits at, so that a test can hold workers busy.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits, HttpServer::Handler handler) {
    char tmpl[] = "/tmp/lab-http-server-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/api.sock";
    auto l = listen_unix(path_);
    ASSERT_TRUE(l.has_value()) << l.error().what();
    listener_ = std::move(*l);
    stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    server_ = std::make_unique<HttpServer>(limits, std::move(handler));
    loop_ = std::thread([this] { EXPECT_TRUE(server_->run(listener_.get(), stop_fd_.get()).has_value()); });
  }
  void TearDown() override {
    gate_.release();  // a test that failed while holding workers at the gate
    if (server_) {
      uint64_t one = 1;
      EXPECT_EQ(::write(stop_fd_.get(), &one, sizeof one), 8);
      loop_.join();
      server_->stop(2s);
      server_.reset();
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  static void answer_ok(Connection& conn, const Result<HttpRequest>& req) {
    (void)conn.send(HttpResponse{req ? 200 : 400, req ? "{\"path\":\"" + req->path + "\"}" : "{}"});
  }
  std::string get(const std::string& target) {
    auto resp = http_call(path_, "GET", target);
    return resp ? std::to_string(resp->status) + " " + resp->body : "error: " + resp.error().what();
  }

  Gate gate_;  // outlives the server's threads, which may wait at it
  std::string dir_, path_;
  UniqueFd listener_, stop_fd_;
  std::unique_ptr<HttpServer> server_;
  std::thread loop_;
};

TEST_F(ServerTest, HalfOpenConnectionsCostNoThreadAndOthersAreStillAnswered) {
  ServerLimits limits;
  limits.workers = 4;
  start(limits, answer_ok);
  ASSERT_EQ(get("/version"), "200 {\"path\":\"/version\"}");
  const size_t threads = thread_count();
  std::vector<UniqueFd> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(connect_to(path_));
    if (i % 2) send_text(slow.back().get(), "GET /api/v1/pods HTTP/1.1\r\nHost: la");  // a partial request
  }
  ASSERT_TRUE(eventually([&] { return server_->stats().reading == 200; }));
  EXPECT_EQ(thread_count(), threads);
  EXPECT_EQ(get("/api/v1/pods"), "200 {\"path\":\"/api/v1/pods\"}");
  EXPECT_TRUE(eventually([&] { return server_->stats().busy == 0; }));
}

TEST_F(ServerTest, ARequestNotWholeByTheReadDeadlineIsClosed) {
  ServerLimits limits;
  limits.read_timeout = 200ms;
  start(limits, answer_ok);
  auto silent = connect_to(path_);
  auto partial = connect_to(path_);
  send_text(partial.get(), "POST /api/v1/pods HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"a\"");
  // The server closes both without an answer (as Go's server does at its read timeout).
  EXPECT_EQ(read_all(silent.get()), "");
  EXPECT_EQ(read_all(partial.get()), "");
  EXPECT_TRUE(eventually([&] { return server_->stats().reading == 0; }));
  EXPECT_EQ(server_->stats().closed_slow, 2u);
}

TEST_F(ServerTest, ARequestSentByteByByteIsAnswered) {
  start(ServerLimits{}, answer_ok);
  auto fd = connect_to(path_);
  for (char c : std::string("GET /slowly HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")) {
    send_text(fd.get(), std::string(1, c));
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_NE(read_all(fd.get()).find("{\"path\":\"/slowly\"}"), std::string::npos);
}

TEST_F(ServerTest, AMalformedRequestGoesToTheHandlerAsItsError) {
  std::atomic<int> reason{-1};
  start(ServerLimits{}, [&](Connection& conn, const Result<HttpRequest>& req) {
    reason = req ? -2 : static_cast<int>(req.error().reason);
    answer_ok(conn, req);
  });
  auto fd = connect_to(path_);
  send_text(fd.get(), "GET /x%zz HTTP/1.1\r\n\r\n");
  EXPECT_NE(read_all(fd.get()).find("HTTP/1.1 400"), std::string::npos);
  EXPECT_EQ(reason.load(), static_cast<int>(Reason::BadRequest));
}

TEST_F(ServerTest, TheWorkerPoolIsBoundedAndAFullQueueIsAnswered429) {
  Gate& gate = gate_;
  ServerLimits limits;
  limits.workers = 2;
  limits.queue = 1;
  start(limits, [&](Connection& conn, const Result<HttpRequest>& req) {
    gate.wait();
    answer_ok(conn, req);
  });
  const size_t threads = thread_count();
  std::vector<UniqueFd> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(connect_to(path_));
    send_text(held.back().get(), "GET /held HTTP/1.1\r\nConnection: close\r\n\r\n");
  }
  ASSERT_TRUE(eventually([&] { return server_->stats().busy == 2; }));
  held.push_back(connect_to(path_));
  send_text(held.back().get(), "GET /queued HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return server_->stats().queued == 1; }));
  auto over = connect_to(path_);
  send_text(over.get(), "GET /over HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string refused = read_all(over.get());
  EXPECT_NE(refused.find("HTTP/1.1 429 Too Many Requests\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("\"reason\":\"TooManyRequests\""), std::string::npos) << refused;
  EXPECT_NE(refused.find("\"message\":\"Too many requests, please try again later.\""), std::string::npos);
  EXPECT_EQ(thread_count(), threads);
  gate.release();
  for (auto& fd : held) EXPECT_NE(read_all(fd.get()).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(server_->stats().refused, 1u);
}

TEST_F(ServerTest, WatchesHaveTheirOwnLimitAndDoNotStarveThePool) {
  Gate& gate = gate_;
  ServerLimits limits;
  limits.workers = 1;
  limits.streams = 2;
  start(limits, [&](Connection& conn, const Result<HttpRequest>& req) {
    if (req && is_long_running(*req)) gate.wait();
    answer_ok(conn, req);
  });
  std::vector<UniqueFd> watches;
  for (const char* target : {"/api/v1/pods?watch=true", "/api/v1/namespaces/default/pods/p/log?follow=true"}) {
    watches.push_back(connect_to(path_));
    send_text(watches.back().get(), std::string("GET ") + target + " HTTP/1.1\r\nConnection: close\r\n\r\n");
  }
  ASSERT_TRUE(eventually([&] { return server_->stats().streams == 2; }));
  // The one worker is free for ordinary requests; a third stream is refused.
  EXPECT_EQ(get("/api/v1/pods"), "200 {\"path\":\"/api/v1/pods\"}");
  auto third = connect_to(path_);
  send_text(third.get(), "GET /api/v1/pods?watch=1 HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(read_all(third.get()).find("HTTP/1.1 429"), std::string::npos);
  gate.release();
  for (auto& fd : watches) EXPECT_NE(read_all(fd.get()).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return server_->stats().streams == 0; }));
}

TEST_F(ServerTest, StopEndsStreamsThatWouldRunForEver) {
  std::atomic<bool> stream_ended{false};
  start(ServerLimits{}, [&](Connection& conn, const Result<HttpRequest>&) {
    if (!conn.start_stream(200, "application/json")) return;
    // Waits until the server shuts the socket down (the client never closes it).
    while (!conn.peer_closed()) std::this_thread::sleep_for(5ms);
    stream_ended = true;
  });
  auto watch = connect_to(path_);
  send_text(watch.get(), "GET /api/v1/pods?watch=true HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return server_->stats().streams == 1; }));
  // Stop only once the head has reached the client: the handler is then past writing it (a stop
  // before would fail that write and end the handler early, not in the read this test is about).
  std::string head;
  char buf[256];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(watch.get(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    head.append(buf, static_cast<size_t>(n));
  }
  uint64_t one = 1;
  ASSERT_EQ(::write(stop_fd_.get(), &one, sizeof one), 8);
  loop_.join();
  EXPECT_EQ(server_->stop(5s), 0u);
  EXPECT_TRUE(stream_ended);
  server_.reset();
}

TEST(HttpClient, AServerThatDoesNotAnswerTimesOut) {
  char tmpl[] = "/tmp/lab-http-client-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/api.sock";
  auto listener = listen_unix(path);  // listens, never accepts: a stopped daemon
  ASSERT_TRUE(listener.has_value());
  set_client_timeout(200ms, true);
  auto resp = http_call(path, "GET", "/api/v1/pods");
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, ETIMEDOUT);
  EXPECT_NE(resp.error().message.find("Client.Timeout exceeded while awaiting headers"), std::string::npos)
      << resp.error().message;
  auto stream = http_stream(path, "GET", "/api/v1/pods?watch=true", [](const std::string&) { return true; });
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code, ETIMEDOUT);
  set_client_timeout(0ms, false);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
}

TEST(HttpRequestReader, PiecesMakeTheSameRequest) {
  const std::string raw = "POST /api/v1/pods?labelSelector=a%3Db HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, raw.size()}) {
    RequestParser reader;
    bool done = false;
    for (size_t off = 0; off < raw.size() && !done; off += step)
      done = reader.add(raw.data() + off, std::min(step, raw.size() - off));
    ASSERT_TRUE(done) << step;
    auto req = reader.take();
    ASSERT_TRUE(req.has_value()) << req.error().what();
    EXPECT_EQ(req->path, "/api/v1/pods");
    EXPECT_EQ(req->query.at("labelSelector"), "a=b");
    EXPECT_EQ(req->body, "{}");
  }
}

TEST(HttpRequestReader, AHugeHeadIsRefusedBeforeItEnds) {
  RequestParser reader;
  const std::string piece(64 << 10, 'a');
  bool done = reader.add("GET /x HTTP/1.1\r\nX: ", 20);
  for (int i = 0; i < 20 && !done; ++i) done = reader.add(piece.data(), piece.size());
  ASSERT_TRUE(done);
  auto msg = reader.take();
  ASSERT_FALSE(msg.has_value());
  EXPECT_EQ(msg.error().reason, Reason::BadRequest);
}

}  // namespace
}  // namespace lab::server
