// kubectl describe for deployments: the replica counts, rolling-update strategy, pod template
// and which owned ReplicaSets are old and which is new. Split out of describe.cc.
#include <algorithm>
#include <vector>

#include "lab/cli/describe_util.h"

namespace lab::cli {

using namespace describe_detail;

namespace {

// Drops what apimachinery's semantic equality does not tell apart from absence: nulls, {} and [].
Json normalized(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) {
      Json n = normalized(v);
      if (!n.is_null() && !((n.is_object() || n.is_array()) && n.empty())) out[k] = std::move(n);
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(normalized(v));
    return out;
  }
  return j;
}

// deploymentutil.EqualIgnoreHash: the templates match but for the pod-template-hash label.
bool same_template(const Json& a, const Json& b) {
  auto strip = [](Json t) {
    if (t.is_object() && t.contains("metadata") && t["metadata"].contains("labels") &&
        t["metadata"]["labels"].is_object())
      t["metadata"]["labels"].erase("pod-template-hash");
    return normalized(t);
  };
  return strip(a) == strip(b);
}

bool controlled_by(const Json& child, const Json& owner) {
  for (const auto& ref : arr(child, "metadata.ownerReferences")) {
    if (!flag(ref, "controller")) continue;
    if (!str(owner, "metadata.uid").empty()) return str(ref, "uid") == str(owner, "metadata.uid");
    return str(ref, "kind") == str(owner, "kind") && str(ref, "name") == str(owner, "metadata.name");
  }
  return false;
}

std::string replica_sets_cell(const std::vector<const Json*>& sets) {
  std::vector<std::string> parts;
  for (const Json* rs : sets)
    parts.push_back(str(*rs, "metadata.name") + " (" + std::to_string(num(*rs, "status.replicas")) + "/" +
                    std::to_string(num(*rs, "spec.replicas", 1)) + " replicas created)");
  return or_none(join(parts, ", "));
}

}  // namespace

std::string describe_deployment(const Json& d, const Json& replicasets, const Json& events, Clock::time_point now) {
  Writer w;
  w(0, "Name:\t" + str(d, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(d, "metadata.namespace") + "\n");
  w(0, "CreationTimestamp:\t" + rfc1123z(str(d, "metadata.creationTimestamp")) + "\n");
  labels_multiline(w, "Labels", obj(d, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(d, "metadata.annotations"));
  w(0, "Selector:\t" + label_selector_string(obj(d, "spec.selector")) + "\n");
  w(0, "Replicas:\t" + std::to_string(num(d, "spec.replicas", 1)) + " desired | " +
           std::to_string(num(d, "status.updatedReplicas")) + " updated | " +
           std::to_string(num(d, "status.replicas")) + " total | " +
           std::to_string(num(d, "status.availableReplicas")) + " available | " +
           std::to_string(num(d, "status.unavailableReplicas")) + " unavailable\n");
  std::string strategy = str(d, "spec.strategy.type").empty() ? "RollingUpdate" : str(d, "spec.strategy.type");
  w(0, "StrategyType:\t" + strategy + "\n");
  w(0, "MinReadySeconds:\t" + std::to_string(num(d, "spec.minReadySeconds")) + "\n");
  if (strategy == "RollingUpdate") {
    auto value = [&](const char* field) {
      const Json* v = at(obj(d, "spec.strategy.rollingUpdate"), field);
      return v ? scalar(v) : "25%";
    };
    w(0,
      "RollingUpdateStrategy:\t" + value("maxUnavailable") + " max unavailable, " + value("maxSurge") + " max surge\n");
  }
  describe_pod_template(w, obj(d, "spec.template"));
  if (!arr(d, "status.conditions").empty()) {
    w(0, "Conditions:\n  Type\tStatus\tReason\n");
    w(1, "----\t------\t------\n");
    for (const auto& c : arr(d, "status.conditions"))
      w(1, str(c, "type") + " \t" + str(c, "status") + "\t" + str(c, "reason") + "\n");
  }
  // deploymentutil.GetAllReplicaSets: the oldest one with the deployment's template is the new one.
  std::vector<const Json*> owned, old_sets, new_set;
  for (const auto& rs : items_of(replicasets))
    if (controlled_by(rs, d)) owned.push_back(&rs);
  auto created = [](const Json* rs) {
    return parse_time(str(*rs, "metadata.creationTimestamp")).value_or(Clock::time_point::min());
  };
  std::stable_sort(owned.begin(), owned.end(), [&](const Json* a, const Json* b) {
    return created(a) != created(b) ? created(a) < created(b) : str(*a, "metadata.name") < str(*b, "metadata.name");
  });
  for (const Json* rs : owned) {
    if (new_set.empty() && same_template(obj(*rs, "spec.template"), obj(d, "spec.template")))
      new_set.push_back(rs);
    else
      old_sets.push_back(rs);
  }
  if (!owned.empty()) {
    w(0, "OldReplicaSets:\t" + replica_sets_cell(old_sets) + "\n");
    w(0, "NewReplicaSet:\t" + replica_sets_cell(new_set) + "\n");
  }
  describe_events(w, events, now);
  return w.tw.str();
}

}  // namespace lab::cli
