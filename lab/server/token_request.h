// The TokenRequest API (authentication.k8s.io/v1), as kube-apiserver serves it:
// POST /api/v1/namespaces/NS/serviceaccounts/NAME/token answers a TokenRequest whose
// status.token is a ServiceAccount JWT signed with the lab's key (auth.h). `kubectl create token
// NAME` uses it; the lab's integration tests use it to act as a ServiceAccount.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "lab/server/auth.h"
#include "lab/server/http.h"

namespace lab::server {

class TokenIssuer {
 public:
  // account_uid(ns, name): the ServiceAccount's uid, "" when it exists without one, nullopt when
  // there is no such account (404 as kube-apiserver's).
  using AccountLookup = std::function<std::optional<std::string>(const std::string&, const std::string&)>;
  TokenIssuer(std::string signing_key_pem, Credentials creds, AccountLookup account_uid)
      : key_(std::move(signing_key_pem)), creds_(std::move(creds)), account_uid_(std::move(account_uid)) {}

  // The answer when req is a TokenRequest (POST .../serviceaccounts/NAME/token); nullopt for any
  // other request. Authorization is the caller's (auth.h: a create, so system:masters only).
  std::optional<HttpResponse> handle(const HttpRequest& req) const;

 private:
  std::string key_;
  Credentials creds_;
  AccountLookup account_uid_;
};

}  // namespace lab::server
