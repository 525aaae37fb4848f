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

namespace {

// kube-apiserver's verbs for a resource with the whole REST storage.
const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kGetPatchUpdate = {"get", "patch", "update"};

ResourceType with(ResourceType t, std::vector<std::string> categories, std::vector<Subresource> subs) {
  t.verbs = kAllVerbs;
  t.categories = std::move(categories);
  t.subresources = std::move(subs);
  return t;
}

// The status subresource answers the kind itself.
Subresource status_of(const std::string& group, const std::string& kind) {
  return {"status", group, "v1", kind, kGetPatchUpdate};
}

Subresource scale() { return {"scale", "autoscaling", "v1", "Scale", kGetPatchUpdate}; }

}  // namespace

const std::vector<ResourceType>& resource_types() {
  // The order is kubectl api-resources' within a group; categories and subresources as
  // kube-apiserver 1.32 advertises them (those the lab serves).
  static const std::vector<ResourceType> types = {
      with({"Pod", "pods", "pod", {"po"}, "", "v1", true}, {"all"},
           {{"attach", "", "v1", "PodAttachOptions", {"create", "get"}},
            {"eviction", "policy", "v1", "Eviction", {"create"}},
            {"exec", "", "v1", "PodExecOptions", {"create", "get"}},
            {"log", "", "v1", "Pod", {"get"}},
            {"portforward", "", "v1", "PodPortForwardOptions", {"create", "get"}},
            status_of("", "Pod")}),
      with({"Node", "nodes", "node", {"no"}, "", "v1", false}, {}, {status_of("", "Node")}),
      with({"Deployment", "deployments", "deployment", {"deploy"}, "apps", "v1", true}, {"all"},
           {scale(), status_of("apps", "Deployment")}),
      with({"ReplicaSet", "replicasets", "replicaset", {"rs"}, "apps", "v1", true}, {"all"},
           {scale(), status_of("apps", "ReplicaSet")}),
      with({"Event", "events", "event", {"ev"}, "", "v1", true}, {}, {}),
      with({"Service", "services", "service", {"svc"}, "", "v1", true}, {"all"}, {status_of("", "Service")}),
      with({"Endpoints", "endpoints", "endpoints", {"ep"}, "", "v1", true}, {}, {}),
      with({"Lease", "leases", "lease", {}, "coordination.k8s.io", "v1", true}, {}, {}),
      with({"EndpointSlice", "endpointslices", "endpointslice", {}, "discovery.k8s.io", "v1", true}, {}, {}),
      with({"Secret", "secrets", "secret", {}, "", "v1", true}, {}, {}),
      with({"ConfigMap", "configmaps", "configmap", {"cm"}, "", "v1", true}, {}, {}),
      with({"ServiceAccount", "serviceaccounts", "serviceaccount", {"sa"}, "", "v1", true}, {}, {}),
      [] {
        // No deletecollection, as in Kubernetes.
        ResourceType ns{"Namespace", "namespaces", "namespace", {"ns"}, "", "v1", false};
        ns.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
        ns.subresources = {{"finalize", "", "v1", "Namespace", {"update"}}, status_of("", "Namespace")};
        return ns;
      }(),
  };
  return types;
}

const Subresource* find_subresource(const ResourceType& t, const std::string& name) {
  for (const auto& s : t.subresources)
    if (s.name == name) return &s;
  return nullptr;
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
