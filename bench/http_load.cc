// A small keep-alive HTTP load generator for the Service benchmarks: C connections, each sending
// GET / back to back for S seconds; prints requests per second. Run it in a node's netns.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// One response: headers, then Content-Length bytes of body. False on error or EOF.
bool read_response(int fd, std::string& buf) {
  for (;;) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t len = 0;
      size_t cl = buf.find("Content-Length:");
      if (cl == std::string::npos) cl = buf.find("content-length:");
      if (cl != std::string::npos && cl < end) len = std::strtoul(buf.c_str() + cl + 15, nullptr, 10);
      if (buf.size() >= end + 4 + len) {
        buf.erase(0, end + 4 + len);
        return true;
      }
    }
    char tmp[16384];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: http_load IP PORT SECONDS CONNECTIONS\n");
    return 2;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) return 2;
  double seconds = std::atof(argv[3]);
  int conns = std::atoi(argv[4]);
  std::atomic<long> done{0}, errors{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&] {
      std::string req = std::string("GET / HTTP/1.1\r\nHost: ") + argv[1] + "\r\n\r\n";
      // nginx closes a keep-alive connection after 1000 requests: reconnect and go on.
      while (std::chrono::steady_clock::now() < deadline) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
          errors++;
          ::close(fd);
          return;
        }
        std::string buf;
        while (std::chrono::steady_clock::now() < deadline) {
          if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0 || !read_response(fd, buf)) break;
          done++;
        }
        ::close(fd);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("%.0f\n", static_cast<double>(done) / seconds);
  return errors > 0 && done == 0 ? 1 : 0;
}
