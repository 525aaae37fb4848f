// The service health server: the response (pure) and one poll() thread for every node's listeners.
#include "lab/node/health_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "lab/base/log.h"
#include "lab/base/thread_name.h"
#include "netns/cidr.h"
#include "netns/netns.h"

namespace lab::node {

namespace {

constexpr int64_t kRequestTimeoutMs = 5000;
constexpr size_t kMaxRequest = 8192;
constexpr size_t kMaxConns = 128;
constexpr int kRetryMs = 1000;  // a listener that could not be opened is tried again

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Go's net/http Date header: RFC 1123 in GMT.
std::string http_date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

void log(const std::string& msg) { log_line("proxy: healthcheck: " + msg); }

// A non-blocking listening socket on ip:port inside the named netns. The calling thread enters
// the netns only for socket(); the socket stays in that netns wherever it is used from.
Result<UniqueFd> listen_in(const std::string& netns_name, const std::string& ip, int port) {
  const std::string where = ip + ":" + std::to_string(port);
  auto addr4 = net::Ipv4::parse(ip);
  if (!addr4) return fail("invalid node address \"" + ip + "\"");
  auto ns = net::Netns::open_named(netns_name);
  if (!ns) return std::unexpected(ns.error());
  UniqueFd fd;
  {
    auto in = net::NetnsSwitch::enter(*ns);
    if (!in) return std::unexpected(in.error());
    fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return fail_errno("socket in " + netns_name);
  }
  // Lets a listener closed a moment ago (a port moved back) open again at once.
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return fail_errno("SO_REUSEADDR on " + where);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(addr4->value);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail_errno("bind " + where);
  if (::listen(fd.get(), 64) != 0) return fail_errno("listen " + where);
  return fd;
}

}  // namespace

std::string health_check_response(const std::string& ns, const std::string& name, int local_endpoints,
                                  bool proxy_healthy) {
  // Names are DNS labels: Go's %q leaves them as they are between quotes.
  const std::string body = "{\n\t\"service\": {\n\t\t\"namespace\": \"" + ns + "\",\n\t\t\"name\": \"" + name +
                           "\"\n\t},\n\t\"localEndpoints\": " + std::to_string(local_endpoints) +
                           ",\n\t\"serviceProxyHealthy\": " + (proxy_healthy ? "true" : "false") + "\n}";
  const bool ok = local_endpoints != 0 && proxy_healthy;
  std::string out = ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n";
  out += "Content-Type: application/json\r\n";
  out += "X-Content-Type-Options: nosniff\r\n";
  out += "X-Load-Balancing-Endpoint-Weight: " + std::to_string(local_endpoints) + "\r\n";
  out += "Date: " + http_date() + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out + body;
}

HealthCheckServer::HealthCheckServer() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

HealthCheckServer::~HealthCheckServer() { stop(); }

void HealthCheckServer::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    name_this_thread("health-check");
    loop();
  });
}

void HealthCheckServer::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void HealthCheckServer::update(std::map<std::string, HealthCheckNode> want) {
  {
    std::lock_guard lock(mu_);
    if (want == want_) return;
    want_ = std::move(want);
  }
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

std::map<std::string, std::vector<int>> HealthCheckServer::listening() const {
  std::lock_guard lock(mu_);
  return listening_;
}

// SyncServices: listeners no longer wanted (or on another port) close, wanted ones open; a
// connection already accepted is still answered (with the current count, or 503 once gone).
void HealthCheckServer::reconcile(const std::map<std::string, HealthCheckNode>& want) {
  auto wanted = [&](const Listener& l) {
    auto n = want.find(l.node);
    if (n == want.end()) return false;
    auto s = n->second.services.find(l.key);
    return s != n->second.services.end() && s->second.port == l.port;
  };
  std::erase_if(listeners_, [&](const Listener& l) { return !wanted(l); });
  for (const auto& [node, n] : want)
    for (const auto& [key, svc] : n.services) {
      bool have = std::any_of(listeners_.begin(), listeners_.end(),
                              [&](const Listener& l) { return l.node == node && l.key == key && l.port == svc.port; });
      if (have) continue;
      auto fd = listen_in(n.netns_name, n.ip, svc.port);
      const std::string id = node + " " + key + " " + std::to_string(svc.port);
      if (!fd) {
        // Retried every second; said once (kube-proxy's FailedToStartServiceHealthcheck).
        if (failing_.insert(id).second)
          log("node " + node + " failed to start healthcheck \"" + key + "\" on port " + std::to_string(svc.port) +
              ": " + fd.error().what());
        continue;
      }
      failing_.erase(id);
      listeners_.push_back({std::move(*fd), node, key, svc.port});
    }
  std::map<std::string, std::vector<int>> now;
  for (const auto& l : listeners_) now[l.node].push_back(l.port);
  std::lock_guard lock(mu_);
  listening_ = std::move(now);
}

void HealthCheckServer::answer(Conn& c, const std::map<std::string, HealthCheckNode>& want) {
  int count = 0;
  if (auto n = want.find(c.node); n != want.end())
    if (auto s = n->second.services.find(c.key); s != n->second.services.end()) count = s->second.local_endpoints;
  const size_t slash = c.key.find('/');
  const std::string reply = health_check_response(c.key.substr(0, slash), c.key.substr(slash + 1), count);
  // A few hundred bytes fit any socket buffer; a client that does not read loses the answer.
  if (::send(c.fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    log("node " + c.node + " \"" + c.key + "\": the client left before the answer: " + std::strerror(errno));
  ::shutdown(c.fd.get(), SHUT_WR);
}

void HealthCheckServer::loop() {
  std::map<std::string, HealthCheckNode> want;
  bool dirty = true;
  int64_t retry_at = 0;
  while (!stop_) {
    if (dirty || (retry_at && now_ms() >= retry_at)) {
      {
        std::lock_guard lock(mu_);
        want = want_;
      }
      reconcile(want);
      size_t wanted = 0;
      for (const auto& [node, n] : want) wanted += n.services.size();
      retry_at = listeners_.size() < wanted ? now_ms() + kRetryMs : 0;
      dirty = false;
    }
    std::vector<pollfd> fds;
    fds.push_back({wake_.get(), POLLIN, 0});
    for (const auto& l : listeners_) fds.push_back({l.fd.get(), POLLIN, 0});
    for (const auto& c : conns_) fds.push_back({c.fd.get(), POLLIN, 0});
    int64_t next = now_ms() + 1000;
    for (const auto& c : conns_) next = std::min(next, c.deadline_ms);
    if (retry_at) next = std::min(next, retry_at);
    int timeout = static_cast<int>(std::max<int64_t>(0, next - now_ms()));
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (stop_) break;
    if (fds[0].revents & POLLIN) {
      uint64_t n;
      (void)!::read(wake_.get(), &n, sizeof n);
      dirty = true;
      std::lock_guard lock(mu_);
      want = want_;  // the counts answered from here on
    }
    // Connections first: their indices in fds follow the listeners'.
    const size_t first_conn = 1 + listeners_.size();
    const int64_t now = now_ms();
    for (size_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      if (fds[first_conn + i].revents == 0) {
        if (now >= c.deadline_ms) c.fd.reset();
        continue;
      }
      char buf[2048];
      ssize_t got = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        c.fd.reset();
        continue;
      }
      c.buf.append(buf, static_cast<size_t>(got));
      // The handler never reads the request: the end of its header is enough, as is a full buffer.
      if (c.buf.find("\r\n\r\n") != std::string::npos || c.buf.find("\n\n") != std::string::npos ||
          c.buf.size() >= kMaxRequest) {
        answer(c, want);
        c.fd.reset();
      }
    }
    std::erase_if(conns_, [](const Conn& c) { return !c.fd.valid(); });
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (!(fds[1 + i].revents & POLLIN)) continue;
      for (;;) {
        UniqueFd fd(::accept4(listeners_[i].fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) break;
        if (conns_.size() >= kMaxConns) continue;  // closed at once: a flood costs no memory
        conns_.push_back({std::move(fd), listeners_[i].node, listeners_[i].key, "", now + kRequestTimeoutMs});
      }
    }
  }
  conns_.clear();
  listeners_.clear();
  std::lock_guard lock(mu_);
  listening_.clear();
}

}  // namespace lab::node
