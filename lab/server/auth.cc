// Authentication (client certificates, ServiceAccount JWTs) and the lab's authorizer, with
// kube-apiserver's answers: the bare 401 and RBAC's 403 wording.
#include "lab/server/auth.h"

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lab/api/json_access.h"
#include "lab/base/base64.h"
#include "lab/server/api_server.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};

constexpr const char* kServiceAccountPrefix = "system:serviceaccount:";

std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '/');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::unique_ptr<EVP_PKEY, Free> parse_key(const std::string& pem, bool is_private) {
  std::unique_ptr<BIO, Free> b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!b) return nullptr;
  EVP_PKEY* k = is_private ? PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr)
                           : PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();
  return std::unique_ptr<EVP_PKEY, Free>(k);
}

// Each key text parsed once: parsing the PEM was most of a token's cost (the kubelet asks one per
// pod starting, and every request of a pod verifies one). A lab has one key pair; the bound is
// for processes that see many (tests). OpenSSL 3 shares an EVP_PKEY between threads that only
// sign or verify with it.
std::shared_ptr<EVP_PKEY> read_key(const std::string& pem, bool is_private) {
  static std::mutex mu;
  static std::map<std::pair<std::string, bool>, std::shared_ptr<EVP_PKEY>> keys;
  std::lock_guard lock(mu);
  auto it = keys.find({pem, is_private});
  if (it != keys.end()) return it->second;
  auto parsed = parse_key(pem, is_private);
  if (!parsed) return nullptr;
  std::shared_ptr<EVP_PKEY> key(parsed.release(), EVP_PKEY_free);
  if (keys.size() >= 16) keys.clear();
  keys.emplace(std::pair{pem, is_private}, key);
  return key;
}

// ES256 (RFC 7518 §3.4): the signature is r||s, 32 bytes each, not OpenSSL's DER.
std::optional<std::string> es256_sign(EVP_PKEY* key, const std::string& input) {
  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return std::nullopt;
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return std::nullopt;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, Free> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return std::nullopt;
  std::string raw(64, '\0');
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32) != 32)
    return std::nullopt;
  return raw;
}

bool es256_verify(EVP_PKEY* key, const std::string& input, const std::string& raw) {
  if (raw.size() != 64) return false;
  std::unique_ptr<ECDSA_SIG, Free> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

long long unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The ServiceAccount identity a token proves, or nullopt: a JWS of three base64url parts, alg
// ES256, signed by the lab's key, from the lab's issuer, for the lab's audience, within its time.
std::optional<Identity> verify_token(const std::string& token, const Credentials& creds) {
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) return std::nullopt;
  auto header_text = base64url_decode(std::string_view(token).substr(0, dot1));
  auto payload_text = base64url_decode(std::string_view(token).substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(std::string_view(token).substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) return std::nullopt;
  Json header = Json::parse(*header_text, nullptr, false);
  Json claims = Json::parse(*payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return std::nullopt;
  // Only ES256: a token may not pick a weaker algorithm ("none", HS256 with the public key).
  if (api::string_at(header, "alg") != "ES256") return std::nullopt;
  auto key = read_key(creds.sa_public_key_pem, false);
  if (!key || !es256_verify(key.get(), token.substr(0, dot2), *signature)) return std::nullopt;

  if (api::string_at(claims, "iss") != creds.issuer) return std::nullopt;
  const Json& aud = api::member(claims, "aud");
  bool audience_ok = aud.is_string() && aud.get<std::string>() == creds.audience;
  if (aud.is_array())
    for (const auto& a : aud)
      if (a.is_string() && a.get<std::string>() == creds.audience) audience_ok = true;
  if (!audience_ok) return std::nullopt;
  const long long now = unix_seconds(creds.now());
  const Json& exp = api::member(claims, "exp");
  const Json& nbf = api::member(claims, "nbf");
  if (!exp.is_number_integer() || exp.get<long long>() <= now) return std::nullopt;
  if (!nbf.is_null() && (!nbf.is_number_integer() || nbf.get<long long>() > now)) return std::nullopt;

  const std::string sub = api::string_at(claims, "sub");
  if (!sub.starts_with(kServiceAccountPrefix)) return std::nullopt;
  const std::string rest = sub.substr(std::string(kServiceAccountPrefix).size());
  const size_t colon = rest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find(':', colon + 1) != std::string::npos)
    return std::nullopt;
  const std::string ns = rest.substr(0, colon), name = rest.substr(colon + 1);
  const Json& k8s = api::member(claims, "kubernetes.io");
  const Json& sa = api::member(k8s, "serviceaccount");
  if (api::string_at(k8s, "namespace") != ns || api::string_at(sa, "name") != name) return std::nullopt;
  if (creds.service_account_exists && !creds.service_account_exists(ns, name, api::string_at(sa, "uid")))
    return std::nullopt;
  // A token bound to a pod (the kubelet's, in the pod's kube-api-access volume) dies with the pod.
  if (const Json& pod = api::member(k8s, "pod"); pod.is_object() && creds.pod_exists &&
                                                  !creds.pod_exists(ns, api::string_at(pod, "name"), api::string_at(pod, "uid")))
    return std::nullopt;
  return Identity{sub, {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}};
}

HttpResponse forbidden(const std::string& message, Json details) {
  Json status = status_object(403, "Forbidden", message);
  if (!details.empty()) status["details"] = std::move(details);
  return {403, status.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

// What a user without system:masters may do: read resources, not exec into or proxy to them.
bool reader_may(const RequestAttributes& a) {
  if (a.verb != "get" && a.verb != "list" && a.verb != "watch") return false;
  for (const char* s : {"exec", "attach", "portforward", "proxy"})
    if (a.subresource == s) return false;
  return true;
}

}  // namespace

Peer peer_of(const HttpRequest& req) {
  Peer p;
  p.transport = req.transport == "unix" ? Peer::Transport::Unix : Peer::Transport::Tls;
  p.cert_cn = req.client_cn;
  p.cert_orgs = req.client_orgs;
  return p;
}

bool Identity::in_group(const std::string& g) const { return std::find(groups.begin(), groups.end(), g) != groups.end(); }

HttpResponse unauthorized_response() {
  // kube-apiserver's body, byte for byte (its field order, not nlohmann's sorted one).
  return {401,
          R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized",)"
          R"("reason":"Unauthorized","code":401})"};
}

std::expected<Identity, HttpResponse> authenticate(const Peer& peer, const HttpRequest& req,
                                                   const Credentials& creds) {
  if (peer.transport == Peer::Transport::Unix)
    return Identity{"system:admin", {"system:masters", "system:authenticated"}};
  if (!peer.cert_cn.empty()) {
    Identity who{peer.cert_cn, peer.cert_orgs};
    if (!who.in_group("system:authenticated")) who.groups.push_back("system:authenticated");
    return who;
  }
  const std::string auth = req.header("authorization");
  // RFC 6750: the scheme is case-insensitive; kube-apiserver's bearer authenticator is too.
  if (auth.size() > 7) {
    std::string scheme = auth.substr(0, 7);
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string token = auth.substr(7);
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    while (!token.empty() && token.back() == ' ') token.pop_back();
    if (scheme == "bearer " && !token.empty())
      if (auto who = verify_token(token, creds)) return *who;
  }
  return std::unexpected(unauthorized_response());
}

std::optional<RequestAttributes> request_attributes(const HttpRequest& req) {
  auto parts = path_parts(req.path);
  RequestAttributes a;
  size_t i;
  if (parts.size() >= 3 && parts[0] == "api") {
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    a.group = parts[1];
    i = 3;
  } else {
    return std::nullopt;
  }
  // /api/v1/namespaces and /api/v1/namespaces/NAME are the namespaces resource itself.
  if (parts[i] == "namespaces" && parts.size() > i + 2) {
    a.ns = parts[i + 1];
    i += 2;
  }
  a.resource = parts[i];
  if (i + 1 < parts.size()) a.name = parts[i + 1];
  if (i + 2 < parts.size()) a.subresource = parts[i + 2];
  auto watch = req.query.find("watch");
  const bool watching = watch != req.query.end() && (watch->second == "true" || watch->second == "1");
  // A websocket exec/attach is a GET that writes into a pod: kube-apiserver asks for `create`
  // on pods/exec and pods/attach (AuthorizePodWebsocketUpgradeCreatePermission), as for POST.
  const bool into_pod = a.subresource == "exec" || a.subresource == "attach" || a.subresource == "portforward";
  if ((req.method == "GET" || req.method == "HEAD") && into_pod) a.verb = "create";
  else if (req.method == "GET" || req.method == "HEAD") a.verb = watching ? "watch" : a.name.empty() ? "list" : "get";
  else if (req.method == "POST") a.verb = "create";
  else if (req.method == "PUT") a.verb = "update";
  else if (req.method == "PATCH") a.verb = "patch";
  else if (req.method == "DELETE") a.verb = a.name.empty() ? "deletecollection" : "delete";
  else {
    a.verb = req.method;
    for (auto& c : a.verb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return a;
}

bool discovery_path(const std::string& path) {
  // system:discovery and system:public-info-viewer: /api, /api/*, /apis, /apis/*, /openapi,
  // /openapi/*, /version, /healthz, /livez, /readyz.
  static const std::array<const char*, 7> exact = {"/version", "/healthz", "/readyz", "/livez", "/api", "/apis",
                                                   "/openapi"};
  for (const char* p : exact)
    if (path == p || path == std::string(p) + "/") return true;
  if (path.starts_with("/openapi/")) return true;
  auto parts = path_parts(path);
  return (parts.size() == 2 && parts[0] == "api") || ((parts.size() == 2 || parts.size() == 3) && parts[0] == "apis");
}

HttpResponse forbidden_response(const std::string& user_name, const HttpRequest& req) {
  const std::string user = "User \"" + user_name + "\"";
  auto attrs = request_attributes(req);
  if (!attrs) {
    std::string verb = req.method == "GET" ? "get" : req.method == "POST" ? "post" : req.method == "PUT" ? "put"
                     : req.method == "PATCH" ? "patch" : req.method == "DELETE" ? "delete" : req.method;
    return forbidden("forbidden: " + user + " cannot " + verb + " path \"" + req.path + "\"", Json::object());
  }
  const RequestAttributes& a = *attrs;
  std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string qualified = a.group.empty() ? a.resource : a.resource + "." + a.group;
  std::string message = qualified + (a.name.empty() ? "" : " \"" + a.name + "\"") + " is forbidden: " + user +
                        " cannot " + a.verb + " resource \"" + resource + "\" in API group \"" + a.group + "\"" +
                        (a.ns.empty() ? " at the cluster scope" : " in the namespace \"" + a.ns + "\"");
  Json details = {{"kind", a.resource}};
  if (!a.name.empty()) details["name"] = a.name;
  if (!a.group.empty()) details["group"] = a.group;
  return forbidden(message, details);
}

bool may(const Identity& who, const RequestAttributes& a) {
  if (who.in_group("system:masters")) return true;
  const bool self_review = (a.group == "authorization.k8s.io" && a.resource == "selfsubjectaccessreviews") ||
                           (a.group == "authentication.k8s.io" && a.resource == "selfsubjectreviews");
  if (self_review) return a.verb == "create";
  return reader_may(a);
}

bool may_non_resource(const Identity& who, const std::string& verb, const std::string& path) {
  return who.in_group("system:masters") || (verb == "get" && discovery_path(path));
}

std::optional<HttpResponse> authorize(const Identity& who, const HttpRequest& req) {
  auto attrs = request_attributes(req);
  const bool reads = req.method == "GET" || req.method == "HEAD";
  if (attrs ? may(who, *attrs) : may_non_resource(who, reads ? "get" : req.method, req.path)) return std::nullopt;
  return forbidden_response(who.user, req);
}

std::optional<HttpResponse> check_request(const Peer& peer, const HttpRequest& req, const Credentials& creds) {
  auto who = authenticate(peer, req, creds);
  if (!who) return who.error();
  return authorize(*who, req);
}

std::optional<HttpResponse> check_request(const HttpRequest& req, const Credentials& creds) {
  return check_request(peer_of(req), req, creds);
}

Result<std::string> issue_service_account_token(const std::string& private_key_pem, const TokenClaims& c,
                                                const Credentials& creds) {
  auto key = read_key(private_key_pem, true);
  if (!key) return fail("the service-account signing key cannot be read");
  const long long iat = unix_seconds(c.issued_at);
  Json sa = {{"name", c.name}, {"uid", c.uid}};
  Json k8s = {{"namespace", c.ns}, {"serviceaccount", sa}};
  if (!c.pod_name.empty()) k8s["pod"] = {{"name", c.pod_name}, {"uid", c.pod_uid}};
  Json aud = Json::array();
  for (const auto& a : c.audiences) aud.push_back(a);
  if (aud.empty()) aud.push_back(creds.audience);
  Json claims = {{"aud", aud},
                 {"exp", iat + c.lifetime.count()},
                 {"iat", iat},
                 {"iss", creds.issuer},
                 {"kubernetes.io", k8s},
                 {"nbf", iat},
                 {"sub", kServiceAccountPrefix + c.ns + ":" + c.name}};
  const std::string input = base64url_encode(Json{{"alg", "ES256"}, {"typ", "JWT"}}.dump()) + "." +
                            base64url_encode(claims.dump());
  auto sig = es256_sign(key.get(), input);
  if (!sig) return fail("sign a service-account token");
  return input + "." + base64url_encode(*sig);
}

}  // namespace lab::server
