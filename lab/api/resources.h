// The resource types the API serves, with kubectl's names for them (plural, singular, short),
// and the REST paths Kubernetes uses for each.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lab::api {

// A subresource as discovery advertises it: deployments/scale answers an autoscaling/v1 Scale.
struct Subresource {
  std::string name;   // "scale"
  std::string group;  // of the kind it answers: "autoscaling"
  std::string version;
  std::string kind;   // "Scale"
  std::vector<std::string> verbs;
};

struct ResourceType {
  std::string kind;        // "Pod"
  std::string plural;      // "pods"
  std::string singular;    // "pod"
  std::vector<std::string> short_names;  // {"po"}
  std::string group;       // "" for the core group, "apps"
  std::string version;     // "v1"
  bool namespaced = true;
  // What discovery says of it, as kube-apiserver does: the verbs the API serves on it,
  // `kubectl get all`'s category, the subresources served.
  std::vector<std::string> verbs = {};
  std::vector<std::string> categories = {};
  std::vector<Subresource> subresources = {};

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1/namespaces/default/pods" or "/apis/apps/v1/deployments" (ns empty = all namespaces).
  std::string collection_path(const std::string& ns) const;
  std::string object_path(const std::string& ns, const std::string& name) const;
  // The API's name in messages: "pods", "deployments.apps" (Operation cannot be fulfilled on ...).
  std::string group_resource() const { return group.empty() ? plural : plural + "." + group; }
  // kubectl's -o name prefix: "pod", "deployment.apps".
  std::string qualified_name() const { return group.empty() ? singular : singular + "." + group; }
};

const std::vector<ResourceType>& resource_types();
// The subresource of t named name, or nullptr.
const Subresource* find_subresource(const ResourceType& t, const std::string& name);
// "po", "pod", "pods", "deploy", "deployment.apps", "Pod" ... -> the type; nullopt if unknown.
std::optional<ResourceType> find_resource(const std::string& name);
std::optional<ResourceType> find_resource_by_kind(const std::string& kind);

}  // namespace lab::api
