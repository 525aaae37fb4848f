// Content-Type dispatch of request bodies (kube-apiserver's negotiation of the serializers).
#include "lab/server/request_body.h"

#include <string>
#include <string_view>

#include "lab/api/go_quote.h"
#include "lab/base/parse.h"
#include "lab/server/protobuf_body.h"

namespace lab::server {

using Json = nlohmann::json;

namespace {

// "application/json; charset=utf-8" -> "application/json".
std::string media_type(const HttpRequest& req) {
  std::string ct = req.header("content-type");
  std::string_view type = trim_space(std::string_view(ct).substr(0, ct.find(';')));
  std::string out(type);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<Json> parse_json(const std::string& body, bool object) {
  Json v = Json::parse(body, nullptr, false);
  if (v.is_discarded()) return fail_api(Reason::BadRequest, "the body of the request was in an unknown format: not JSON");
  if (object && !v.is_object()) return fail_api(Reason::BadRequest, "the body of the request is not a JSON object");
  return v;
}

Result<void> unsupported(const std::string& type, const char* accepted) {
  return fail_api(Reason::UnsupportedMediaType, "the body of the request was in an unknown format - accepted media types include: " +
                                                    std::string(accepted) + " (not " + type + ")");
}

}  // namespace

Result<Json> decode_object_body(const HttpRequest& req) {
  const std::string type = media_type(req);
  if (type.empty() || type == "application/json" || type == "*/*") return parse_json(req.body, true);
  if (type == "application/vnd.kubernetes.protobuf") return decode_protobuf_object(req.body);
  auto e = unsupported(type, "application/json, application/vnd.kubernetes.protobuf");
  return std::unexpected(e.error());
}

Result<PatchBody> decode_patch_body(const HttpRequest& req) {
  const std::string type = media_type(req);
  PatchBody out;
  if (type == "application/merge-patch+json") out.type = store::PatchType::Merge;
  else if (type == "application/strategic-merge-patch+json") out.type = store::PatchType::Strategic;
  else if (type == "application/json-patch+json") out.type = store::PatchType::Json;
  // kubectl sends the configuration as JSON, which is YAML too; other YAML is not decoded here.
  else if (type == "application/apply-patch+yaml") out.type = store::PatchType::Apply;
  // Before kubectl sent a Content-Type, the lab's own CLI did not either: a merge patch.
  else if (type.empty()) out.type = store::PatchType::Merge;
  else {
    auto e = unsupported(type, "application/json-patch+json, application/merge-patch+json, "
                               "application/strategic-merge-patch+json, application/apply-patch+yaml");
    return std::unexpected(e.error());
  }
  auto body = parse_json(req.body, out.type != store::PatchType::Json);
  if (!body) {
    if (out.type == store::PatchType::Apply)
      return fail_api(Reason::BadRequest, "the apply configuration is not JSON: the lab decodes apply-patch+yaml bodies "
                                          "written as JSON, as kubectl sends them");
    return std::unexpected(body.error());
  }
  out.patch = std::move(*body);
  return out;
}

Result<bool> dry_run_of(const Json& values) {
  if (values.is_null()) return false;
  // Every value must be one the API server knows; it names them all when one is not.
  bool known = values.is_array();
  std::string listed;
  for (const auto& v : values.is_array() ? values : Json::array({values})) {
    known = known && v == "All";
    listed += (listed.empty() ? "" : ", ") + v.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  if (known) return !values.empty();
  return fail_api(Reason::BadRequest, "dryRun: Unsupported value: []string{" + listed + "}: supported values: \"All\"");
}

Result<store::WriteOptions> write_options(const HttpRequest& req) {
  Json values = Json::array();
  for (const auto& [k, v] : req.query_list)
    if (k == "dryRun") values.push_back(v);
  auto dry = dry_run_of(values);
  if (!dry) return std::unexpected(dry.error());
  store::WriteOptions w{.dry_run = *dry, .field_validation = store::FieldValidation::Warn};
  // kubectl sends Strict by default (--validate=strict), Warn for --validate=warn and Ignore for
  // --validate=false; without the parameter the API server warns (its default since 1.27).
  auto it = req.query.find("fieldValidation");
  if (it != req.query.end()) {
    if (it->second == "Strict") w.field_validation = store::FieldValidation::Strict;
    else if (it->second == "Ignore") w.field_validation = store::FieldValidation::Ignore;
    else if (it->second != "Warn")
      return fail_api(Reason::BadRequest, "fieldValidation: Unsupported value: " + api::go_quote(it->second) +
                                              ": supported values: \"Ignore\", \"Strict\", \"Warn\"");
  }
  return w;
}

}  // namespace lab::server
