// The server's transport beyond one request per connection: keep-alive (several requests on one
// connection), chunked streams flushed per chunk, the websocket upgrade (an echo with binary
// frames, pings answered, close 1000), and the TLS listener (ALPN http/1.1 only, client
// certificates optional, verified against the CA, their CN and O on the request; a gate's 401).
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/eventfd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "lab/server/http_server.h"

namespace lab::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/lab-http-transport-XXXXXX";
    path = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// A server on one listener, run on a thread of its own, stopped at the end of the test.
struct Running {
  Running(Listener listener, HttpServer::Handler handler, HttpServer::Gate gate = {}, ServerLimits limits = {})
      : stop_fd(::eventfd(0, EFD_CLOEXEC)), server(limits, std::move(handler), std::move(gate)) {
    thread = std::thread([this, listener] { EXPECT_TRUE(server.run({listener}, stop_fd.get()).has_value()); });
  }
  ~Running() {
    uint64_t one = 1;
    EXPECT_EQ(::write(stop_fd.get(), &one, sizeof one), 8);
    thread.join();
    server.stop(2s);
  }
  UniqueFd stop_fd;
  HttpServer server;
  std::thread thread;
};

void echo_path(Connection& conn, const Result<HttpRequest>& req) {
  (void)conn.send(HttpResponse{req ? 200 : 400, req ? req->path : req.error().message, "text/plain"});
}

net::local::stream_protocol::socket connect_unix(net::io_context& ioc, const std::string& path) {
  net::local::stream_protocol::socket sock(ioc);
  sock.connect(net::local::stream_protocol::endpoint(path));
  return sock;
}

TEST(HttpTransport, KeepAliveServesSeveralRequestsOnOneConnection) {
  TempDir dir;
  const std::string path = dir.path + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  Running run({listener->get()}, echo_path);
  net::io_context ioc;
  auto sock = connect_unix(ioc, path);
  beast::flat_buffer buf;
  for (const char* target : {"/one", "/two", "/three"}) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "lab");
    http::write(sock, req);
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), target);
    EXPECT_TRUE(res.keep_alive());
  }
  // Connection: close is honoured: the answer says so and the server closes.
  http::request<http::empty_body> last{http::verb::get, "/last", 11};
  last.keep_alive(false);
  http::write(sock, last);
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  EXPECT_EQ(res.body(), "/last");
  EXPECT_FALSE(res.keep_alive());
  beast::error_code ec;
  char c;
  sock.read_some(net::buffer(&c, 1), ec);
  EXPECT_EQ(ec, net::error::eof);
}

TEST(HttpTransport, AnIdleKeptAliveConnectionIsClosedAtTheIdleTimeout) {
  TempDir dir;
  const std::string path = dir.path + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  ServerLimits limits;
  limits.idle_timeout = 200ms;
  Running run({listener->get()}, echo_path, {}, limits);
  net::io_context ioc;
  auto sock = connect_unix(ioc, path);
  http::request<http::empty_body> req{http::verb::get, "/once", 11};
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  EXPECT_EQ(res.body(), "/once");
  // Idle, waiting for the next request (once the handler's return reached the I/O thread).
  for (int i = 0; i < 100 && run.server.stats().reading != 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(run.server.stats().reading, 1u);
  beast::error_code ec;
  char c;
  sock.read_some(net::buffer(&c, 1), ec);  // returns when the server closes
  EXPECT_EQ(ec, net::error::eof);
  EXPECT_EQ(run.server.stats().reading, 0u);
}

// `kubectl create --raw -f -` sends its body chunked: it arrives whole, de-chunked.
TEST(HttpTransport, AChunkedRequestBodyArrivesWhole) {
  TempDir dir;
  const std::string path = dir.path + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  Running run({listener->get()}, [](Connection& conn, const Result<HttpRequest>& req) {
    (void)conn.send(HttpResponse{req ? 200 : 400, req ? req->body : req.error().message, "text/plain"});
  });
  net::io_context ioc;
  auto sock = connect_unix(ioc, path);
  const std::string raw =
      "POST /api/v1/namespaces/default/serviceaccounts/default/token HTTP/1.1\r\nHost: lab\r\n"
      "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
      "5\r\n{\"a\":\r\n3\r\n12}\r\n0\r\n\r\n";
  net::write(sock, net::buffer(raw));
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "{\"a\":12}");
}

TEST(HttpTransport, StreamChunksAreFlushedOneByOne) {
  TempDir dir;
  const std::string path = dir.path + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  std::mutex mu;
  std::condition_variable cv;
  int step = 0;  // the client's progress: the handler writes the next chunk only after it
  Running run({listener->get()}, [&](Connection& conn, const Result<HttpRequest>&) {
    ASSERT_TRUE(conn.start_stream(200, "application/json").has_value());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(conn.write_chunk("{\"event\":" + std::to_string(i) + "}\n").has_value());
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return step > i; }));
    }
    ASSERT_TRUE(conn.write_chunk("").has_value());
  });
  net::io_context ioc;
  auto sock = connect_unix(ioc, path);
  http::request<http::empty_body> req{http::verb::get, "/api/v1/pods?watch=true", 11};
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  http::read_header(sock, buf, parser);
  EXPECT_TRUE(parser.chunked());
  std::string seen;
  auto on_body = [&](std::uint64_t, beast::string_view body, beast::error_code&) {
    seen.append(body.data(), body.size());
    std::lock_guard lock(mu);
    step++;
    cv.notify_all();
    return body.size();
  };
  parser.on_chunk_body(on_body);  // Beast keeps a reference
  http::read(sock, buf, parser);  // would hang if a chunk waited for the next one
  EXPECT_EQ(seen, "{\"event\":0}\n{\"event\":1}\n{\"event\":2}\n");
}

TEST(HttpTransport, WebsocketEcho) {
  TempDir dir;
  const std::string path = dir.path + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  std::atomic<bool> handler_done{false};
  Running run({listener->get()}, [&](Connection& conn, const Result<HttpRequest>& req) {
    ASSERT_TRUE(req.has_value());
    if (!conn.wants_websocket()) {
      (void)conn.send(HttpResponse{400, "not a websocket", "text/plain"});
      return;
    }
    EXPECT_EQ(req->header("sec-websocket-protocol"), "v5.channel.k8s.io");
    auto ws = conn.accept_websocket("v5.channel.k8s.io");
    ASSERT_TRUE(ws.has_value()) << ws.error().what();
    EXPECT_EQ((*ws)->protocol(), "v5.channel.k8s.io");
    for (;;) {
      auto msg = (*ws)->read();
      if (!msg) break;
      if (*msg == "bye") {
        EXPECT_TRUE((*ws)->close(1000).has_value());
        break;
      }
      ASSERT_TRUE((*ws)->write("echo:" + *msg).has_value());
    }
    handler_done = true;
  });
  net::io_context ioc;
  websocket::stream<net::local::stream_protocol::socket> ws(connect_unix(ioc, path));
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& r) { r.set(http::field::sec_websocket_protocol, "v5.channel.k8s.io"); }));
  websocket::response_type answer;
  ws.handshake(answer, "lab", "/api/v1/namespaces/default/pods/p/exec?command=sh");
  EXPECT_EQ(answer.result_int(), 101u);
  EXPECT_EQ(answer[http::field::sec_websocket_protocol], "v5.channel.k8s.io");
  bool ponged = false;
  ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ponged = true;
  });
  ws.binary(true);
  beast::flat_buffer buf;
  for (std::string msg : {std::string("\x00hello", 6), std::string("\x04{\"Width\":80}")}) {
    ws.write(net::buffer(msg));
    ws.read(buf);
    EXPECT_TRUE(ws.got_binary());
    EXPECT_EQ(beast::buffers_to_string(buf.data()), "echo:" + msg);
    buf.consume(buf.size());
  }
  // A ping is answered while the handler is not reading (it waits for the next message).
  ws.ping({});
  ws.write(net::buffer(std::string("after-ping")));
  ws.read(buf);
  EXPECT_EQ(beast::buffers_to_string(buf.data()), "echo:after-ping");
  buf.consume(buf.size());
  EXPECT_TRUE(ponged);
  ws.write(net::buffer(std::string("bye")));
  beast::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::normal);
  for (int i = 0; i < 200 && !handler_done; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(handler_done);
}

TEST(HttpTransport, AnOrdinaryRequestCannotBeUpgraded) {
  TempDir dir;
  const std::string path = dir.path + "/api.sock";
  auto listener = listen_unix(path);
  ASSERT_TRUE(listener.has_value());
  std::atomic<int> outcome{0};
  Running run({listener->get()}, [&](Connection& conn, const Result<HttpRequest>&) {
    outcome = conn.wants_websocket() ? 1 : conn.accept_websocket("").has_value() ? 2 : 3;
    (void)conn.send(HttpResponse{200, "ok", "text/plain"});
  });
  auto resp = http_call(path, "GET", "/api/v1/pods");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(outcome.load(), 3);
}

// A throwaway CA, a server certificate for 127.0.0.1, an admin client certificate (CN, two O),
// and a client certificate from another CA, made with the openssl CLI.
struct Pki {
  explicit Pki(const std::string& dir) : dir(dir) {
    const std::string script = R"(set -e
cd ")" + dir + R"("
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key; key other-ca.key; key server.key; key admin.key; key stranger.key
openssl req -x509 -new -key ca.key -subj /CN=test-ca -days 1 -out ca.crt
openssl req -x509 -new -key other-ca.key -subj /CN=other-ca -days 1 -out other-ca.crt
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl req -new -key server.key -subj /CN=kube-apiserver -out server.csr
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out server.crt 2>/dev/null
openssl req -new -key admin.key -subj "/O=system:masters/O=dev/CN=kubernetes-admin" -out admin.csr
openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile client.ext -out admin.crt 2>/dev/null
openssl req -new -key stranger.key -subj "/O=system:masters/CN=mallory" -out stranger.csr
openssl x509 -req -in stranger.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -days 1 -extfile client.ext -out stranger.crt 2>/dev/null
)";
    std::ofstream(dir + "/make.sh") << script;
    ok = std::system(("bash " + dir + "/make.sh").c_str()) == 0;
  }
  std::string file(const std::string& name) const { return dir + "/" + name; }
  std::string dir;
  bool ok = false;
};

struct TlsAnswer {
  std::string alpn;
  std::vector<std::string> bodies;  // one per request, all on one connection
};

TlsAnswer tls_requests(uint16_t port, const Pki& pki, const std::string& client, int requests = 1) {
  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.load_verify_file(pki.file("ca.crt"));
  ctx.set_verify_mode(net::ssl::verify_peer);
  if (!client.empty()) {
    ctx.use_certificate_chain_file(pki.file(client + ".crt"));
    ctx.use_private_key_file(pki.file(client + ".key"), net::ssl::context::pem);
  }
  static const unsigned char protos[] = "\x02h2\x08http/1.1";
  SSL_CTX_set_alpn_protos(ctx.native_handle(), protos, sizeof protos - 1);
  net::ssl::stream<net::ip::tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream.handshake(net::ssl::stream_base::client);
  TlsAnswer out;
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &alpn, &alpn_len);
  out.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  beast::flat_buffer buf;
  for (int i = 0; i < requests; ++i) {
    http::request<http::empty_body> req{http::verb::get, "/whoami", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.bodies.push_back(std::to_string(res.result_int()) + " " + res.body());
  }
  return out;
}

TEST(HttpTransport, TlsListenerNamesTheVerifiedClientAndOffersOnlyHttp11) {
  TempDir dir;
  Pki pki(dir.path);
  ASSERT_TRUE(pki.ok);
  auto tls = make_tls_context({pki.file("server.crt"), pki.file("server.key"), pki.file("ca.crt")});
  ASSERT_TRUE(tls.has_value()) << tls.error().what();
  auto listener = listen_loopback();
  ASSERT_TRUE(listener.has_value());
  auto port = local_port(listener->get());
  ASSERT_TRUE(port.has_value());
  // The gate refuses requests without a client identity, as auth.h's 401 does.
  auto gate = [](const HttpRequest& req) -> std::optional<HttpResponse> {
    if (req.client_cn.empty()) return HttpResponse{401, "Unauthorized"};
    return std::nullopt;
  };
  Running run({listener->get(), *tls},
              [](Connection& conn, const Result<HttpRequest>& req) {
                std::string who = req->transport + " " + req->client_cn;
                for (const auto& o : req->client_orgs) who += " " + o;
                (void)conn.send(HttpResponse{200, who, "text/plain"});
              },
              gate);
  auto admin = tls_requests(*port, pki, "admin", 2);
  EXPECT_EQ(admin.alpn, "http/1.1");
  ASSERT_EQ(admin.bodies.size(), 2u);
  EXPECT_EQ(admin.bodies[0], "200 tls kubernetes-admin system:masters dev");
  EXPECT_EQ(admin.bodies[1], admin.bodies[0]);  // kept alive
  // No certificate, or one the lab's CA did not sign: the handshake goes on, nobody is named.
  EXPECT_EQ(tls_requests(*port, pki, "").bodies.at(0), "401 Unauthorized");
  EXPECT_EQ(tls_requests(*port, pki, "stranger").bodies.at(0), "401 Unauthorized");
}

TEST(HttpTransport, ASlowTlsHandshakeIsClosedAtTheReadDeadline) {
  TempDir dir;
  Pki pki(dir.path);
  ASSERT_TRUE(pki.ok);
  auto tls = make_tls_context({pki.file("server.crt"), pki.file("server.key"), pki.file("ca.crt")});
  ASSERT_TRUE(tls.has_value());
  auto listener = listen_loopback();
  ASSERT_TRUE(listener.has_value());
  ServerLimits limits;
  limits.read_timeout = 200ms;
  Running run({listener->get(), *tls}, echo_path, {}, limits);
  net::io_context ioc;
  net::ip::tcp::socket sock(ioc);
  sock.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), *local_port(listener->get())));
  beast::error_code ec;
  char c;
  sock.read_some(net::buffer(&c, 1), ec);  // never says hello: closed by the server
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
  // Counted once the handshake's end reaches the I/O thread (the timer closes the socket first).
  for (int i = 0; i < 200 && run.server.stats().closed_slow == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(run.server.stats().closed_slow, 1u);
}

TEST(HttpTransport, TlsContextRefusesMissingFiles) {
  auto tls = make_tls_context({"/nonexistent/server.crt", "/nonexistent/server.key", "/nonexistent/ca.crt"});
  ASSERT_FALSE(tls.has_value());
  EXPECT_NE(tls.error().message.find("/nonexistent/server.crt"), std::string::npos);
}

}  // namespace
}  // namespace lab::server
