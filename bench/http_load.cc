// A small keep-alive HTTP load generator for the Service benchmarks: C connections sending GET /
// back to back, in short rounds alternating between targets; prints each target's median req/s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  std::string text;  // as given, for the output
  sockaddr_in addr{};
  std::string request;
  std::vector<double> rates;  // req/s of each measured round
};

struct Conn {
  int fd = -1;
  std::string buf;
};

// Consumes every complete response at the front of buf (headers, then Content-Length bytes of
// body) and returns how many there were; with one request in flight that is 0 or 1.
int take_responses(std::string& buf) {
  int n = 0;
  for (;;) {
    size_t end = buf.find("\r\n\r\n");
    if (end == std::string::npos) return n;
    size_t len = 0;
    size_t cl = buf.find("Content-Length:");
    if (cl == std::string::npos) cl = buf.find("content-length:");
    if (cl != std::string::npos && cl < end) len = std::strtoul(buf.c_str() + cl + 15, nullptr, 10);
    if (buf.size() < end + 4 + len) return n;
    buf.erase(0, end + 4 + len);
    ++n;
  }
}

// A blocking connect (tens of microseconds between these netns), then non-blocking I/O under
// epoll. The first request goes out at once.
bool open_conn(int ep, const Target& t, Conn& c) {
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  c.buf.clear();
  if (c.fd < 0) return false;
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&t.addr), sizeof t.addr) != 0) {
    std::perror(("connect " + t.text).c_str());
    return false;
  }
  ::fcntl(c.fd, F_SETFL, O_NONBLOCK);
  epoll_event ev{EPOLLIN, {.ptr = &c}};
  ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  return ::send(c.fd, t.request.data(), t.request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(t.request.size());
}

void close_conn(Conn& c) {
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
}

// One round against one target: fresh connections, requests for `seconds`, returns req/s over
// the time actually elapsed (negative on a connection failure).
double run_round(const Target& t, int conns, double seconds) {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> cs(conns);
  long done = 0;
  bool ok = true;
  for (auto& c : cs) ok = ok && open_conn(ep, t, c);
  // The clock starts once every connection is open: a round measures keep-alive requests (and
  // the reconnects nginx forces every 1000), not the handshakes of the round's start.
  auto start = Clock::now(), now = start;
  auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<epoll_event> evs(conns);
  while (ok && now < deadline) {
    int ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
    int n = ::epoll_wait(ep, evs.data(), conns, ms);
    for (int i = 0; i < n && ok; ++i) {
      Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
      char tmp[16384];
      ssize_t got = ::recv(c.fd, tmp, sizeof tmp, 0);
      if (got > 0) {
        c.buf.append(tmp, static_cast<size_t>(got));
        int k = take_responses(c.buf);
        if (k == 0) continue;
        done += k;
        if (::send(c.fd, t.request.data(), t.request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(t.request.size()))
          continue;
      } else if (got < 0 && errno == EAGAIN) {
        continue;
      }
      // nginx closes a keep-alive connection after 1000 requests: reconnect and go on.
      close_conn(c);
      ok = open_conn(ep, t, c);
    }
    now = Clock::now();
  }
  for (auto& c : cs) close_conn(c);
  ::close(ep);
  if (!ok) return -1;
  return static_cast<double>(done) / std::chrono::duration<double>(now - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int usage() {
  std::fprintf(stderr,
               "usage: http_load [-c CONNECTIONS] [-t SECONDS] [-r ROUNDS] [-p CPU] [-v] IP[:PORT]...\n"
               "  each round runs every target once, for SECONDS, in alternating order; a first,\n"
               "  warm-up round is not counted; -v prints every round. Defaults: -c 1 -t 1 -r 1.\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int conns = 1, rounds = 1, cpu = -1;
  bool verbose = false;
  double seconds = 1;
  for (int opt; (opt = ::getopt(argc, argv, "c:t:r:p:v")) != -1;) {
    if (opt == 'c') conns = std::atoi(optarg);
    else if (opt == 't') seconds = std::atof(optarg);
    else if (opt == 'r') rounds = std::atoi(optarg);
    else if (opt == 'p') cpu = std::atoi(optarg);
    else if (opt == 'v') verbose = true;
    else return usage();
  }
  if (optind >= argc || conns < 1 || rounds < 1 || seconds <= 0) return usage();
  if (cpu >= 0) {
    // Pinned, the client does not migrate between rounds or meet the server on its CPU by chance.
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
  }

  std::vector<Target> targets;
  for (int i = optind; i < argc; ++i) {
    Target t;
    t.text = argv[i];
    std::string host = t.text;
    int port = 80;
    if (auto colon = host.find(':'); colon != std::string::npos) {
      port = std::atoi(host.c_str() + colon + 1);
      host.resize(colon);
    }
    t.addr.sin_family = AF_INET;
    t.addr.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &t.addr.sin_addr) != 1) return usage();
    t.request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    targets.push_back(std::move(t));
  }

  // Round 0 (at least 0.5 s) warms caches and the server. Odd rounds run the targets in reverse
  // order, so a slow drift (or whatever runs first after a pause) favours no target.
  for (int r = 0; r <= rounds; ++r) {
    std::vector<double> line(targets.size());
    for (size_t k = 0; k < targets.size(); ++k) {
      size_t i = r % 2 ? targets.size() - 1 - k : k;
      line[i] = run_round(targets[i], conns, r == 0 ? std::max(seconds, 0.5) : seconds);
      if (line[i] < 0) return 1;
    }
    if (verbose) std::printf("round %2d%s", r, r == 0 ? " (warm-up)" : "          ");
    for (size_t i = 0; i < targets.size(); ++i) {
      if (verbose) std::printf("  %8.0f", line[i]);
      if (r > 0) targets[i].rates.push_back(line[i]);
    }
    if (verbose) std::printf("\n");
  }
  // Against the first target: the ratio of medians, and the spread of the same-round ratios.
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    auto [lo, hi] = std::minmax_element(t.rates.begin(), t.rates.end());
    std::printf("%-15s %7.0f req/s (%.0f-%.0f)", t.text.c_str(), median(t.rates), *lo, *hi);
    if (i > 0) {
      std::vector<double> same_round;
      for (size_t r = 0; r < t.rates.size(); ++r) same_round.push_back(t.rates[r] / targets[0].rates[r]);
      auto [rlo, rhi] = std::minmax_element(same_round.begin(), same_round.end());
      std::printf("  %.1f%% of %s; same-round ratios: median %.1f%% (%.1f-%.1f%%)",
                  100 * median(t.rates) / median(targets[0].rates), targets[0].text.c_str(), 100 * median(same_round),
                  100 * *rlo, 100 * *rhi);
    }
    std::printf("\n");
  }
  return 0;
}
