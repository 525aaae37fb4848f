// OpenAPI v3 from the resource table: only what kubectl's query-param verifier reads
// (cli-runtime's queryParamVerifierV3: a PATCH operation tagged with the kind's GVK whose
// parameters include an `in: query` `fieldValidation`). See openapi.h for why no more.
#include "lab/server/openapi.h"

#include <cctype>
#include <cstdio>
#include <vector>

#include "lab/api/resources.h"
#include "lab/base/hash.h"

namespace lab::server {

using Json = nlohmann::json;

namespace {

Json query_param(const char* name, const char* description) {
  return {{"name", name}, {"in", "query"}, {"description", description}, {"schema", {{"type", "string"}}},
          {"uniqueItems", true}};
}

// The parameters kube-apiserver declares on every PATCH.
Json patch_parameters() {
  return Json::array(
      {query_param("dryRun", "When present, indicates that modifications should not be persisted."),
       query_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
       query_param("fieldValidation",
                   "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
                   "containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict"),
       {{"name", "force"}, {"in", "query"}, {"description", "Force is going to \"force\" Apply requests."},
        {"schema", {{"type", "boolean"}}}, {"uniqueItems", true}}});
}

// patchCoreV1NamespacedPod, patchAppsV1NamespacedDeployment, patchCoreV1Node (the apiserver's
// operation ids).
std::string operation_id(const api::ResourceType& t) {
  std::string group;
  if (t.group.empty()) {
    group = "Core";
  } else {
    bool upper = true;
    for (char c : t.group.substr(0, t.group.find('.'))) {
      group += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
  }
  std::string version = t.version;
  if (!version.empty()) version[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(version[0])));
  return "patch" + group + version + (t.namespaced ? "Namespaced" : "") + t.kind;
}

Json path_item(const api::ResourceType& t) {
  Json params = Json::array({{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}},
                              {"description", "name of the " + t.kind}}});
  if (t.namespaced)
    params.push_back({{"name", "namespace"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}},
                      {"description", "object name and auth scope, such as for teams and projects"}});
  return {{"parameters", params},
          {"patch",
           {{"description", "partially update the specified " + t.kind},
            {"operationId", operation_id(t)},
            {"tags", Json::array({t.group.empty() ? "core_" + t.version : t.group + "_" + t.version})},
            {"parameters", patch_parameters()},
            {"responses", {{"200", {{"description", "OK"}}}, {"201", {{"description", "Created"}}}}},
            {"x-kubernetes-action", "patch"},
            {"x-kubernetes-group-version-kind", {{"group", t.group}, {"version", t.version}, {"kind", t.kind}}}}}};
}

// The group-versions that have kinds (a document with no kinds helps no one).
std::vector<std::pair<std::string, std::string>> group_versions() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& t : api::resource_types()) {
    std::pair<std::string, std::string> gv{t.group, t.version};
    bool seen = false;
    for (const auto& o : out) seen = seen || o == gv;
    if (!seen) out.push_back(gv);
  }
  return out;
}

std::optional<Json> document(const std::string& group, const std::string& version) {
  Json paths = Json::object();
  bool any = false;
  for (const auto& t : api::resource_types()) {
    if (t.group != group || t.version != version) continue;
    any = true;
    std::string path = "/" + openapi_gv_key(group, version) + (t.namespaced ? "/namespaces/{namespace}/" : "/") +
                       t.plural + "/{name}";
    paths[path] = path_item(t);
  }
  if (!any) return std::nullopt;
  return Json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "unversioned"}}},
              {"paths", paths},
              {"components", Json::object()}};
}

}  // namespace

std::string openapi_gv_key(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

Json openapi_root() {
  Json paths = Json::object();
  for (const auto& [group, version] : group_versions()) {
    auto doc = document(group, version);
    if (!doc) continue;
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llX", static_cast<unsigned long long>(fnv1a64(doc->dump())));
    const std::string key = openapi_gv_key(group, version);
    paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash}};
  }
  return {{"paths", paths}};
}

std::optional<Json> openapi_document(const std::string& key) {
  for (const auto& [group, version] : group_versions())
    if (openapi_gv_key(group, version) == key) return document(group, version);
  return std::nullopt;
}

}  // namespace lab::server
