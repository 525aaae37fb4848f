// Routing of /api/v1/... and /apis/GROUP/VERSION/... to the store. Read verbs for now; the
// write verbs arrive with the control plane (apply, scale, delete).
#include "lab/server/api_server.h"

#include <sstream>
#include <vector>

#include "lab/api/labels.h"
#include "lab/api/resources.h"

namespace lab::server {

using Json = nlohmann::json;

Json status_object(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason}, {"code", code}};
}

static HttpResponse error_response(int code, const std::string& reason, const std::string& msg) {
  return {code, status_object(code, reason, msg).dump()};
}

static std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

HttpResponse ApiServer::handle(const HttpRequest& req) {
  auto parts = split_path(req.path);
  if (req.path == "/version")
    return {200, Json{{"major", "1"}, {"minor", "31"}, {"gitVersion", "v1.31.0-lab"},
                      {"platform", "linux/amd64"}}.dump()};
  if (req.path == "/healthz" || req.path == "/readyz") return {200, "ok", "text/plain"};

  // /api/v1/... or /apis/GROUP/VERSION/...
  size_t i;
  std::string group, version;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    i = 3;
  } else {
    return error_response(404, "NotFound", "the server could not find the requested resource");
  }
  std::string ns;
  if (i + 1 < parts.size() && parts[i] == "namespaces") {
    ns = parts[i + 1];
    i += 2;
  }
  if (i >= parts.size())
    return error_response(404, "NotFound", "the server could not find the requested resource");
  std::string plural = parts[i], name = i + 1 < parts.size() ? parts[i + 1] : "";
  auto type = api::find_resource(plural);
  if (!type || type->plural != plural || type->group != group || type->version != version)
    return error_response(404, "NotFound", "the server doesn't have a resource type \"" + plural + "\"");

  if (req.method != "GET")
    return error_response(405, "MethodNotAllowed",
                          "the server does not allow this method on the requested resource");
  if (!name.empty()) {
    auto obj = store_.get(type->kind, type->namespaced ? ns : "", name);
    if (!obj) return error_response(404, "NotFound", obj.error().message);
    return {200, obj->dump()};
  }
  api::Selector selector;
  if (auto it = req.query.find("labelSelector"); it != req.query.end()) {
    auto sel = api::Selector::parse(it->second);
    if (!sel) return error_response(400, "BadRequest", sel.error().message);
    selector = std::move(*sel);
  }
  Json items = Json::array();
  for (auto& obj : store_.list(type->kind, type->namespaced ? ns : "", selector))
    items.push_back(std::move(obj));
  Json list = {{"apiVersion", type->api_version()},
               {"kind", type->kind + "List"},
               {"metadata", {{"resourceVersion", store_.resource_version()}}},
               {"items", items}};
  return {200, list.dump()};
}

}  // namespace lab::server
