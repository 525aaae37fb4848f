// The self reviews, as kube-apiserver answers them from its authorizer and authenticator:
// POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews (`kubectl auth can-i VERB
// RESOURCE`: status.allowed for the caller, by auth.h's one policy) and
// POST /apis/authentication.k8s.io/v1/selfsubjectreviews (`kubectl auth whoami`: the caller's
// user name and groups). kubectl 1.32+ sends both bodies as protobuf.
#pragma once

#include <optional>

#include "lab/server/auth.h"
#include "lab/server/http.h"

namespace lab::server {

// The answer when req is one of the two reviews; nullopt for any other request. The caller is
// authenticated again here (its identity is what is reviewed).
std::optional<HttpResponse> serve_self_review(const HttpRequest& req, const Credentials& creds);

}  // namespace lab::server
