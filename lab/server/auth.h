// Who is asking, and may they: authentication and authorization for the lab's API.
//
// The Unix socket is root's (mode 0600), so a request on it is root's and may do everything. The
// TLS listener (127.0.0.1) authenticates as kube-apiserver does:
//  - a client certificate the TLS layer verified against the lab's CA: user = subject CN,
//    groups = subject O values (kubeadm's admin.conf: CN kubernetes-admin, O system:masters),
//    plus system:authenticated;
//  - else `Authorization: Bearer <token>`, a ServiceAccount token: a JWT signed (ES256) with the
//    lab's service-account key (pki.h), shaped as the tokens Kubernetes issues
//    (iss/sub/aud/exp/nbf/iat and the kubernetes.io claim), checked for signature, issuer,
//    audience and time; user system:serviceaccount:<ns>:<name>, groups system:serviceaccounts,
//    system:serviceaccounts:<ns>, system:authenticated. Signed rather than recorded: the daemon
//    keeps no token table, a restarted daemon still accepts what it issued, and a token can be
//    verified by anything that has the public key, as in Kubernetes;
//  - else 401 with kube-apiserver's body (the client learns nothing about why).
// Authorization: group system:masters (and the Unix socket) may do everything; any other
// authenticated user may get, list and watch resources and GET the discovery paths, and gets
// kube-apiserver's 403 wording for anything else (no RBAC yet).
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/server/http.h"

namespace lab::server {

// What the transport knows of the peer: peer_of(req) reads it from HttpRequest's transport,
// client_cn and client_orgs (which the server fills from the connection).
struct Peer {
  enum class Transport { Unix, Tls };
  Transport transport = Transport::Unix;
  std::string cert_cn = "";                 // the verified client certificate's subject CN; "" when none
  std::vector<std::string> cert_orgs = {};  // its subject O values
};

struct Identity {
  std::string user;                 // "kubernetes-admin", "system:serviceaccount:default:default"
  std::vector<std::string> groups;  // "system:masters", "system:serviceaccounts", ...
  bool in_group(const std::string& g) const;
};

// What authenticate() needs of the lab: the public half of the service-account signing key (PEM,
// from pki.h's files) and, optionally, a check that a token's ServiceAccount still exists with
// the uid the token names (Kubernetes refuses tokens of deleted accounts). Built once per daemon.
struct Credentials {
  std::string sa_public_key_pem;
  std::string issuer = "https://kubernetes.default.svc.cluster.local";
  std::string audience = "https://kubernetes.default.svc.cluster.local";
  // (namespace, name, uid from the token; "" when the token has none) -> the account exists.
  std::function<bool(const std::string&, const std::string&, const std::string&)> service_account_exists;
  // (namespace, pod name, pod uid) of a token bound to a pod -> that pod still exists (Kubernetes
  // refuses a pod's token once the pod is gone).
  std::function<bool(const std::string&, const std::string&, const std::string&)> pod_exists;
  // The clock, for exp/nbf (tests set it).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

// req.transport "unix" is the root socket; anything else ("tls", "tcp", "") proves only what its
// client certificate fields and Authorization header prove.
Peer peer_of(const HttpRequest& req);

// kube-apiserver's 401: {"kind":"Status",...,"message":"Unauthorized","reason":"Unauthorized","code":401}.
HttpResponse unauthorized_response();

// The identity making req, or the 401 to answer. Unix socket: root (user "system:admin" in
// system:masters). TLS: client certificate, then bearer token, as the header comment says.
std::expected<Identity, HttpResponse> authenticate(const Peer& peer, const HttpRequest& req,
                                                   const Credentials& creds);

// nullopt when who may make req; otherwise the 403 Status to answer, worded as kube-apiserver's
// (`services "x" is forbidden: User "..." cannot create resource "services" in API group "" in
// the namespace "default"`).
std::optional<HttpResponse> authorize(const Identity& who, const HttpRequest& req);

// authenticate + authorize in one: nullopt when req may proceed, else the 401/403 to answer.
std::optional<HttpResponse> check_request(const Peer& peer, const HttpRequest& req, const Credentials& creds);
// The same with peer_of(req): what HttpServer's Gate calls,
//   HttpServer http(limits, handler, [creds](const HttpRequest& r) { return check_request(r, *creds); });
std::optional<HttpResponse> check_request(const HttpRequest& req, const Credentials& creds);

// What RBAC sees of a resource request: verb, API group, resource[/subresource], namespace, name
// (kube-apiserver's RequestInfo). nullopt for a non-resource path (/version, /openapi/v3, ...).
struct RequestAttributes {
  std::string verb, group, resource, subresource, ns, name;
};
std::optional<RequestAttributes> request_attributes(const HttpRequest& req);
// The paths system:discovery lets every authenticated user GET (/version, /api, /apis/apps/v1,
// /openapi/v3/..., /healthz, ...).
bool discovery_path(const std::string& path);
// kube-apiserver's 403 for user making req (a resource or a non-resource request).
HttpResponse forbidden_response(const std::string& user, const HttpRequest& req);

// The lab's authorizer, the one policy behind authorize() and `kubectl auth can-i`:
// system:masters may do anything; every other identity may read resources (get, list, watch;
// not exec, attach, portforward or proxy), GET the discovery paths, and ask about itself
// (create selfsubjectaccessreviews and selfsubjectreviews, as system:basic-user allows).
bool may(const Identity& who, const RequestAttributes& a);
bool may_non_resource(const Identity& who, const std::string& verb, const std::string& path);

// A ServiceAccount token as Kubernetes issues it (ES256 JWT), signed with the PEM private key.
struct TokenClaims {
  std::string ns, name, uid;       // the ServiceAccount
  std::string pod_name = "", pod_uid = "";  // when bound to a pod ("" otherwise)
  std::chrono::system_clock::time_point issued_at;
  std::chrono::seconds lifetime{3600};
  std::vector<std::string> audiences = {};  // empty: creds.audience (the API's own)
};
Result<std::string> issue_service_account_token(const std::string& private_key_pem, const TokenClaims& claims,
                                                const Credentials& creds);

}  // namespace lab::server
