// The glue between Beast's request parser and the lab's HttpRequest: the parser's limits, the
// conversion, and which parser errors are the client's (answered 400/413) rather than the
// transport's (nothing to answer). Internal to the server's .cc files: it includes Beast.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "lab/base/result.h"
#include "lab/server/http.h"

namespace lab::server {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Go's net/http DefaultMaxHeaderBytes, which kube-apiserver keeps.
inline constexpr size_t kMaxHeaderBytes = 1 << 20;
// kube-apiserver's limit on a request body (MaxRequestBodyBytes): 3 MiB.
inline constexpr uint64_t kMaxRequestBody = 3 << 20;

// Sets the head and body limits on a fresh parser.
void limit_parser(BeastParser& parser);
// The request as handlers see it (headers lower-cased, repeated ones joined with ", ").
Result<HttpRequest> to_http_request(const BeastRequest& req);
// A parser error as the answer to give: Reason::BadRequest or RequestEntityTooLarge; Reason::None
// when the peer simply closed or the transport failed (nothing to answer).
Error request_error(const boost::beast::error_code& ec);

}  // namespace lab::server
