// The table of served resource types and their names, as `kubectl api-resources` lists them.
// The API server and the CLI both resolve names through it.
#include "lab/api/resources.h"

#include <algorithm>

namespace lab::api {

std::string ResourceType::collection_path(const std::string& ns) const {
  std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) base += "/namespaces/" + ns;
  return base + "/" + plural;
}

std::string ResourceType::object_path(const std::string& ns, const std::string& name) const {
  return collection_path(ns) + "/" + name;
}

const std::vector<ResourceType>& resource_types() {
  static const std::vector<ResourceType> types = {
      {"Pod", "pods", "pod", {"po"}, "", "v1", true},
      {"Node", "nodes", "node", {"no"}, "", "v1", false},
      {"Deployment", "deployments", "deployment", {"deploy"}, "apps", "v1", true},
      {"ReplicaSet", "replicasets", "replicaset", {"rs"}, "apps", "v1", true},
      {"Event", "events", "event", {"ev"}, "", "v1", true},
      {"Service", "services", "service", {"svc"}, "", "v1", true},
      {"EndpointSlice", "endpointslices", "endpointslice", {}, "discovery.k8s.io", "v1", true},
      {"Secret", "secrets", "secret", {}, "", "v1", true},
      {"ConfigMap", "configmaps", "configmap", {"cm"}, "", "v1", true},
  };
  return types;
}

std::optional<ResourceType> find_resource(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), ::tolower);
  for (const auto& t : resource_types()) {
    std::string lower_kind = t.kind;
    std::transform(lower_kind.begin(), lower_kind.end(), lower_kind.begin(), ::tolower);
    if (n == t.plural || n == t.singular || n == lower_kind || n == t.qualified_name() ||
        n == t.plural + "." + t.group ||
        std::find(t.short_names.begin(), t.short_names.end(), n) != t.short_names.end())
      return t;
  }
  return std::nullopt;
}

std::optional<ResourceType> find_resource_by_kind(const std::string& kind) {
  for (const auto& t : resource_types())
    if (t.kind == kind) return t;
  return std::nullopt;
}

}  // namespace lab::api
