// Reading a request with Boost.Beast's HTTP/1.1 parser, held to kube-apiserver's limits: a head
// of at most 1 MiB (Go's DefaultMaxHeaderBytes), a body of at most 3 MiB (MaxRequestBodyBytes),
// Content-Length bodies only. The server's sessions use the same parser and the same checks
// (beast_request.h); this class feeds it from bytes, for tests and for read_request.
#pragma once

#include <cstddef>
#include <memory>

#include "lab/base/result.h"
#include "lab/server/http.h"

namespace lab::server {

class RequestParser {
 public:
  RequestParser();
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  // Bytes that arrived. True once the request is whole or cannot become so (take() tells which).
  bool add(const char* data, size_t n);
  // The peer closed: what arrived is all there is. Always true.
  bool end();
  bool done() const;
  // The request; a malformed one (request line, header, percent-encoding, Content-Length) is an
  // Error with Reason::BadRequest, a body over 3 MiB one with Reason::RequestEntityTooLarge (the
  // server answers those 400 and 413); a peer that closed before sending anything, Reason::None.
  Result<HttpRequest> take();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request from a blocking socket, until it is whole or the peer closes.
Result<HttpRequest> read_request(int fd);

}  // namespace lab::server
