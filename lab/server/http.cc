// A minimal HTTP/1.1 reader and writer over stream sockets, plus the Unix socket plumbing.
// Requests are small (kubectl-sized JSON), so a whole message is read before it is parsed.
#include "lab/server/http.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>
#include <string_view>

#include "lab/api/utf8.h"
#include "lab/base/parse.h"

namespace lab::server {
namespace {

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

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// Waits until fd is ready for events or the deadline passes (ETIMEDOUT). No deadline: for ever.
Result<void> wait_ready(int fd, short events, const Deadline& deadline) {
  for (;;) {
    int ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return fail("timed out", ETIMEDOUT);
      ms = static_cast<int>(std::min<int64_t>(left.count(), 60000));
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("poll");
    if (n > 0) return {};
  }
}

// EAGAIN on a blocking socket is its SO_RCVTIMEO or SO_SNDTIMEO running out: an error, not a
// reason to wait (on a non-blocking one, it is).
bool nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK);
}

// send() all of data, on a non-blocking socket by the deadline.
Result<void> send_all(int fd, const std::string& data, const Deadline& deadline) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && nonblocking(fd)) {
      LAB_TRY(wait_ready(fd, POLLOUT, deadline));
      continue;
    }
    if (n < 0) return fail_errno("send");
    off += static_cast<size_t>(n);
  }
  return {};
}

// recv(), on a non-blocking socket by the deadline. 0: the peer closed.
Result<size_t> recv_some(int fd, char* buf, size_t size, const Deadline& deadline) {
  for (;;) {
    ssize_t n = ::recv(fd, buf, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN || !nonblocking(fd)) return fail_errno("receive");
    LAB_TRY(wait_ready(fd, POLLIN, deadline));
  }
}

// Reads a whole message from fd (blocking, or non-blocking with a deadline).
Result<std::pair<std::string, std::string>> read_message(int fd, bool request, const Deadline& deadline = {}) {
  MessageReader reader(request);
  char chunk[16384];
  while (!reader.done()) {
    auto n = recv_some(fd, chunk, sizeof chunk, deadline);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) reader.end();  // peer closed: the body runs to EOF when there is no length
    else reader.add(chunk, *n);
  }
  return reader.take();
}

// "HTTP/1.1 200 OK" -> 200.
Result<int> status_of(std::string_view head) {
  const size_t sp = head.find(' ');
  auto status = sp == std::string_view::npos ? parse_int("") : parse_int(head.substr(sp + 1, 3), 100, 599);
  if (!status) return fail("malformed HTTP response " + quoted(head.substr(0, head.find("\r\n"))));
  return status;
}

}  // namespace

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
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 101: return "Switching Protocols";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Unknown";
  }
}

bool list_holds(std::string_view list, std::string_view token) {
  for (size_t start = 0;;) {
    size_t comma = list.find(',', start);
    if (trim(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)) == token)
      return true;
    if (comma == std::string_view::npos) return false;
    start = comma + 1;
  }
}

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

bool MessageReader::add(const char* data, size_t n) {
  if (done_) return true;
  buf_.append(data, n);
  return check(false);
}

bool MessageReader::end() {
  if (!done_) check(true);
  return done_ = true;
}

// Whether the message is whole (or broken) with what has arrived; sizes only, so that a large
// response arriving in many pieces is not copied once per piece.
bool MessageReader::check(bool eof) {
  auto broken = [&](Error e) {
    error_ = std::move(e);
    return done_ = true;
  };
  if (head_end_ == std::string::npos) {
    // The end of the head may straddle two pieces: look again from 3 bytes back.
    head_end_ = buf_.find("\r\n\r\n", scanned_ > 3 ? scanned_ - 3 : 0);
    scanned_ = buf_.size();
    if (head_end_ == std::string::npos ? buf_.size() > kMaxHeaderBytes : head_end_ > kMaxHeaderBytes)
      return broken(Error{0, "the header section is larger than " + std::to_string(kMaxHeaderBytes) + " bytes",
                          Reason::BadRequest});
    if (head_end_ == std::string::npos) {
      if (!eof) return false;
      return broken(Error{0, "malformed HTTP message (no header end)", request_ ? Reason::BadRequest : Reason::None});
    }
    auto parsed = content_length(std::string_view(buf_).substr(0, head_end_), request_);
    if (!parsed) return broken(parsed.error());
    length_ = *parsed;
    if (request_ && !length_) length_ = 0;  // RFC 9112: a request without a length has no body
    if (request_ && *length_ > kMaxRequestBody)
      return broken(Error{0, "Request entity too large: limit is " + std::to_string(kMaxRequestBody),
                          Reason::RequestEntityTooLarge});
  }
  const size_t have = buf_.size() - (head_end_ + 4);
  if (length_ && have >= *length_) return done_ = true;
  if (!eof) return false;
  if (length_)
    return broken(Error{0, "body shorter than its Content-Length", request_ ? Reason::BadRequest : Reason::None});
  return done_ = true;  // a response without a length runs to EOF
}

Result<std::pair<std::string, std::string>> MessageReader::take() {
  if (error_) return std::unexpected(*error_);
  if (!done_ || head_end_ == std::string::npos) return fail("incomplete HTTP message");
  std::string body = buf_.substr(head_end_ + 4);
  if (length_) body.resize(static_cast<size_t>(*length_));
  buf_.resize(head_end_);
  return std::make_pair(std::move(buf_), std::move(body));
}

Result<void> parse_target(std::string_view target_view, HttpRequest& req) {
  const std::string target(target_view);
  const size_t q = target.find('?');
  auto path = url_decode(target.substr(0, q), false);  // '+' is itself in a path
  if (!path) return std::unexpected(path.error());
  if (!api::valid_utf8(*path)) return fail_api(Reason::BadRequest, "the request path is not valid UTF-8");
  req.path = std::move(*path);
  if (q == std::string::npos) return {};
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
      req.query[*key] = *value;
      req.query_list.emplace_back(std::move(*key), std::move(*value));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return {};
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
  // A deep backlog: a burst of clients waits there for the accept loop rather than being refused.
  if (::listen(fd.get(), SOMAXCONN) != 0) return fail_errno("listen " + path);
  return fd;
}

Result<UniqueFd> listen_loopback(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("bind 127.0.0.1:" + std::to_string(port));
  if (::listen(fd.get(), SOMAXCONN) != 0) return fail_errno("listen 127.0.0.1");
  return fd;
}

Result<uint16_t> local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return fail_errno("getsockname");
  if (addr.sin_family != AF_INET) return fail("not a TCP/IPv4 socket");
  return ntohs(addr.sin_port);
}

namespace {

std::atomic<int64_t> g_timeout_ms{0};
std::atomic<bool> g_whole_stream{false};

Deadline deadline_after(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return std::nullopt;
  return std::chrono::steady_clock::now() + timeout;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  if (ms.count() % 1000 == 0) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ms.count() / 1000));
  else std::snprintf(buf, sizeof buf, "%.3gs", static_cast<double>(ms.count()) / 1000);
  return buf;
}

// kubectl's words for a client timeout, and which server did not answer.
Error timed_out(const std::string& socket_path, const Error& e) {
  if (e.code != ETIMEDOUT) return e;
  return Error{ETIMEDOUT, "Unable to connect to the server: " + socket_path + " did not answer within " +
                              seconds_text(client_timeout()) +
                              " (Client.Timeout exceeded while awaiting headers)"};
}

// A non-blocking connection. A listener whose backlog is full (a server that stopped accepting)
// makes connect() fail with EAGAIN at once: tried again until the deadline.
Result<UniqueFd> connect_unix(const std::string& socket_path, const Deadline& deadline) {
  auto addr = unix_address(socket_path);
  if (!addr) return std::unexpected(addr.error());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("socket");
  for (;;) {
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) == 0) return fd;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return fail_errno("connect to " + socket_path);
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return fail("timed out", ETIMEDOUT);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

void set_client_timeout(std::chrono::milliseconds timeout, bool whole_stream) {
  g_timeout_ms = timeout.count();
  g_whole_stream = whole_stream;
}

std::chrono::milliseconds client_timeout() { return std::chrono::milliseconds(g_timeout_ms.load()); }

Result<HttpResponse> http_call(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body, const std::string& accept,
                               const std::string& content_type) {
  const Deadline deadline = deadline_after(client_timeout());
  auto fd = connect_unix(socket_path, deadline);
  if (!fd) return std::unexpected(timed_out(socket_path, fd.error()));
  // Unless told otherwise, the lab's own patches (edit, label, scale) are JSON merge patches.
  const std::string type = !content_type.empty() ? content_type
                           : method == "PATCH"   ? "application/merge-patch+json"
                                                 : "application/json";
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: lab\r\nAccept: " + accept + "\r\n" +
                    "Content-Type: " + type + "\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  if (auto sent = send_all(fd->get(), req, deadline); !sent) return std::unexpected(timed_out(socket_path, sent.error()));
  auto msg = read_message(fd->get(), false, deadline);
  if (!msg) return std::unexpected(timed_out(socket_path, msg.error()));
  auto status = status_of(msg->first);
  if (!status) return std::unexpected(status.error());
  HttpResponse resp;
  resp.status = *status;
  resp.body = std::move(msg->second);
  return resp;
}

Result<int> http_stream(const std::string& socket_path, const std::string& method,
                        const std::string& target,
                        const std::function<bool(const std::string&)>& on_data, const std::string& accept) {
  // Until the head has come, the client timeout; after it, only when it is for whole streams.
  Deadline deadline = deadline_after(client_timeout());
  auto fd = connect_unix(socket_path, deadline);
  if (!fd) return std::unexpected(timed_out(socket_path, fd.error()));
  if (auto sent = send_all(fd->get(), method + " " + target +
                                          " HTTP/1.1\r\nHost: lab\r\n" + (accept.empty() ? "" : "Accept: " + accept + "\r\n") +
                                          "Content-Length: 0\r\nConnection: close\r\n\r\n",
                           deadline);
      !sent)
    return std::unexpected(timed_out(socket_path, sent.error()));
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
        if (!g_whole_stream) deadline.reset();
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
    auto n = recv_some(fd->get(), tmp, sizeof tmp, deadline);
    // A stream that runs for as long as the user asked for ends quietly, as kubectl's watch does.
    if (!n && n.error().code == ETIMEDOUT && head_done) return status;
    if (!n) return std::unexpected(timed_out(socket_path, n.error()));
    if (*n == 0) return status;
    buf.append(tmp, *n);
  }
}

}  // namespace lab::server
