#include "lab/dns/server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

#include "lab/server/http_server.h"

namespace lab::dns {

namespace {

using Clock = std::chrono::steady_clock;

Result<UniqueFd> bind_socket(int type, int port, bool reuseport) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return fail_errno("SO_REUSEPORT");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  const char* what = type == SOCK_DGRAM ? "udp" : "tcp";
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno(std::string("bind ") + what + " 0.0.0.0:" + std::to_string(port));
  if (type == SOCK_STREAM && ::listen(fd.get(), SOMAXCONN) != 0) return fail_errno("listen");
  return fd;
}

// Reads exactly n bytes, waiting at most timeout_ms for each piece. False on EOF, error, timeout.
bool read_exact(int fd, uint8_t* buf, size_t n, int timeout_ms) {
  size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t k = ::recv(fd, buf + got, n - got, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    got += static_cast<size_t>(k);
  }
  return true;
}

bool write_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t k = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    sent += static_cast<size_t>(k);
  }
  return true;
}

}  // namespace

std::string AnswerCache::answer(const Zone& zone, bool synced, const uint8_t* data, size_t len,
                                Transport t, QueryInfo& info) {
  // Only answers from a synced zone are kept, and all of them go when the zone changes, so a
  // cached answer is always the one handle_query would build now. The key is the query's bytes
  // after its ID (flags, question as asked, EDNS): equal bytes, equal answer.
  if (!synced || len < 12) return handle_query(zone, synced, data, len, t, info);
  const uint64_t generation = zone.generation();
  if (generation != generation_ || entries_.size() > 100000) {
    entries_.clear();
    generation_ = generation;
  }
  std::string key(reinterpret_cast<const char*>(data) + 2, len - 2);
  if (auto it = entries_.find(key); it != entries_.end()) {
    info = it->second.info;
    std::string out(reinterpret_cast<const char*>(data), 2);
    return out + it->second.response;
  }
  std::string out = handle_query(zone, synced, data, len, t, info);
  if (out.size() >= 12) entries_.emplace(std::move(key), Entry{out.substr(2), info});
  return out;
}

Result<void> DnsServer::start(const ServerOptions& opts) {
  opts_ = opts;
  std::vector<int> udp;
  for (int i = 0; i < std::max(1, opts.udp_threads); ++i) {
    auto fd = bind_socket(SOCK_DGRAM, opts.dns_port, true);
    if (!fd) return std::unexpected(fd.error());
    udp.push_back(fd->get());
    fds_.push_back(std::move(*fd));
  }
  auto tcp = bind_socket(SOCK_STREAM, opts.dns_port, false);
  if (!tcp) return std::unexpected(tcp.error());
  auto metrics = bind_socket(SOCK_STREAM, opts.metrics_port, false);
  if (!metrics) return std::unexpected(metrics.error());
  const int tcp_fd = tcp->get(), metrics_fd = metrics->get();
  fds_.push_back(std::move(*tcp));
  fds_.push_back(std::move(*metrics));
  for (int fd : udp) std::thread([this, fd] { udp_loop(fd); }).detach();
  std::thread([this, tcp_fd] { tcp_accept_loop(tcp_fd); }).detach();
  std::thread([this, metrics_fd] { metrics_loop(metrics_fd); }).detach();
  return {};
}

void DnsServer::wait() {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

void DnsServer::udp_loop(int fd) {
  // A batch of datagrams per system call each way (recvmmsg/sendmmsg).
  constexpr int kBatch = 32;
  constexpr size_t kMax = 65535;
  std::vector<std::array<uint8_t, kMax>> in(kBatch);
  std::array<sockaddr_in, kBatch> from{};
  std::array<iovec, kBatch> iov_in{}, iov_out{};
  std::array<mmsghdr, kBatch> msgs{}, replies{};
  std::array<std::string, kBatch> out;
  AnswerCache cache;
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      iov_in[i] = {in[i].data(), kMax};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov_in[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno != EINTR) {
        log_(std::string("udp receive: ") + std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    int m = 0;
    const bool synced = synced_();
    for (int i = 0; i < n; ++i) {
      const auto start = Clock::now();
      QueryInfo info;
      out[m] = cache.answer(zone_, synced, in[i].data(), msgs[i].msg_len, Transport::Udp, info);
      if (out[m].empty()) continue;
      metrics_.record(info, Transport::Udp, false, std::chrono::duration<double>(Clock::now() - start).count());
      iov_out[m] = {out[m].data(), out[m].size()};
      replies[m].msg_hdr = {};
      replies[m].msg_hdr.msg_name = &from[i];
      replies[m].msg_hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
      replies[m].msg_hdr.msg_iov = &iov_out[m];
      replies[m].msg_hdr.msg_iovlen = 1;
      ++m;
    }
    for (int sent = 0; sent < m;) {
      int k = ::sendmmsg(fd, replies.data() + sent, static_cast<unsigned>(m - sent), 0);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        ++sent;  // that client's reply is lost (as UDP may be); the rest still go
        continue;
      }
      sent += k;
    }
  }
}

void DnsServer::tcp_accept_loop(int fd) {
  for (;;) {
    UniqueFd conn(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      if (errno != EINTR && errno != ECONNABORTED) {
        log_(std::string("tcp accept: ") + std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    if (tcp_connections_.load() >= opts_.max_tcp_connections) continue;  // closed: the client retries
    tcp_connections_.fetch_add(1);
    std::thread([this, c = std::move(conn)]() mutable {
      tcp_connection(std::move(c));
      tcp_connections_.fetch_sub(1);
    }).detach();
  }
}

void DnsServer::tcp_connection(UniqueFd fd) {
  AnswerCache cache;
  std::vector<uint8_t> msg;
  for (;;) {
    uint8_t head[2];
    if (!read_exact(fd.get(), head, 2, opts_.tcp_idle_ms)) return;
    const size_t len = static_cast<size_t>(head[0]) << 8 | head[1];
    msg.resize(len);
    if (len > 0 && !read_exact(fd.get(), msg.data(), len, opts_.tcp_idle_ms)) return;
    const auto start = Clock::now();
    QueryInfo info;
    std::string out = cache.answer(zone_, synced_(), msg.data(), len, Transport::Tcp, info);
    if (out.empty()) continue;
    metrics_.record(info, Transport::Tcp, false, std::chrono::duration<double>(Clock::now() - start).count());
    std::string framed;
    framed.reserve(out.size() + 2);
    framed.push_back(static_cast<char>(out.size() >> 8));
    framed.push_back(static_cast<char>(out.size() & 0xff));
    framed += out;
    if (!write_all(fd.get(), framed)) return;
  }
}

void DnsServer::metrics_loop(int fd) {
  server::ServerLimits limits;
  limits.workers = 2;
  limits.streams = 1;
  limits.reading = 64;
  server::HttpServer http(limits, [this](server::Connection& conn, const Result<server::HttpRequest>& req) {
    server::HttpResponse resp{200, "", "text/plain; charset=utf-8"};
    if (!req) {
      resp = {400, "bad request\n", "text/plain"};
    } else if (req->path == "/metrics") {
      resp.body = metrics_.render();
      resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (req->path == "/health") {
      resp.body = "OK";
    } else if (req->path == "/ready") {
      if (synced_()) resp.body = "OK";
      else resp = {503, "not synced with the API yet\n", "text/plain"};
    } else {
      resp = {404, "404 page not found\n", "text/plain"};
    }
    if (auto sent = conn.send(resp); !sent) log_("metrics server: " + sent.error().what());
  });
  UniqueFd never(::eventfd(0, EFD_CLOEXEC));
  if (auto r = http.run(fd, never.get()); !r) log_("metrics server: " + r.error().what());
}

}  // namespace lab::dns
