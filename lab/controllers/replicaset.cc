// Pods for ReplicaSets: create the missing, delete the surplus (least useful first: unbound,
// then not ready, then the youngest), and keep status counts current.
#include "lab/controllers/replicaset.h"

#include <algorithm>

#include "lab/base/clock.h"
#include "lab/base/ids.h"
#include "lab/api/objects.h"

namespace lab::controllers {

using Json = nlohmann::json;

namespace {

// Pods are created in batches that double while they succeed (1, 2, 4, ...), as the controller's
// slowStartBatch does, so a spec that cannot work fails once, not replicas times.
constexpr int kMaxBatch = 500;

}  // namespace

ReplicaSetController::ReplicaSetController(Context& ctx) : Controller("replicaset-controller", ctx) {
  // Its own status writes change nothing it decides on.
  ctx.replicasets.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (!status_only_change(old, cur)) enqueue(cur ? cur : old);
  });
  ctx.pods.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    const Json& pod = cur ? *cur : *old;
    if (auto key = owner_key(pod, "ReplicaSet"); !key.empty()) queue_.add_batched(key, kPodBatch);
  });
}

std::vector<std::string> ReplicaSetController::all_keys() const {
  return keys_of(ctx_.replicasets);
}

Result<void> ReplicaSetController::sync(const std::string& key) {
  auto cached = ctx_.replicasets.get(key);
  if (!cached) return {};
  const Json& rs = *cached;
  std::string ns = rs["metadata"].value("namespace", "default");
  std::string name = rs["metadata"]["name"];
  int want = rs["spec"].value("replicas", 1);
  std::vector<ObjPtr> active;
  int ready = 0;
  for (const auto& pod : ctx_.pods.by_index(store::kByController, rs["metadata"].value("uid", ""))) {
    if (api::is_terminating(*pod)) continue;
    active.push_back(pod);
    if (api::is_pod_ready(*pod)) ready++;
  }
  int have = static_cast<int>(active.size());
  if (have < want) {
    Json pod_meta = rs["spec"]["template"].value("metadata", Json::object());
    pod_meta["namespace"] = ns;
    pod_meta["ownerReferences"] = Json::array({api::owner_reference(rs)});
    pod_meta["generateName"] = name + "-";
    pod_meta.erase("name");
    const Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod_meta},
                      {"spec", rs["spec"]["template"]["spec"]}};
    for (int batch = 1; have < want; batch = std::min(batch * 2, kMaxBatch)) {
      int n = std::min(batch, want - have);
      for (int i = 0; i < n; ++i) {
        auto created = ctx_.registry.create(pod);
        if (!created) {
          ctx_.event(rs, "Warning", "FailedCreate", "Error creating: " + created.error().message,
                     "replicaset-controller");
          return std::unexpected(created.error());
        }
        ctx_.event(rs, "Normal", "SuccessfulCreate",
                   "Created pod: " + created->at("metadata").value("name", ""), "replicaset-controller");
        have++;
      }
      // A newer spec (scaled down meanwhile) wins at once: stop creating for an old one.
      auto now = ctx_.registry.get("ReplicaSet", ns, name);
      if (!now || (*now)["spec"].value("replicas", 1) != want) {
        queue_.add(key);
        return {};
      }
    }
  }
  if (have > want) {
    // The controller's deletion order (controller.ActivePods): unscheduled, not ready, newest.
    std::sort(active.begin(), active.end(), [](const ObjPtr& a, const ObjPtr& b) {
      auto rank = [](const Json& p) {
        return std::make_tuple(p["spec"].value("nodeName", "").empty() ? 0 : 1, api::is_pod_ready(p) ? 1 : 0);
      };
      if (rank(*a) != rank(*b)) return rank(*a) < rank(*b);
      return (*a)["metadata"].value("creationTimestamp", "") > (*b)["metadata"].value("creationTimestamp", "");
    });
    for (int i = 0; i < have - want; ++i) {
      const Json& pod = *active[static_cast<size_t>(i)];
      auto r = ctx_.registry.remove("Pod", ns, pod["metadata"].value("name", ""),
                                    {.grace_seconds = std::nullopt, .uid = pod["metadata"].value("uid", "")});
      if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
      ctx_.event(rs, "Normal", "SuccessfulDelete", "Deleted pod: " + pod["metadata"].value("name", ""),
                 "replicaset-controller");
    }
  }
  int count = std::min(have, want);
  Json status = {{"replicas", count}, {"fullyLabeledReplicas", count}, {"readyReplicas", ready},
                 {"availableReplicas", ready}, {"observedGeneration", rs["metadata"].value("generation", 1)}};
  if (rs.value("status", Json::object()) != status) {
    Json updated = rs;
    updated["status"] = status;
    auto written = ctx_.registry.update_status(std::move(updated));
    if (!written) return std::unexpected(written.error());
  }
  return {};
}

}  // namespace lab::controllers
