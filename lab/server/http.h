// Just enough HTTP/1.1 for the lab API on a Unix socket: one request per connection,
// Content-Length bodies. The CLI is the client; the daemon's API server the other end.
#pragma once

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

Result<HttpRequest> read_request(int fd);
Result<void> write_response(int fd, const HttpResponse& resp);

// Listening socket at path, mode 0600 (root only). Replaces a stale socket file.
Result<UniqueFd> listen_unix(const std::string& path);
// One request to the server at socket_path; target is "/api/v1/pods?labelSelector=run%3Dx".
Result<HttpResponse> http_call(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body = "");

std::string url_encode(const std::string& s);
std::string url_decode(const std::string& s);

}  // namespace lab::server
