// The lab API's HTTP vocabulary: the request and response as handlers see them, the target's
// decoding, the listening sockets, and the CLI's client side (one request per connection over the
// Unix socket, Content-Length bodies). The server side is Boost.Beast's (http_server.h,
// http_request.h, connection.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"

namespace lab::server {

struct HttpRequest {
  std::string method;                        // GET, POST, PUT, PATCH, DELETE
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps its last value
  std::string body;
  // Header names lower-cased; a repeated header's values joined with ", " (RFC 9110 5.3).
  std::map<std::string, std::string> headers = {};
  // The header's value, or "" when absent; name in lower case.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  // Who the peer is, as the transport knows it (auth.h decides what that means).
  // "unix" (root's socket), "tls" (the 127.0.0.1 listener), "tcp" (plain; the DNS pods' metrics
  // only); "" for a request that did not come through a server (tests).
  std::string transport = "";
  std::string client_cn = {};             // the verified client certificate's subject CN; "" if none
  std::vector<std::string> client_orgs = {};  // its subject O values
  // Every key=value of the query in order, repeats included (exec's one `command=` per word).
  std::vector<std::pair<std::string, std::string>> query_list = {};
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers = {};  // more header fields (Retry-After)
};

// An HTTP response as it arrives at the client, piece by piece (http_call's reader).
class MessageReader {
 public:
  explicit MessageReader(bool request = false) : request_(request) {}
  // Bytes that arrived. True once the message is whole or cannot become so (take() tells which).
  bool add(const char* data, size_t n);
  // The peer closed: what arrived is all there is. Always true.
  bool end();
  bool done() const { return done_; }
  size_t buffered() const { return buf_.size(); }
  // {head, body} once done(); the error when the message is malformed or too large.
  Result<std::pair<std::string, std::string>> take();

 private:
  bool check(bool eof);
  bool request_;
  bool done_ = false;
  std::string buf_;
  size_t scanned_ = 0;  // where the search for the end of the head resumes
  size_t head_end_ = std::string::npos;
  std::optional<uint64_t> length_;
  std::optional<Error> error_;
};

// Fills req.path and req.query from a request target ("/api/v1/pods?labelSelector=a%3Db"): a
// malformed percent-escape or bytes that are not UTF-8 are a Reason::BadRequest error.
Result<void> parse_target(std::string_view target, HttpRequest& req);

// Listening socket at path, mode 0600 (root only), close-on-exec. Replaces a stale socket file.
Result<UniqueFd> listen_unix(const std::string& path);
// A TCP listening socket on 127.0.0.1 (never another address), port 0: one the kernel picks.
Result<UniqueFd> listen_loopback(uint16_t port = 0);
// The port a TCP socket is bound to.
Result<uint16_t> local_port(int fd);

// How long this process's calls wait for a server (the CLI's --request-timeout): http_call for
// its whole answer, http_stream for the head of its answer, and for the whole stream too when
// whole_stream. Zero: no limit (the default). A call that runs out fails with code ETIMEDOUT.
void set_client_timeout(std::chrono::milliseconds timeout, bool whole_stream);
std::chrono::milliseconds client_timeout();

// One request to the server at socket_path; target is "/api/v1/pods?labelSelector=run%3Dx".
// accept: the Accept header (`lab get` asks for Tables, lab/api/table.h).
Result<HttpResponse> http_call(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body = "",
                               const std::string& accept = "application/json",
                               const std::string& content_type = "");

// The reason phrase of a status code ("Not Found").
const char* reason_phrase(int status);

// A streaming call: on_data gets the body as it arrives (chunks decoded) and returns false to
// stop. Returns the HTTP status; a non-2xx body is passed to on_data whole.
// accept: the Accept header, none when empty (`lab get -w` asks for Tables).
Result<int> http_stream(const std::string& socket_path, const std::string& method,
                        const std::string& target, const std::function<bool(const std::string&)>& on_data,
                        const std::string& accept = "");

// Whether a comma-separated header value (Sec-WebSocket-Protocol, X-Stream-Protocol-Version)
// holds the token, blanks around each item ignored.
bool list_holds(std::string_view list, std::string_view token);
std::string url_encode(const std::string& s);
// "%2F" -> "/", and '+' -> ' ' where it stands for a space (a query); a malformed escape ("%zz",
// a '%' at the end) is a Reason::BadRequest error.
Result<std::string> url_decode(const std::string& s, bool plus_is_space = true);

}  // namespace lab::server
