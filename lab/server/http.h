// Just enough HTTP/1.1 for the lab API on a Unix socket: one request per connection,
// Content-Length bodies. The CLI is the client; the daemon's API server the other end.
#pragma once

#include <functional>
#include <map>
#include <string>

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

// One request. A malformed one (request line, header, percent-encoding, Content-Length) is an
// Error with Reason::BadRequest, a body over 3 MiB (kube-apiserver's limit) one with
// Reason::RequestEntityTooLarge: the server answers those 400 and 413. Other errors (the peer
// went away, timed out) have Reason::None: nothing to answer.
Result<HttpRequest> read_request(int fd);
Result<void> write_response(int fd, const HttpResponse& resp);

// Listening socket at path, mode 0600 (root only). Replaces a stale socket file.
Result<UniqueFd> listen_unix(const std::string& path);
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
