// Who may talk to the TLS listener: client certificates, ServiceAccount tokens (forged, expired,
// for another audience), the 401 body, and the 403s of a reader that tries to write.
#include "lab/server/auth.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lab/base/base64.h"
#include "lab/server/pki.h"
#include "lab/server/token_request.h"

namespace lab::server {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

HttpRequest req(std::string method, std::string path, std::string bearer = "",
                std::map<std::string, std::string> query = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  if (!bearer.empty()) r.headers["authorization"] = "Bearer " + bearer;
  return r;
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = make_pki({.lab = "auth", .service_ip = "10.96.0.1"});
    ASSERT_TRUE(p);
    pki_ = new Pki(*p);
  }
  static void TearDownTestSuite() { delete pki_; }
  void SetUp() override {
    creds_.sa_public_key_pem = pki_->sa_pub;
    creds_.now = [this] { return now_; };
  }
  std::string token(const std::string& ns = "default", const std::string& name = "reader",
                    std::chrono::seconds lifetime = 3600s, const std::string& key = "") {
    auto t = issue_service_account_token(key.empty() ? pki_->sa_key : key,
                                         {.ns = ns, .name = name, .uid = "u-1", .issued_at = now_, .lifetime = lifetime},
                                         creds_);
    EXPECT_TRUE(t);
    return t.value_or("");
  }
  static Pki* pki_;
  Credentials creds_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::from_time_t(1'800'000'000);
  const Peer tls_{.transport = Peer::Transport::Tls};
};
Pki* AuthTest::pki_ = nullptr;

TEST_F(AuthTest, UnixSocketIsRoot) {
  auto who = authenticate(Peer{}, req("DELETE", "/api/v1/nodes/x"), creds_);
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->in_group("system:masters"));
  EXPECT_FALSE(check_request(Peer{}, req("DELETE", "/api/v1/nodes/x"), creds_));
}

TEST_F(AuthTest, ClientCertificate) {
  Peer admin{.transport = Peer::Transport::Tls, .cert_cn = "kubernetes-admin", .cert_orgs = {"system:masters"}};
  auto who = authenticate(admin, req("POST", "/api/v1/namespaces/default/pods"), creds_);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "kubernetes-admin");
  EXPECT_TRUE(who->in_group("system:masters"));
  EXPECT_TRUE(who->in_group("system:authenticated"));
  EXPECT_FALSE(check_request(admin, req("POST", "/api/v1/namespaces/default/pods"), creds_));
  // A verified certificate without system:masters reads but does not write.
  Peer jane{.transport = Peer::Transport::Tls, .cert_cn = "jane", .cert_orgs = {"dev"}};
  EXPECT_FALSE(check_request(jane, req("GET", "/api/v1/pods"), creds_));
  auto refused = check_request(jane, req("POST", "/api/v1/namespaces/default/pods"), creds_);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
}

TEST_F(AuthTest, NothingValidIsKubeApiserversBare401) {
  for (const auto& r : {req("GET", "/version"), req("GET", "/api/v1/pods", "not-a-jwt"),
                        req("GET", "/api/v1/pods", "a.b.c"), req("GET", "/api/v1/pods", "..")}) {
    auto who = authenticate(tls_, r, creds_);
    ASSERT_FALSE(who);
    EXPECT_EQ(who.error().status, 401);
    EXPECT_EQ(who.error().body,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized",)"
              R"("reason":"Unauthorized","code":401})");
  }
  HttpRequest basic = req("GET", "/api/v1/pods");
  basic.headers["authorization"] = "Basic YWRtaW46YWRtaW4=";
  EXPECT_FALSE(authenticate(tls_, basic, creds_));
}

TEST_F(AuthTest, ServiceAccountTokenIsAKubernetesShapedJwt) {
  const std::string t = token();
  auto dot1 = t.find('.'), dot2 = t.rfind('.');
  ASSERT_NE(dot1, dot2);
  auto b64url = [](std::string s) {
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    return base64_decode(s).value_or("");
  };
  Json header = Json::parse(b64url(t.substr(0, dot1)));
  Json claims = Json::parse(b64url(t.substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(claims["sub"], "system:serviceaccount:default:reader");
  EXPECT_EQ(claims["iss"], "https://kubernetes.default.svc.cluster.local");
  EXPECT_EQ(claims["kubernetes.io"]["namespace"], "default");
  EXPECT_EQ(claims["kubernetes.io"]["serviceaccount"]["name"], "reader");
  EXPECT_EQ(claims["exp"].get<long long>() - claims["iat"].get<long long>(), 3600);

  auto who = authenticate(tls_, req("GET", "/api/v1/pods", t), creds_);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "system:serviceaccount:default:reader");
  EXPECT_EQ(who->groups, (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:default",
                                                   "system:authenticated"}));
  // The scheme is case-insensitive.
  HttpRequest lower = req("GET", "/api/v1/pods");
  lower.headers["authorization"] = "bearer " + t;
  EXPECT_TRUE(authenticate(tls_, lower, creds_));
}

TEST_F(AuthTest, BadTokensAreRefused) {
  const std::string good = token();
  // Another key (another lab's) signed it.
  auto other = make_pki({.lab = "other", .service_ip = "10.96.0.1"});
  ASSERT_TRUE(other);
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", token("default", "reader", 3600s, other->sa_key)), creds_));
  // Expired, and not yet valid.
  const std::string short_lived = token("default", "reader", 60s);
  now_ += 61s;
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", short_lived), creds_));
  now_ -= 3600s;
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", good), creds_));
  now_ += 3600s - 61s;
  ASSERT_TRUE(authenticate(tls_, req("GET", "/api/v1/pods", good), creds_));
  // One flipped byte in the payload or the signature.
  for (size_t at : {good.find('.') + 3, good.size() - 3}) {
    std::string bad = good;
    bad[at] = bad[at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", bad), creds_)) << at;
  }
  // alg none with the same claims.
  std::string none = "eyJhbGciOiJub25lIn0" + good.substr(good.find('.'), good.rfind('.') - good.find('.')) + ".";
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", none), creds_));
  // Another audience.
  Credentials other_aud = creds_;
  other_aud.audience = "vault";
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", good), other_aud));
  // The account was deleted.
  Credentials gone = creds_;
  gone.service_account_exists = [](const std::string&, const std::string&, const std::string&) { return false; };
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", good), gone));
}

TEST_F(AuthTest, ServiceAccountsReadButDoNotWrite) {
  const std::string t = token();
  for (const auto& r : {req("GET", "/api/v1/namespaces/default/pods", t), req("GET", "/api/v1/pods/x", t),
                        req("GET", "/api/v1/pods", t, {{"watch", "true"}}), req("GET", "/version", t),
                        req("GET", "/apis", t), req("GET", "/openapi/v3", t),
                        req("GET", "/api/v1/namespaces/default/pods/x/log", t)})
    EXPECT_FALSE(check_request(tls_, r, creds_)) << r.method << " " << r.path;
  auto post = check_request(tls_, req("POST", "/api/v1/namespaces/default/pods", t), creds_);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 403);
  Json status = Json::parse(post->body);
  EXPECT_EQ(status["reason"], "Forbidden");
  EXPECT_EQ(status["message"],
            "pods is forbidden: User \"system:serviceaccount:default:reader\" cannot create resource \"pods\" in API "
            "group \"\" in the namespace \"default\"");
  auto del = check_request(tls_, req("DELETE", "/apis/apps/v1/namespaces/default/deployments/web", t), creds_);
  ASSERT_TRUE(del);
  EXPECT_EQ(Json::parse(del->body)["message"],
            "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:default:reader\" cannot delete "
            "resource \"deployments\" in API group \"apps\" in the namespace \"default\"");
  auto exec = check_request(tls_, req("GET", "/api/v1/namespaces/default/pods/x/exec", t), creds_);
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->status, 403);
  auto path = check_request(tls_, req("POST", "/version", t), creds_);
  ASSERT_TRUE(path);
  EXPECT_EQ(Json::parse(path->body)["message"],
            "forbidden: User \"system:serviceaccount:default:reader\" cannot post path \"/version\"");
  for (const char* m : {"PUT", "PATCH"})
    EXPECT_TRUE(check_request(tls_, req(m, "/api/v1/namespaces/default/services/x", t), creds_)) << m;
}

TEST_F(AuthTest, PeerOfTheRequest) {
  HttpRequest r = req("POST", "/api/v1/namespaces/default/pods");
  r.transport = "unix";
  EXPECT_FALSE(check_request(r, creds_));
  for (const char* t : {"tls", "tcp", ""}) {
    r.transport = t;
    auto refused = check_request(r, creds_);
    ASSERT_TRUE(refused) << t;
    EXPECT_EQ(refused->status, 401) << t;
  }
  r.transport = "tls";
  r.client_cn = "kubernetes-admin";
  r.client_orgs = {"system:masters"};
  EXPECT_FALSE(check_request(r, creds_));
}

TEST_F(AuthTest, TokenRequestIssuesTokensTheApiAccepts) {
  TokenIssuer issuer(pki_->sa_key, creds_, [](const std::string& ns, const std::string& name) {
    return ns == "default" && name == "default" ? std::optional<std::string>("uid-7") : std::nullopt;
  });
  EXPECT_FALSE(issuer.handle(req("POST", "/api/v1/namespaces/default/pods")));
  HttpRequest post = req("POST", "/api/v1/namespaces/default/serviceaccounts/default/token");
  post.body = R"({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},)"
              R"("spec":{"audiences":null,"expirationSeconds":null,"boundObjectRef":null},"status":{"token":""}})";
  auto answer = issuer.handle(post);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 201) << answer->body;
  Json tr = Json::parse(answer->body);
  EXPECT_EQ(tr["kind"], "TokenRequest");
  EXPECT_EQ(tr["spec"]["expirationSeconds"], 3600);
  EXPECT_EQ(tr["status"]["expirationTimestamp"], "2027-01-15T09:00:00Z");
  const std::string t = tr["status"]["token"];
  auto who = authenticate(tls_, req("GET", "/api/v1/pods", t), creds_);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "system:serviceaccount:default:default");
  // A token for another audience is no token for the API.
  post.body = R"({"spec":{"audiences":["vault"],"expirationSeconds":600}})";
  answer = issuer.handle(post);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 201);
  EXPECT_FALSE(authenticate(tls_, req("GET", "/api/v1/pods", Json::parse(answer->body)["status"]["token"]), creds_));
  post.body = R"({"spec":{"expirationSeconds":60}})";
  answer = issuer.handle(post);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 422);
  EXPECT_EQ(Json::parse(answer->body)["message"],
            "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds: Invalid value: 60: may "
            "not specify a duration less than 10 minutes");
  answer = issuer.handle(req("POST", "/api/v1/namespaces/default/serviceaccounts/ghost/token"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(Json::parse(answer->body)["message"], "serviceaccounts \"ghost\" not found");
  HttpRequest junk = post;
  junk.body = "{not json";
  EXPECT_EQ(issuer.handle(junk)->status, 400);
}

}  // namespace
}  // namespace lab::server
