// deployments/scale and replicasets/scale (see scale_subresource.h).
#include "lab/server/scale_subresource.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "lab/api/json_access.h"
#include "lab/api/strategic_merge.h"
#include "lab/server/api_server.h"
#include "lab/server/request_body.h"

namespace lab::server {

using Json = nlohmann::json;

namespace {

// metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, matchLabels as
// `k=v`, expressions as `k in (a,b)`, `k notin (a)`, `k`, `!k`.
std::string selector_string(const Json& selector) {
  std::vector<std::pair<std::string, std::string>> reqs;  // key, text
  const Json& labels = api::member(selector, "matchLabels");
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it)
      reqs.emplace_back(it.key(), it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
  const Json& exprs = api::member(selector, "matchExpressions");
  if (exprs.is_array())
    for (const auto& e : exprs) {
      const std::string key = api::string_at(e, "key"), op = api::string_at(e, "operator");
      std::vector<std::string> values;
      if (const Json& v = api::member(e, "values"); v.is_array())
        for (const auto& x : v)
          if (x.is_string()) values.push_back(x.get<std::string>());
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      std::string list;
      for (const auto& v : values) list += (list.empty() ? "" : ",") + v;
      if (op == "In") reqs.emplace_back(key, key + " in (" + list + ")");
      else if (op == "NotIn") reqs.emplace_back(key, key + " notin (" + list + ")");
      else if (op == "Exists") reqs.emplace_back(key, key);
      else if (op == "DoesNotExist") reqs.emplace_back(key, "!" + key);
    }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [key, text] : reqs) out += (out.empty() ? "" : ",") + text;
  return out;
}

HttpResponse answer(int code, const Json& body) {
  return {code, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

HttpResponse failure(int code, const std::string& reason, const std::string& message) {
  return answer(code, status_object(code, reason, message));
}

// The Scale the client wants, checked as ValidateScale and the decoder do: replicas an integer
// >= 0, name and namespace (when given) those of the URL. Returns the replicas and, in rv, the
// resourceVersion precondition ("" for none).
Result<int64_t> desired_replicas(const Json& scale, const std::string& ns, const std::string& name,
                                 std::string& rv) {
  if (!scale.is_object()) return fail_api(Reason::BadRequest, "the body of the request is not a JSON object");
  if (const Json& kind = api::member(scale, "kind"); !kind.is_null() && kind != "Scale")
    return fail_api(Reason::BadRequest, "the body of the request was a " + (kind.is_string() ? kind.get<std::string>() : kind.dump()) +
                                            ", not an autoscaling/v1 Scale");
  const Json& meta = api::member(scale, "metadata");
  if (!meta.is_null() && !meta.is_object()) return fail_api(Reason::BadRequest, "metadata: must be an object");
  if (const Json& n = api::member(meta, "name"); !n.is_null() && n != name)
    return fail_api(Reason::BadRequest, "the name of the object (" + n.dump() + ") does not match the name on the URL (" + name + ")");
  if (const Json& n = api::member(meta, "namespace"); !n.is_null() && n != "" && n != ns)
    return fail_api(Reason::BadRequest, "the namespace of the provided object does not match the namespace sent on the request");
  const Json& v = api::member(meta, "resourceVersion");
  if (!v.is_null() && !v.is_string())
    return fail_api(Reason::BadRequest, "metadata.resourceVersion: must be a string");
  rv = v.is_string() ? v.get<std::string>() : "";
  const Json& spec = api::member(scale, "spec");
  if (!spec.is_null() && !spec.is_object()) return fail_api(Reason::BadRequest, "spec: must be an object");
  const Json& replicas = api::member(spec, "replicas");
  // An absent replicas is Go's zero value, as the API server decodes the Scale.
  if (replicas.is_null()) return 0;
  if (!replicas.is_number_integer())
    return fail_api(Reason::BadRequest, "spec.replicas: must be an integer, not " + replicas.dump());
  const int64_t n = replicas.get<int64_t>();
  if (n < 0)
    return fail_api(Reason::Invalid, "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: " +
                                         std::to_string(n) + ": must be greater than or equal to 0");
  if (n > 2147483647)
    return fail_api(Reason::BadRequest, "spec.replicas: " + std::to_string(n) + " does not fit an int32");
  return n;
}

// The current Scale with the client's patch applied: JSON patch as RFC 6902; merge, strategic
// (a Scale has no lists, so it is a merge) and apply patches as RFC 7386 merges.
Result<Json> patched(const Json& current, const PatchBody& body) {
  if (body.type == store::PatchType::Json) return api::json_patch(current, body.patch);
  if (!body.patch.is_object()) return fail_api(Reason::BadRequest, "the patch is not a JSON object");
  Json out = current;
  out.merge_patch(body.patch);
  return out;
}

}  // namespace

Json scale_of(const Json& workload) {
  const Json& meta = api::metadata_of(workload);
  Json m = Json::object();
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (meta.contains(key)) m[key] = meta[key];
  const Json& spec = api::member(workload, "spec");
  const Json& want = api::member(spec, "replicas");
  const Json& have = api::member(api::member(workload, "status"), "replicas");
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", m},
          {"spec", {{"replicas", want.is_number_integer() ? want.get<int64_t>() : 1}}},
          {"status",
           {{"replicas", have.is_number_integer() ? have.get<int64_t>() : 0},
            {"selector", selector_string(api::member(spec, "selector"))}}}};
}

HttpResponse serve_scale(store::Registry& registry, const api::ResourceType& type, const std::string& ns,
                         const std::string& name, const HttpRequest& req) {
  if (name.empty() || (type.namespaced && ns.empty()))
    return failure(404, "NotFound", "the server could not find the requested resource");
  if (req.method != "GET" && req.method != "PUT" && req.method != "PATCH")
    return failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  const std::string key_ns = type.namespaced ? ns : "";
  if (req.method == "GET") {
    auto obj = registry.get(type.kind, key_ns, name);
    return obj ? answer(200, scale_of(*obj)) : error_status(obj.error());
  }

  // The body is decoded once (lab/server/request_body.h: a PUT without a Content-Type is JSON);
  // a patch applies to the Scale as it is at each attempt.
  std::optional<Json> put;
  std::optional<PatchBody> patch;
  const auto w = write_options(req);
  if (!w) return error_status(w.error());
  if (req.method == "PUT") {
    auto obj = decode_object_body(req);
    if (!obj) return error_status(obj.error());
    put = std::move(*obj);
  } else {
    auto p = decode_patch_body(req);
    if (!p) return error_status(p.error());
    patch = std::move(*p);
  }

  for (int attempt = 0;; ++attempt) {
    auto obj = registry.get(type.kind, key_ns, name);
    if (!obj) return error_status(obj.error());
    const Json current = scale_of(*obj);
    Json wanted;
    if (put) {
      wanted = *put;
    } else {
      auto p = patched(current, *patch);
      if (!p) return error_status(p.error());
      wanted = std::move(*p);
    }
    std::string rv;
    auto replicas = desired_replicas(wanted, ns, name, rv);
    if (!replicas) return error_status(replicas.error());
    // A patch leaves the current version in the Scale unless it names another; a retry after a
    // concurrent write is then the API server's GuaranteedUpdate, not a lost precondition.
    const bool client_rv = put ? !rv.empty() : rv != api::string_at(current["metadata"], "resourceVersion");
    Json change = {{"spec", {{"replicas", *replicas}}}};
    if (!rv.empty()) change["metadata"] = {{"resourceVersion", rv}};
    auto written = registry.patch(type.kind, key_ns, name, change, false, store::PatchType::Merge, nullptr, *w);
    if (written) return answer(200, scale_of(*written));
    if (written.error().reason != Reason::Conflict || client_rv || attempt >= 16) return error_status(written.error());
  }
}

}  // namespace lab::server
