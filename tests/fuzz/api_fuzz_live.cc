// The API fuzzer against a running daemon: `api_fuzz_live SOCKET [N]` sends N hostile requests
// (the unit fuzzer's mutated objects and patches, plus raw bytes the HTTP parser must refuse: bad
// percent-encoding, bad and huge Content-Length, garbage, oversized headers) and checks every
// answer is a Status below 500. Exits non-zero at the first 5xx or a dead socket; the
// integration test then checks the daemon is the same process and the lab still works.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>
#include <cstring>

#include "lab/base/unique_fd.h"
#include "lab/server/http.h"
#include "tests/fuzz/api_fuzzer.h"

using namespace lab;
using namespace lab::fuzz;

namespace {

// One raw exchange: whatever bytes, then the status code of the answer (0 if none came).
int raw_exchange(const std::string& socket_path, const std::string& bytes) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) return 0;
  ::shutdown(fd.get(), SHUT_WR);
  char buf[64] = {};
  ssize_t n = ::recv(fd.get(), buf, sizeof buf - 1, 0);
  if (n < 12 || std::strncmp(buf, "HTTP/1.1 ", 9) != 0) return 0;
  return std::atoi(buf + 9);
}

const char* kRaw[] = {
    "GET /api/v1/namespaces/default/pods/x%zz HTTP/1.1\r\nHost: lab\r\n\r\n",
    "GET /api/v1/namespaces/default/pods/x% HTTP/1.1\r\nHost: lab\r\n\r\n",
    "GET /api/v1/pods?labelSelector=%G1 HTTP/1.1\r\nHost: lab\r\n\r\n",
    "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nContent-Length: -5\r\n\r\n{}",
    "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nContent-Length: abc\r\n\r\n{}",
    "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}",
    "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nContent-Length: 104857600\r\n\r\n{}",
    "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "GARBAGE\r\n\r\n",
    "GET\r\n\r\n",
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SOCKET [REQUESTS]\n", argv[0]);
    return 2;
  }
  const std::string socket_path = argv[1];
  int n = 2000;
  if (argc > 2) {
    auto parsed = parse_int(argv[2], 1, 1'000'000);
    if (!parsed) {
      std::fprintf(stderr, "REQUESTS: %s\n", parsed.error().message.c_str());
      return 2;
    }
    n = *parsed;
  }
  for (const char* raw : kRaw) {
    int code = raw_exchange(socket_path, raw);
    if (code < 0 || code >= 500) {
      std::fprintf(stderr, "raw request %s: answer %d\n", Json(std::string(raw)).dump().c_str(), code);
      return 1;
    }
  }
  // A header section far over any sane limit.
  if (int code = raw_exchange(socket_path, "GET /version HTTP/1.1\r\nX: " + std::string(1 << 20, 'a') + "\r\n\r\n");
      code < 0 || code >= 500) {
    std::fprintf(stderr, "huge header: answer %d\n", code);
    return 1;
  }
  Fuzzer f(20261202);
  int by_class[6] = {};
  for (int i = 0; i < n; ++i) {
    const auto& t = kTargets[f.pick(std::size(kTargets))];
    auto req = f.request(t);
    std::string target = req.path;
    char sep = '?';
    for (const auto& [k, v] : req.query) target += sep + k + "=" + server::url_encode(v), sep = '&';
    if (!req.content_type.empty()) {
      // A body with a Content-Type (patch types, protobuf): sent raw, as kubectl sends it.
      int code = raw_exchange(socket_path, req.method + " " + target + " HTTP/1.1\r\nHost: lab\r\nContent-Type: " +
                                               req.content_type + "\r\nContent-Length: " +
                                               std::to_string(req.body.size()) + "\r\n\r\n" + req.body);
      if (code < 200 || code >= 500) {
        std::fprintf(stderr, "%s %s (%s) %s\n-> %d\n", req.method.c_str(), target.c_str(), req.content_type.c_str(),
                     Json(req.body.substr(0, 400)).dump(-1, ' ', false, Json::error_handler_t::replace).c_str(), code);
        return 1;
      }
      by_class[code / 100]++;
      continue;
    }
    auto r = server::http_call(socket_path, req.method, target, req.body);
    if (!r) {
      std::fprintf(stderr, "%s %s: %s\n", req.method.c_str(), target.c_str(), r.error().what().c_str());
      return 1;
    }
    if (r->status >= 500 || r->status < 200) {
      std::fprintf(stderr, "%s %s %s\n-> %d %s\n", req.method.c_str(), target.c_str(), req.body.substr(0, 400).c_str(),
                   r->status, r->body.c_str());
      return 1;
    }
    by_class[r->status / 100]++;
  }
  std::printf("%d requests: %d 2xx, %d 4xx, no 5xx\n", n, by_class[2], by_class[4]);
  return 0;
}
