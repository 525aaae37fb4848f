// Beast's request parser, its limits and errors, and the conversion to an HttpRequest.
#include "lab/server/http_request.h"

#include <sys/socket.h>

#include <optional>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "lab/base/parse.h"
#include "lab/server/beast_request.h"

namespace lab::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;

void limit_parser(BeastParser& parser) {
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxRequestBody);
  parser.eager(true);
}

Error request_error(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::end_of_stream).category())
    return Error{0, "the connection failed: " + ec.message(), Reason::None};
  switch (static_cast<http::error>(ec.value())) {
    case http::error::end_of_stream:
      return Error{0, "the peer closed the connection", Reason::None};
    case http::error::partial_message:
      return Error{0, "malformed HTTP request: the connection closed before the request was whole",
                   Reason::BadRequest};
    case http::error::header_limit:
    case http::error::buffer_overflow:
      return Error{0, "the header section is larger than " + std::to_string(kMaxHeaderBytes) + " bytes",
                   Reason::BadRequest};
    case http::error::body_limit:
      return Error{0, "Request entity too large: limit is " + std::to_string(kMaxRequestBody),
                   Reason::RequestEntityTooLarge};
    default:
      return Error{0, "malformed HTTP request: " + ec.message(), Reason::BadRequest};
  }
}

Result<HttpRequest> to_http_request(const BeastRequest& in) {
  HttpRequest req;
  req.method = std::string(in.method_string());
  LAB_TRY(parse_target(std::string_view(in.target().data(), in.target().size()), req));
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value(trim_space(std::string_view(field.value().data(), field.value().size())));
    auto [it, fresh] = req.headers.try_emplace(std::move(name), value);
    if (!fresh) it->second += ", " + value;
  }
  // A chunked body (`kubectl create --raw -f -` sends one) arrives de-chunked: Beast's parser
  // decodes it and holds it to the same body limit as a Content-Length.
  req.body = in.body();
  return req;
}

struct RequestParser::Impl {
  BeastParser parser;
  std::string buf;
  bool done = false;
  bool any = false;  // a byte arrived
  std::optional<Error> error;

  bool feed() {
    while (!done) {
      beast::error_code ec;
      const size_t used = parser.put(boost::asio::buffer(buf.data(), buf.size()), ec);
      buf.erase(0, used);
      if (ec == http::error::need_more) {
        // Beast wants the whole head at once: a head that never ends is refused at the limit.
        if (!parser.is_header_done() && buf.size() > kMaxHeaderBytes) return fail(request_error(http::error::header_limit));
        return false;
      }
      if (ec) return fail(request_error(ec));
      if (parser.is_done()) return done = true;
      if (used == 0) return false;
    }
    return true;
  }
  bool fail(Error e) {
    error = std::move(e);
    return done = true;
  }
};

RequestParser::RequestParser() : impl_(std::make_unique<Impl>()) { limit_parser(impl_->parser); }
RequestParser::~RequestParser() = default;

bool RequestParser::add(const char* data, size_t n) {
  if (impl_->done) return true;
  if (n > 0) impl_->any = true;
  impl_->buf.append(data, n);
  return impl_->feed();
}

bool RequestParser::end() {
  if (impl_->done) return true;
  if (!impl_->any) return impl_->fail(request_error(http::error::end_of_stream));
  beast::error_code ec;
  impl_->parser.put_eof(ec);
  if (ec) return impl_->fail(request_error(ec));
  return impl_->done = true;
}

bool RequestParser::done() const { return impl_->done; }

Result<HttpRequest> RequestParser::take() {
  if (impl_->error) return std::unexpected(*impl_->error);
  if (!impl_->done || !impl_->parser.is_done()) return fail("incomplete HTTP request");
  return to_http_request(impl_->parser.get());
}

Result<HttpRequest> read_request(int fd) {
  RequestParser parser;
  char chunk[16384];
  while (!parser.done()) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("receive");
    if (n == 0) parser.end();
    else parser.add(chunk, static_cast<size_t>(n));
  }
  return parser.take();
}

}  // namespace lab::server
