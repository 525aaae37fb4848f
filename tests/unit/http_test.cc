// The API server's request reader against raw bytes through a socketpair: what kubectl sends,
// and each way a request can be malformed, which must come back as an error the server answers
// with 400 (or 413), never an exception or a hang.
#include "lab/server/http.h"
#include "lab/server/http_request.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <thread>

namespace lab::server {
namespace {

// Writes `raw` to one end of a socketpair (from a thread: a big request does not fit in the
// socket's buffer), closes it, and reads a request from the other end.
Result<HttpRequest> read_raw(const std::string& raw, bool close_after = true) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return fail_errno("socketpair");
  UniqueFd reader(fds[0]), writer(fds[1]);
  timeval tv{2, 0};  // a reader that waits for more than the request holds fails, not hangs
  ::setsockopt(reader.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::thread send([&] {
    size_t off = 0;
    while (off < raw.size()) {
      ssize_t n = ::send(writer.get(), raw.data() + off, raw.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;  // the reader gave up (too large): fine
      off += static_cast<size_t>(n);
    }
    if (close_after) ::shutdown(writer.get(), SHUT_WR);
  });
  auto req = read_request(reader.get());
  reader.reset();  // unblocks a writer the reader stopped listening to
  send.join();
  return req;
}

Reason reason_of(const std::string& raw) {
  auto req = read_raw(raw);
  EXPECT_FALSE(req.has_value()) << raw.substr(0, 80);
  return req ? Reason::None : req.error().reason;
}

std::string with_length(const std::string& length) {
  return "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: lab\r\nContent-Length: " + length + "\r\n\r\n{}";
}

TEST(Http, ReadsWhatKubectlSends) {
  auto req = read_raw("POST /api/v1/namespaces/default/pods?labelSelector=run%3Dmy-nginx&watch=1&q=a+b HTTP/1.1\r\n"
                      "Host: lab\r\ncontent-length: 2\r\nAccept: application/json\r\n\r\n{}");
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->path, "/api/v1/namespaces/default/pods");
  EXPECT_EQ(req->query.at("labelSelector"), "run=my-nginx");
  EXPECT_EQ(req->query.at("watch"), "1");
  EXPECT_EQ(req->query.at("q"), "a b");
  EXPECT_EQ(req->body, "{}");
  EXPECT_EQ(req->header("accept"), "application/json");
  EXPECT_EQ(req->header("content-length"), "2");
  EXPECT_EQ(req->header("authorization"), "");
}

TEST(Http, RepeatedHeadersAreJoinedAndNamesLowerCased) {
  auto req = read_raw("GET /api HTTP/1.1\r\nAccept: application/json;as=Table;v=v1;g=meta.k8s.io\r\n"
                      "ACCEPT:  application/json \r\nUser-Agent: kubectl/v1.32.4\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->header("accept"), "application/json;as=Table;v=v1;g=meta.k8s.io, application/json");
  EXPECT_EQ(req->header("user-agent"), "kubectl/v1.32.4");
}

TEST(Http, PlusInAPathIsAPlus) {
  auto req = read_raw("GET /api/v1/namespaces/default/pods/a+b%2Dc HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->path, "/api/v1/namespaces/default/pods/a+b-c");
}

TEST(Http, BodyStopsAtContentLength) {
  auto req = read_raw(with_length("1") + "trailing");
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->body, "{");
}

TEST(Http, RequestWithoutLengthHasNoBodyAndDoesNotWaitForEof) {
  auto req = read_raw("GET /version HTTP/1.1\r\nHost: lab\r\n\r\n", /*close_after=*/false);
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->path, "/version");
  EXPECT_EQ(req->body, "");
}

TEST(Http, BadPercentEncodingIsABadRequest) {
  EXPECT_EQ(reason_of("GET /api/v1/pods%zz HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /api/v1/pods% HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /api/v1/pods%4 HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /api/v1/pods?labelSelector=a%3 HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /api/v1/pods?a%g1=b HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  auto req = read_raw("GET /api/v1/pods%zz HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(req.has_value());
  EXPECT_EQ(req.error().message, "invalid URL escape \"%zz\"");
}

TEST(Http, InvalidUtf8IsABadRequest) {
  EXPECT_EQ(reason_of("GET /api/v1/namespaces/default/pods/%ff HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /api/v1/pods?labelSelector=a%3D%c3%28 HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_TRUE(read_raw("GET /api/v1/pods?labelSelector=a%3D%c3%a9 HTTP/1.1\r\n\r\n").has_value());
  // Raw bytes quoted back in a message are escaped: it goes into a JSON Status.
  auto req = read_raw("GET /\xff%\xfe HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(req.has_value());
  EXPECT_EQ(req.error().message, "invalid URL escape \"%\\xfe\"");
}

TEST(Http, BadContentLengthIsABadRequest) {
  for (const char* bad : {"abc", "-1", "+2", "2 2", "0x10", "", "99999999999999999999999", "1e3", "2.0"})
    EXPECT_EQ(reason_of(with_length(bad)), Reason::BadRequest) << bad;
  EXPECT_EQ(reason_of("POST /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), Reason::BadRequest);
  // The same length twice is what some proxies send; it is not a conflict.
  EXPECT_TRUE(read_raw("POST /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}").has_value());
}

TEST(Http, BodyShorterThanItsLengthIsABadRequest) {
  EXPECT_EQ(reason_of(with_length("10")), Reason::BadRequest);
}

// kube-apiserver takes chunked bodies (`kubectl create --raw -f -` sends one): de-chunked, and
// held to the same limit as a Content-Length, counted as the chunks arrive.
TEST(Http, ChunkedRequestsArriveWholeWithinTheBodyLimit) {
  auto req = read_raw("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->body, "{}");
  const std::string big(1 << 20, 'x');
  std::string chunks;
  for (int i = 0; i < 4; ++i) chunks += "100000\r\n" + big + "\r\n";
  EXPECT_EQ(reason_of("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n"),
            Reason::RequestEntityTooLarge);
}

TEST(Http, BodyOverThreeMebibytesIsTooLarge) {
  // Refused from the header alone: nothing of the body is read.
  EXPECT_EQ(reason_of(with_length(std::to_string((3 << 20) + 1))), Reason::RequestEntityTooLarge);
  EXPECT_EQ(reason_of(with_length("18446744073709551615")), Reason::RequestEntityTooLarge);
  // Exactly the limit is fine.
  const std::string body(3 << 20, 'x');
  auto req = read_raw("POST /x HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(req.has_value()) << req.error().what();
  EXPECT_EQ(req->body.size(), body.size());
}

TEST(Http, HugeHeaderSectionIsABadRequest) {
  EXPECT_EQ(reason_of("GET /x HTTP/1.1\r\nX-Big: " + std::string(2 << 20, 'a') + "\r\n\r\n"), Reason::BadRequest);
  // Without an end of headers at all: refused once past the limit, not read forever.
  EXPECT_EQ(reason_of("GET /x HTTP/1.1\r\nX-Big: " + std::string(2 << 20, 'a')), Reason::BadRequest);
}

TEST(Http, MalformedRequestLineIsABadRequest) {
  EXPECT_EQ(reason_of("GET\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /x\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of(" /x HTTP/1.1\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /x FTP/1.0\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /x HTTP/1.1\r\nno colon here\r\n\r\n"), Reason::BadRequest);
  EXPECT_EQ(reason_of("GET /x HTTP/1.1\r\n"), Reason::BadRequest);  // no end of headers
}

TEST(Http, UrlDecode) {
  EXPECT_EQ(url_decode("a%20b+c").value(), "a b c");
  EXPECT_EQ(url_decode("a+b", false).value(), "a+b");
  EXPECT_EQ(url_decode("%2f%2F").value(), "//");
  EXPECT_EQ(url_decode(url_encode("run=my nginx/ü")).value(), "run=my nginx/ü");
  for (const char* bad : {"%", "%2", "%zz", "a%G0", "%%"}) {
    auto r = url_decode(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().reason, Reason::BadRequest);
  }
}

}  // namespace
}  // namespace lab::server
