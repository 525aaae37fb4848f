// NamespaceLifecycle (plugin/pkg/admission/namespace/lifecycle), in its words.
#include "lab/server/namespace_admission.h"

#include <nlohmann/json.hpp>

namespace lab::server {

namespace {

using Json = nlohmann::json;

HttpResponse refuse(int code, const std::string& reason, const std::string& message, const std::string& ns) {
  Json status = status_object(code, reason, message);
  status["details"] = {{"name", ns}, {"kind", "namespaces"}};
  return {code, status.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

bool creates(const HttpRequest& req) {
  if (req.method == "POST") return true;
  // An apply patch creates the object when there is none.
  std::string ct = req.header("content-type");
  return req.method == "PATCH" && ct.rfind("application/apply-patch", 0) == 0;
}

}  // namespace

std::optional<HttpResponse> admit_namespace(const store::Store& st, const HttpRequest& req, const Route& r) {
  if (!r.ok) return std::nullopt;
  const auto& type = *r.type;
  if (type.kind == "Namespace" && req.method == "DELETE" && !r.name.empty() &&
      (r.name == "default" || r.name == "kube-system" || r.name == "kube-public"))
    return refuse(403, "Forbidden", "namespaces \"" + r.name + "\" is forbidden: this namespace may not be deleted",
                  r.name);
  if (!type.namespaced || !r.subresource.empty() || !creates(req)) return std::nullopt;
  const std::string ns = r.ns.empty() ? "default" : r.ns;
  // One being deleted takes no new content either: the registry refuses that for every writer.
  if (!st.find("Namespace", "", ns)) return refuse(404, "NotFound", "namespaces \"" + ns + "\" not found", ns);
  return std::nullopt;
}

}  // namespace lab::server
