// A minimal HTTP/1.1 reader and writer over stream sockets, plus the Unix socket plumbing.
// Requests are small (kubectl-sized JSON), so a whole message is read before it is parsed.
#include "lab/server/http.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>

#include "lab/api/utf8.h"
#include "lab/base/parse.h"

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

// Go's net/http DefaultMaxHeaderBytes, which kube-apiserver keeps.
constexpr size_t kMaxHeaderBytes = 1 << 20;
// kube-apiserver's limit on a request body (MaxRequestBodyBytes): 3 MiB.
constexpr uint64_t kMaxRequestBody = 3 << 20;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A value from the peer, quoted in an error without letting it grow the message, and printable
// ASCII only: the message goes into a JSON Status, which must be valid UTF-8.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s.substr(0, 40)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + (s.size() > 40 ? "...\"" : "\"");
}

// The Content-Length of a head (nullopt when it has none). A request may not be chunked: lab's
// clients always send a length, and a length is what the body limit is checked against.
Result<std::optional<uint64_t>> content_length(std::string_view head, bool request) {
  std::optional<uint64_t> length;
  for (size_t end = head.find("\r\n"); end != std::string_view::npos;) {
    const size_t start = end + 2;
    end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (request) return fail_api(Reason::BadRequest, "malformed header line " + quoted(line));
      continue;
    }
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (request && name == "transfer-encoding")
      return fail_api(Reason::BadRequest, "Transfer-Encoding is not supported in requests (send Content-Length)");
    if (name != "content-length") continue;
    // Digits only: parse_uint64 would take "+3", which HTTP does not.
    auto n = parse_uint64(value);
    if (!n || value.find_first_not_of("0123456789") != std::string_view::npos)
      return fail_api(Reason::BadRequest, "invalid Content-Length " + quoted(value));
    if (length && *length != *n) return fail_api(Reason::BadRequest, "conflicting Content-Length headers");
    length = *n;
  }
  return length;
}

// Reads the head and the Content-Length body. Returns {head, body}. A request is held to the API
// server's limits (head, body); a response may be as large as a list of every object.
Result<std::pair<std::string, std::string>> read_message(int fd, bool request) {
  std::string buf;
  char chunk[16384];
  size_t head_end = std::string::npos;
  std::optional<uint64_t> length;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = buf.find("\r\n\r\n");
      if (head_end == std::string::npos ? buf.size() > kMaxHeaderBytes : head_end > kMaxHeaderBytes)
        return fail_api(Reason::BadRequest,
                        "the header section is larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
      if (head_end != std::string::npos) {
        auto parsed = content_length(std::string_view(buf).substr(0, head_end), request);
        if (!parsed) return std::unexpected(parsed.error());
        length = *parsed;
        if (request && !length) length = 0;  // RFC 9112: a request without a length has no body
        if (request && *length > kMaxRequestBody)
          return fail_api(Reason::RequestEntityTooLarge,
                          "Request entity too large: limit is " + std::to_string(kMaxRequestBody));
      }
    }
    if (head_end != std::string::npos && length && buf.size() - (head_end + 4) >= *length) break;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("receive");
    if (n == 0) break;  // peer closed: the body runs to EOF when there is no length
    buf.append(chunk, static_cast<size_t>(n));
  }
  if (head_end == std::string::npos)
    return fail_api(request ? Reason::BadRequest : Reason::None, "malformed HTTP message (no header end)");
  std::string body = buf.substr(head_end + 4);
  if (length) {
    if (body.size() < *length)
      return fail_api(request ? Reason::BadRequest : Reason::None, "body shorter than its Content-Length");
    body.resize(*length);
  }
  buf.resize(head_end);
  return std::make_pair(std::move(buf), std::move(body));
}

// "HTTP/1.1 200 OK" -> 200.
Result<int> status_of(std::string_view head) {
  const size_t sp = head.find(' ');
  auto status = sp == std::string_view::npos ? parse_int("") : parse_int(head.substr(sp + 1, 3), 100, 599);
  if (!status) return fail("malformed HTTP response " + quoted(head.substr(0, head.find("\r\n"))));
  return status;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
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

Result<std::string> url_decode(const std::string& s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      const bool whole = i + 2 < s.size();
      const int hi = whole ? hex(s[i + 1]) : -1, lo = whole ? hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return fail_api(Reason::BadRequest, "invalid URL escape " + quoted(std::string_view(s).substr(i, 3)));
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<HttpRequest> read_request(int fd) {
  auto msg = read_message(fd, true);
  if (!msg) return std::unexpected(msg.error());
  const std::string_view line = std::string_view(msg->first).substr(0, msg->first.find("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1 || !line.substr(sp2 + 1).starts_with("HTTP/"))
    return fail_api(Reason::BadRequest, "malformed request line " + quoted(line));
  HttpRequest req;
  req.method = line.substr(0, sp1);
  const std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
  const size_t q = target.find('?');
  auto path = url_decode(target.substr(0, q), false);  // '+' is itself in a path
  if (!path) return std::unexpected(path.error());
  if (!api::valid_utf8(*path)) return fail_api(Reason::BadRequest, "the request path is not valid UTF-8");
  req.path = std::move(*path);
  if (q != std::string::npos) {
    const std::string qs = target.substr(q + 1);
    for (size_t start = 0; start <= qs.size();) {
      size_t amp = qs.find('&', start);
      std::string kv = qs.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!kv.empty()) {
        const size_t eq = kv.find('=');
        auto key = url_decode(kv.substr(0, eq));
        auto value = url_decode(eq == std::string::npos ? "" : kv.substr(eq + 1));
        if (!key) return std::unexpected(key.error());
        if (!value) return std::unexpected(value.error());
        if (!api::valid_utf8(*key) || !api::valid_utf8(*value))
          return fail_api(Reason::BadRequest, "the query is not valid UTF-8");
        req.query[*key] = std::move(*value);
      }
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
  auto msg = read_message(fd->get(), false);
  if (!msg) return std::unexpected(msg.error());
  auto status = status_of(msg->first);
  if (!status) return std::unexpected(status.error());
  HttpResponse resp;
  resp.status = *status;
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
        const std::string head = buf.substr(0, end);
        auto code = status_of(head);
        if (!code) return std::unexpected(code.error());
        status = *code;
        chunked = lower(head).find("transfer-encoding: chunked") != std::string::npos;
        auto length = content_length(head, false);
        if (!length) return std::unexpected(length.error());
        if (*length) content_left = static_cast<size_t>(**length);
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
      // The chunk size is hex, maybe followed by ";extension".
      size_t size = 0;
      const char* first = buf.data();
      const char* last = buf.data() + std::min(buf.find(';'), line_end);
      auto [end, ec] = std::from_chars(first, last, size, 16);
      if (ec != std::errc() || end != last || first == last || size > (size_t{1} << 40))
        return fail("malformed chunk size in the response");
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
