// TokenRequest: validation and defaults as pkg/registry/core/serviceaccount/storage/token.go
// (expirationSeconds at least 600, default 3600; audiences default to the API's own).
#include "lab/server/token_request.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "lab/api/json_access.h"
#include "lab/server/api_server.h"
#include "lab/server/protobuf_body.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;

// A Status with details (the object named, the fields at fault), as the apiserver sends them.
HttpResponse status_with_details(int code, const std::string& reason, const std::string& message, Json details) {
  Json s = status_object(code, reason, message);
  s["details"] = std::move(details);
  return {code, s.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

HttpResponse invalid(const std::string& name, const std::string& field, const std::string& what) {
  return status_with_details(422, "Invalid", "TokenRequest.authentication.k8s.io \"" + name + "\" is invalid: " + field + ": " + what,
                             {{"name", name},
                              {"group", "authentication.k8s.io"},
                              {"kind", "TokenRequest"},
                              {"causes", Json::array({{{"reason", "FieldValueInvalid"}, {"message", what}, {"field", field}}})}});
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::optional<HttpResponse> TokenIssuer::handle(const HttpRequest& req) const {
  // /api/v1/namespaces/NS/serviceaccounts/NAME/token
  std::vector<std::string> parts;
  std::stringstream ss(req.path);
  for (std::string p; std::getline(ss, p, '/');)
    if (!p.empty()) parts.push_back(p);
  if (parts.size() != 7 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "namespaces" ||
      parts[4] != "serviceaccounts" || parts[6] != "token")
    return std::nullopt;
  const std::string& ns = parts[3];
  const std::string& name = parts[5];
  if (req.method != "POST")
    return status_response(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
  if (req.header("content-type").starts_with("application/vnd.kubernetes.protobuf")) {
    auto decoded = decode_protobuf_object(req.body);  // `kubectl create token` (1.32+)
    if (!decoded) return error_status(decoded.error());
    body = std::move(*decoded);
  }
  if (!body.is_object())
    return status_response(400, "BadRequest", "the body of the request was in an unknown format - accepted media types include: application/json");
  auto uid = account_uid_ ? account_uid_(ns, name) : std::optional<std::string>();
  if (!uid) return status_with_details(404, "NotFound", "serviceaccounts \"" + name + "\" not found", {{"name", name}, {"kind", "serviceaccounts"}});

  const Json& spec = api::member(body, "spec");
  long long seconds = 3600;
  const Json& exp = api::member(spec, "expirationSeconds");
  if (!exp.is_null()) {
    if (!exp.is_number_integer()) return invalid(name, "spec.expirationSeconds", "must be an integer");
    seconds = exp.get<long long>();
    if (seconds < 600) return invalid(name, "spec.expirationSeconds", "Invalid value: " + std::to_string(seconds) + ": may not specify a duration less than 10 minutes");
    if (seconds > (1LL << 32)) return invalid(name, "spec.expirationSeconds", "Invalid value: " + std::to_string(seconds) + ": may not specify a duration larger than 2^32 seconds");
  }
  std::vector<std::string> audiences;
  const Json& aud = api::member(spec, "audiences");
  if (aud.is_array()) {
    for (const auto& a : aud) {
      if (!a.is_string()) return invalid(name, "spec.audiences", "must be strings");
      audiences.push_back(a.get<std::string>());
    }
  } else if (!aud.is_null()) {
    return invalid(name, "spec.audiences", "must be a list of strings");
  }
  if (audiences.empty()) audiences.push_back(creds_.audience);

  const auto now = creds_.now();
  TokenClaims claims{.ns = ns, .name = name, .uid = *uid, .issued_at = now,
                     .lifetime = std::chrono::seconds(seconds), .audiences = audiences};
  const Json& bound = api::member(spec, "boundObjectRef");
  if (api::string_at(bound, "kind") == "Pod") {
    claims.pod_name = api::string_at(bound, "name");
    claims.pod_uid = api::string_at(bound, "uid");
  }
  auto token = issue_service_account_token(key_, claims, creds_);
  if (!token) return status_response(500, "InternalError", token.error().what());
  Json out_spec = spec.is_object() ? spec : Json::object();
  out_spec["audiences"] = audiences;
  out_spec["expirationSeconds"] = seconds;
  if (!out_spec.contains("boundObjectRef")) out_spec["boundObjectRef"] = nullptr;
  Json out = {{"kind", "TokenRequest"},
              {"apiVersion", "authentication.k8s.io/v1"},
              {"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", rfc3339(now)}}},
              {"spec", out_spec},
              {"status", {{"token", *token}, {"expirationTimestamp", rfc3339(now + std::chrono::seconds(seconds))}}}};
  return HttpResponse{201, out.dump()};
}

}  // namespace lab::server
