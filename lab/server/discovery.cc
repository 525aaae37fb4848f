// Discovery documents from the resource table, and the dispatch of the non-resource paths.
// Shapes as kube-apiserver 1.32 serves them (apimachinery's metav1.APIResourceList and friends,
// k8s.io/api/apidiscovery/v2); shared/reference/kubectl.md §2 says which parts kubectl reads.
#include "lab/server/discovery.h"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "lab/api/resources.h"
#include "lab/api/version.h"
#include "lab/server/api_server.h"
#include "lab/server/openapi.h"

namespace lab::server {

using Json = nlohmann::json;

namespace {

constexpr const char* kDiscoveryGroup = "apidiscovery.k8s.io";

std::string trim(std::string s) {
  const char* ws = " \t";
  s.erase(0, s.find_first_not_of(ws));
  auto end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::stringstream ss(s);
  while (std::getline(ss, part, sep)) out.push_back(part);
  return out;
}

// The served group-versions, in the order /apis lists them: the table's groups as they first
// appear. Not a group only a subresource answers in (autoscaling, for deployments/scale): it would
// list no resources, and kubectl caches no group-version without any, so it would read discovery
// afresh on every run. Its scale client finds the Scale kind in apps/v1's list, which names it.
std::vector<std::pair<std::string, std::string>> group_versions() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& t : api::resource_types())
    if (std::ranges::find(out, std::pair{t.group, t.version}) == out.end()) out.emplace_back(t.group, t.version);
  return out;
}

std::string group_version(const std::string& group, const std::string& version) {
  return group.empty() ? version : group + "/" + version;
}

Json gvk(const std::string& group, const std::string& version, const std::string& kind) {
  return {{"group", group}, {"version", version}, {"kind", kind}};
}

Json discovery_resource(const api::ResourceType& t) {
  Json r = {{"resource", t.plural},
            {"responseKind", gvk(t.group, t.version, t.kind)},
            {"scope", t.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", t.singular},
            {"verbs", t.verbs}};
  if (!t.short_names.empty()) r["shortNames"] = t.short_names;
  if (!t.categories.empty()) r["categories"] = t.categories;
  if (!t.subresources.empty()) {
    Json subs = Json::array();
    for (const auto& s : t.subresources)
      subs.push_back({{"subresource", s.name}, {"responseKind", gvk(s.group, s.version, s.kind)}, {"verbs", s.verbs}});
    r["subresources"] = subs;
  }
  return r;
}

Json discovery_group(const std::string& group) {
  Json versions = Json::array();
  for (const auto& [g, v] : group_versions()) {
    if (g != group) continue;
    Json resources = Json::array();
    for (const auto& t : api::resource_types())
      if (t.group == g && t.version == v) resources.push_back(discovery_resource(t));
    versions.push_back({{"version", v}, {"resources", resources}, {"freshness", "Current"}});
  }
  return {{"metadata", {{"name", group}}}, {"versions", versions}};
}

std::string path_without_trailing_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

HttpResponse json_response(int code, const Json& body, std::string content_type = "application/json") {
  return {code, body.dump(-1, ' ', false, Json::error_handler_t::replace), std::move(content_type)};
}

HttpResponse not_found() {
  return json_response(404, status_object(404, "NotFound", "the server could not find the requested resource"));
}

}  // namespace

Json version_info() {
  return {{"major", api::kVersionMajor},
          {"minor", api::version_minor()},
          {"gitVersion", api::git_version()},
          // The lab is not built from a Kubernetes tree nor by Go: these say so rather than
          // borrow a real release's values (kubectl prints only gitVersion).
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "1970-01-01T00:00:00Z"},
          {"goVersion", "none"},
          {"compiler", "g++"},
          {"platform", "linux/amd64"}};
}

DiscoveryFormat discovery_format(const std::string& accept) {
  for (const std::string& range : split(accept, ',')) {
    auto parts = split(range, ';');
    if (parts.empty()) continue;
    const std::string type = lower(trim(parts[0]));
    std::string g, v, as;
    for (size_t i = 1; i < parts.size(); ++i) {
      auto kv = trim(parts[i]);
      auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string key = lower(trim(kv.substr(0, eq))), value = trim(kv.substr(eq + 1));
      if (key == "g") g = value;
      else if (key == "v") v = value;
      else if (key == "as") as = value;
    }
    if (type == "application/json" && g == kDiscoveryGroup && as == "APIGroupDiscoveryList") {
      if (v == "v2") return DiscoveryFormat::AggregatedV2;
      if (v == "v2beta1") return DiscoveryFormat::AggregatedV2Beta1;
      continue;  // a version we do not serve: the next range may do
    }
    if (!as.empty()) continue;  // another "as" (a Table...) is no discovery document
    if (type == "application/json" || type == "*/*" || type == "application/*") return DiscoveryFormat::Legacy;
  }
  return DiscoveryFormat::Legacy;
}

std::string aggregated_content_type(DiscoveryFormat f) {
  return std::string("application/json;g=") + kDiscoveryGroup +
         (f == DiscoveryFormat::AggregatedV2Beta1 ? ";v=v2beta1" : ";v=v2") + ";as=APIGroupDiscoveryList";
}

Json aggregated_discovery(bool core, DiscoveryFormat f) {
  Json items = Json::array();
  if (core) {
    items.push_back(discovery_group(""));
  } else {
    std::vector<std::string> groups;
    for (const auto& [g, v] : group_versions())
      if (!g.empty() && std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    for (const auto& g : groups) items.push_back(discovery_group(g));
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", std::string(kDiscoveryGroup) + (f == DiscoveryFormat::AggregatedV2Beta1 ? "/v2beta1" : "/v2")},
          {"metadata", Json::object()},
          {"items", items}};
}

Json api_versions(const std::string& server_address) {
  Json out = {{"kind", "APIVersions"}, {"versions", Json::array({"v1"})}};
  if (!server_address.empty())
    out["serverAddressByClientCIDRs"] =
        Json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}});
  return out;
}

std::optional<Json> api_group(const std::string& group) {
  if (group.empty()) return std::nullopt;
  Json versions = Json::array();
  for (const auto& [g, v] : group_versions())
    if (g == group) versions.push_back({{"groupVersion", group_version(g, v)}, {"version", v}});
  if (versions.empty()) return std::nullopt;
  return Json{{"kind", "APIGroup"},
              {"apiVersion", "v1"},
              {"name", group},
              {"versions", versions},
              {"preferredVersion", versions[0]}};
}

Json api_group_list() {
  Json groups = Json::array();
  std::vector<std::string> seen;
  for (const auto& [g, v] : group_versions()) {
    if (g.empty() || std::find(seen.begin(), seen.end(), g) != seen.end()) continue;
    seen.push_back(g);
    Json group = *api_group(g);
    group.erase("kind");
    group.erase("apiVersion");
    groups.push_back(std::move(group));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> api_resource_list(const std::string& group, const std::string& version) {
  bool served = false;
  for (const auto& [g, v] : group_versions()) served = served || (g == group && v == version);
  if (!served) return std::nullopt;
  Json resources = Json::array();
  for (const auto& t : api::resource_types()) {
    if (t.group != group || t.version != version) continue;
    Json r = {{"name", t.plural}, {"singularName", t.singular}, {"namespaced", t.namespaced},
              {"kind", t.kind},   {"verbs", t.verbs}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    resources.push_back(std::move(r));
    for (const auto& s : t.subresources) {
      Json sub = {{"name", t.plural + "/" + s.name}, {"singularName", ""}, {"namespaced", t.namespaced}};
      // Only a kind of another group-version names it (deployments/scale: autoscaling/v1).
      if (s.group != group || s.version != version) {
        sub["group"] = s.group;
        sub["version"] = s.version;
      }
      sub["kind"] = s.kind;
      sub["verbs"] = s.verbs;
      resources.push_back(std::move(sub));
    }
  }
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group_version(group, version)},
              {"resources", resources}};
}

std::optional<HttpResponse> serve_non_resource(const HttpRequest& req) {
  const std::string path = path_without_trailing_slash(req.path);
  auto parts = split(path, '/');  // "/apis/apps/v1" -> "", "apis", "apps", "v1"
  if (!parts.empty() && parts[0].empty()) parts.erase(parts.begin());
  const bool discovery = path == "/api" || path == "/apis" || (parts.size() == 2 && parts[0] == "api") ||
                         (parts.size() <= 3 && parts.size() >= 2 && parts[0] == "apis");
  const bool openapi = !parts.empty() && parts[0] == "openapi";
  if (path != "/version" && !discovery && !openapi) return std::nullopt;
  if (req.method != "GET")
    return json_response(405, status_object(405, "MethodNotAllowed",
                                            "the server does not allow this method on the requested resource"));
  if (path == "/version") return json_response(200, version_info());

  if (openapi) {
    // /openapi/v3 and /openapi/v3/<group-version key>; /openapi/v2 (and anything else) is 404,
    // which kubectl takes as "use the strategic-merge metadata compiled in".
    if (parts.size() < 2 || parts[1] != "v3") return not_found();
    if (parts.size() == 2) return json_response(200, openapi_root());
    std::string key;
    for (size_t i = 2; i < parts.size(); ++i) key += (key.empty() ? "" : "/") + parts[i];
    auto doc = openapi_document(key);
    return doc ? json_response(200, *doc) : not_found();
  }

  const DiscoveryFormat format = discovery_format(req.header("accept"));
  if (path == "/api") {
    if (format != DiscoveryFormat::Legacy)
      return json_response(200, aggregated_discovery(true, format), aggregated_content_type(format));
    return json_response(200, api_versions(req.header("host")));
  }
  if (path == "/apis") {
    if (format != DiscoveryFormat::Legacy)
      return json_response(200, aggregated_discovery(false, format), aggregated_content_type(format));
    return json_response(200, api_group_list());
  }
  if (parts[0] == "api") {
    auto list = api_resource_list("", parts[1]);
    return list ? json_response(200, *list) : not_found();
  }
  if (parts.size() == 2) {
    auto group = api_group(parts[1]);
    return group ? json_response(200, *group) : not_found();
  }
  auto list = api_resource_list(parts[1], parts[2]);
  return list ? json_response(200, *list) : not_found();
}

}  // namespace lab::server
