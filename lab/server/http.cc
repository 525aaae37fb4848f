// A minimal HTTP/1.1 reader and writer over stream sockets, plus the Unix socket plumbing.
// Requests are small (kubectl-sized JSON), so a whole message is read before it is parsed.
#include "lab/server/http.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdio>
#include <cstring>

namespace lab::server {
namespace {

Result<void> write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("send");
    off += static_cast<size_t>(n);
  }
  return {};
}

// Reads headers and the Content-Length body. Returns {head, body}.
Result<std::pair<std::string, std::string>> read_message(int fd) {
  std::string buf;
  char chunk[16384];
  size_t head_end = std::string::npos;
  size_t content_length = 0;
  bool has_length = false;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = buf.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = buf.substr(0, head_end);
        std::string lower = head;
        for (auto& c : lower) c = static_cast<char>(::tolower(c));
        size_t p = lower.find("\r\ncontent-length:");
        if (p != std::string::npos) {
          has_length = true;
          content_length = std::stoul(head.substr(p + 17));
        }
      }
    }
    if (head_end != std::string::npos && has_length &&
        buf.size() >= head_end + 4 + content_length)
      break;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("receive");
    if (n == 0) break;  // peer closed: the body runs to EOF when there is no length
    buf.append(chunk, static_cast<size_t>(n));
  }
  if (head_end == std::string::npos) return fail("malformed HTTP message (no header end)");
  std::string body = buf.substr(head_end + 4);
  if (has_length) body.resize(std::min(body.size(), content_length));
  return std::make_pair(buf.substr(0, head_end), body);
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 422: return "Unprocessable Entity";
    default: return status >= 500 ? "Internal Server Error" : "Unknown";
  }
}

}  // namespace

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<HttpRequest> read_request(int fd) {
  auto msg = read_message(fd);
  if (!msg) return std::unexpected(msg.error());
  const std::string& head = msg->first;
  size_t sp1 = head.find(' ');
  size_t sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return fail("malformed request line");
  HttpRequest req;
  req.method = head.substr(0, sp1);
  std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q));
  if (q != std::string::npos) {
    std::string qs = target.substr(q + 1);
    size_t start = 0;
    while (start <= qs.size()) {
      size_t amp = qs.find('&', start);
      std::string kv = qs.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      size_t eq = kv.find('=');
      if (!kv.empty())
        req.query[url_decode(kv.substr(0, eq))] =
            eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  req.body = std::move(msg->second);
  return req;
}

Result<void> write_response(int fd, const HttpResponse& resp) {
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + reason_phrase(resp.status) +
                    "\r\nContent-Type: " + resp.content_type +
                    "\r\nContent-Length: " + std::to_string(resp.body.size()) +
                    "\r\nConnection: close\r\n\r\n" + resp.body;
  return write_all(fd, out);
}

static Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Result<UniqueFd> listen_unix(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return std::unexpected(addr.error());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  ::unlink(path.c_str());
  // The umask makes the socket root-only from birth; chmod alone would leave a window.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr);
  ::umask(old);
  if (rc != 0) return fail_errno("bind " + path);
  if (::listen(fd.get(), 64) != 0) return fail_errno("listen " + path);
  return fd;
}

static Result<UniqueFd> connect_unix(const std::string& socket_path) {
  auto addr = unix_address(socket_path);
  if (!addr) return std::unexpected(addr.error());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0)
    return fail_errno("connect to " + socket_path);
  return fd;
}

Result<HttpResponse> http_call(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body) {
  auto fd = connect_unix(socket_path);
  if (!fd) return std::unexpected(fd.error());
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: lab\r\nAccept: application/json\r\n" +
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  LAB_TRY(write_all(fd->get(), req));
  auto msg = read_message(fd->get());
  if (!msg) return std::unexpected(msg.error());
  HttpResponse resp;
  const std::string& head = msg->first;
  size_t sp = head.find(' ');
  if (sp == std::string::npos) return fail("malformed HTTP response");
  resp.status = std::atoi(head.c_str() + sp + 1);
  resp.body = std::move(msg->second);
  return resp;
}

Result<void> write_stream_head(int fd, int status, const std::string& content_type) {
  return write_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                           "\r\nContent-Type: " + content_type +
                           "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

Result<void> write_chunk(int fd, const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return write_all(fd, size + data + "\r\n");
}

Result<int> http_stream(const std::string& socket_path, const std::string& method,
                        const std::string& target,
                        const std::function<bool(const std::string&)>& on_data) {
  auto fd = connect_unix(socket_path);
  if (!fd) return std::unexpected(fd.error());
  LAB_TRY(write_all(fd->get(), method + " " + target +
                                  " HTTP/1.1\r\nHost: lab\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  std::string buf;
  char tmp[16384];
  int status = 0;
  bool chunked = false, head_done = false;
  size_t content_left = std::string::npos;
  for (;;) {
    // Consume whatever is complete in buf.
    for (;;) {
      if (!head_done) {
        size_t end = buf.find("\r\n\r\n");
        if (end == std::string::npos) break;
        std::string head = buf.substr(0, end);
        size_t sp = head.find(' ');
        status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
        std::string lower = head;
        for (auto& c : lower) c = static_cast<char>(::tolower(c));
        chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
        if (size_t p = lower.find("content-length:"); p != std::string::npos)
          content_left = std::stoul(head.substr(p + 15));
        buf.erase(0, end + 4);
        head_done = true;
        continue;
      }
      if (!chunked) {
        if (!buf.empty()) {
          if (content_left != std::string::npos) content_left -= std::min(content_left, buf.size());
          if (!on_data(buf)) return status;
          buf.clear();
        }
        if (content_left == 0) return status;
        break;
      }
      size_t line_end = buf.find("\r\n");
      if (line_end == std::string::npos) break;
      size_t size = std::stoul(buf.substr(0, line_end), nullptr, 16);
      if (size == 0) return status;
      if (buf.size() < line_end + 2 + size + 2) break;
      if (!on_data(buf.substr(line_end + 2, size))) return status;
      buf.erase(0, line_end + 2 + size + 2);
    }
    ssize_t n = ::recv(fd->get(), tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("receive");
    if (n == 0) return status;
    buf.append(tmp, static_cast<size_t>(n));
  }
}

}  // namespace lab::server
