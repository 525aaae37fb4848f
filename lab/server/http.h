// Just enough HTTP/1.1 for the lab API on a Unix socket: one request per connection,
// Content-Length bodies. The CLI is the client; the daemon's API server the other end.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"

namespace lab::server {

struct HttpRequest {
  std::string method;                        // GET, POST, PUT, PATCH, DELETE
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // decoded
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// An HTTP message as it arrives, piece by piece (from a non-blocking socket), held to the API
// server's limits when it is a request: read_request's checks, without a thread per reader.
class MessageReader {
 public:
  explicit MessageReader(bool request) : request_(request) {}
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

// The request in a whole message from a MessageReader(true).
Result<HttpRequest> parse_request(Result<std::pair<std::string, std::string>> message);

// One request. A malformed one (request line, header, percent-encoding, Content-Length) is an
// Error with Reason::BadRequest, a body over 3 MiB (kube-apiserver's limit) one with
// Reason::RequestEntityTooLarge: the server answers those 400 and 413. Other errors (the peer
// went away, timed out) have Reason::None: nothing to answer.
Result<HttpRequest> read_request(int fd);
Result<void> write_response(int fd, const HttpResponse& resp);

// Listening socket at path, mode 0600 (root only), close-on-exec. Replaces a stale socket file.
Result<UniqueFd> listen_unix(const std::string& path);

// How long this process's calls wait for a server (the CLI's --request-timeout): http_call for
// its whole answer, http_stream for the head of its answer, and for the whole stream too when
// whole_stream. Zero: no limit (the default). A call that runs out fails with code ETIMEDOUT.
void set_client_timeout(std::chrono::milliseconds timeout, bool whole_stream);
std::chrono::milliseconds client_timeout();

// One request to the server at socket_path; target is "/api/v1/pods?labelSelector=run%3Dx".
Result<HttpResponse> http_call(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body = "");

// Streaming responses (watch, logs -f): a head with chunked encoding, then one chunk per call.
Result<void> write_stream_head(int fd, int status, const std::string& content_type);
Result<void> write_chunk(int fd, const std::string& data);  // empty data ends the stream

// A streaming call: on_data gets the body as it arrives (chunks decoded) and returns false to
// stop. Returns the HTTP status; a non-2xx body is passed to on_data whole.
Result<int> http_stream(const std::string& socket_path, const std::string& method,
                        const std::string& target, const std::function<bool(const std::string&)>& on_data);

std::string url_encode(const std::string& s);
// "%2F" -> "/", and '+' -> ' ' where it stands for a space (a query); a malformed escape ("%zz",
// a '%' at the end) is a Reason::BadRequest error.
Result<std::string> url_decode(const std::string& s, bool plus_is_space = true);

}  // namespace lab::server
