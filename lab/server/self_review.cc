// SelfSubjectAccessReview and SelfSubjectReview: pkg/registry/authorization/selfsubjectaccessreview
// and pkg/registry/authentication/selfsubjectreview, over the lab's authorizer (auth.h).
#include "lab/server/self_review.h"

#include <nlohmann/json.hpp>

#include "lab/api/json_access.h"
#include "lab/server/api_server.h"
#include "lab/server/request_body.h"

namespace lab::server {

namespace {

using Json = nlohmann::json;

constexpr const char* kAccessReviews = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
constexpr const char* kSelfReviews = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

HttpResponse answer(int code, const Json& body) {
  return {code, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

HttpResponse invalid(const std::string& kind, const std::string& field, const std::string& what) {
  return answer(422, status_object(422, "Invalid", kind + " is invalid: " + field + ": " + what));
}

HttpResponse access_review(const Identity& who, Json review) {
  const Json& spec = api::member(review, "spec");
  const Json& res = api::member(spec, "resourceAttributes");
  const Json& non = api::member(spec, "nonResourceAttributes");
  const std::string kind = "SelfSubjectAccessReview.authorization.k8s.io";
  if (res.is_object() == non.is_object())
    return invalid(kind, "spec.resourceAttributes",
                   "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified");
  bool allowed;
  if (res.is_object()) {
    const RequestAttributes a{.verb = api::string_at(res, "verb"),
                              .group = api::string_at(res, "group"),
                              .resource = api::string_at(res, "resource"),
                              .subresource = api::string_at(res, "subresource"),
                              .ns = api::string_at(res, "namespace"),
                              .name = api::string_at(res, "name")};
    allowed = may(who, a);
  } else {
    allowed = may_non_resource(who, api::string_at(non, "verb"), api::string_at(non, "path"));
  }
  review["metadata"] = {{"creationTimestamp", nullptr}};
  review["status"] = {{"allowed", allowed}};
  return answer(201, review);
}

HttpResponse self_review(const Identity& who, Json review) {
  Json user = {{"username", who.user}, {"groups", who.groups}};
  review["metadata"] = {{"creationTimestamp", nullptr}};
  review["status"] = {{"userInfo", std::move(user)}};
  return answer(201, review);
}

}  // namespace

std::optional<HttpResponse> serve_self_review(const HttpRequest& req, const Credentials& creds) {
  const bool access = req.path == kAccessReviews;
  if (!access && req.path != kSelfReviews) return std::nullopt;
  if (req.method != "POST")
    return answer(405, status_object(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  auto who = authenticate(peer_of(req), req, creds);
  if (!who) return who.error();
  auto body = decode_object_body(req);
  if (!body) return error_status(body.error());
  const char* want = access ? "SelfSubjectAccessReview" : "SelfSubjectReview";
  if (const std::string kind = api::string_at(*body, "kind"); !kind.empty() && kind != want)
    return answer(400, status_object(400, "BadRequest", "the body is a " + kind + ", not a " + want));
  (*body)["kind"] = want;
  (*body)["apiVersion"] = access ? "authorization.k8s.io/v1" : "authentication.k8s.io/v1";
  return access ? access_review(*who, std::move(*body)) : self_review(*who, std::move(*body));
}

}  // namespace lab::server
