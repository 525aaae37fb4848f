// Pods for ReplicaSets: create the missing, delete the surplus (least useful first: unbound,
// then not ready, then the youngest), and keep status counts current.
#include "lab/controllers/replicaset.h"

#include <algorithm>

#include "lab/base/clock.h"
#include "lab/base/ids.h"
#include "lab/api/json_access.h"
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
  const Json& meta = api::metadata_of(rs);
  const Json& spec = api::member(rs, "spec");
  const std::string ns = api::string_at(meta, "namespace", "default"), name = api::string_at(meta, "name");
  const int want = api::int_at(spec, "replicas").value_or(1);
  std::vector<ObjPtr> active;
  int ready = 0;
  for (const auto& pod : ctx_.pods.by_index(store::kByController, api::string_at(meta, "uid"))) {
    if (api::is_terminating(*pod)) continue;
    active.push_back(pod);
    if (api::is_pod_ready(*pod)) ready++;
  }
  int have = static_cast<int>(active.size());
  if (have < want) {
    const Json& tmpl = api::member(spec, "template");
    Json pod_meta = api::metadata_of(tmpl);
    pod_meta["namespace"] = ns;
    pod_meta["ownerReferences"] = Json::array({api::owner_reference(rs)});
    pod_meta["generateName"] = name + "-";
    pod_meta.erase("name");
    const Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod_meta},
                      {"spec", api::member(tmpl, "spec")}};
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
                   "Created pod: " + api::string_at(api::metadata_of(*created), "name"), "replicaset-controller");
        have++;
      }
      // A newer spec (scaled down meanwhile) wins at once: stop creating for an old one.
      auto now = ctx_.registry.get("ReplicaSet", ns, name);
      if (!now || api::int_at(api::member(*now, "spec"), "replicas").value_or(1) != want) {
        queue_.add(key);
        return {};
      }
    }
  }
  if (have > want) {
    // The controller's deletion order (controller.ActivePods): unscheduled, not ready, newest.
    std::sort(active.begin(), active.end(), [](const ObjPtr& a, const ObjPtr& b) {
      auto rank = [](const Json& p) {
        return std::make_tuple(api::string_at(api::member(p, "spec"), "nodeName").empty() ? 0 : 1,
                               api::is_pod_ready(p) ? 1 : 0);
      };
      if (rank(*a) != rank(*b)) return rank(*a) < rank(*b);
      return api::string_at(api::metadata_of(*a), "creationTimestamp") >
             api::string_at(api::metadata_of(*b), "creationTimestamp");
    });
    for (int i = 0; i < have - want; ++i) {
      const Json& pod_meta = api::metadata_of(*active[static_cast<size_t>(i)]);
      const std::string pod_name = api::string_at(pod_meta, "name");
      auto r = ctx_.registry.remove("Pod", ns, pod_name,
                                    {.grace_seconds = std::nullopt, .uid = api::string_at(pod_meta, "uid")});
      if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
      ctx_.event(rs, "Normal", "SuccessfulDelete", "Deleted pod: " + pod_name,
                 "replicaset-controller");
    }
  }
  int count = std::min(have, want);
  const Json& generation = api::member(meta, "generation");
  Json status = {{"replicas", count}, {"fullyLabeledReplicas", count}, {"readyReplicas", ready},
                 {"availableReplicas", ready},
                 {"observedGeneration", generation.is_number_integer() ? generation : Json(1)}};
  if (api::member(rs, "status") != status) {
    Json updated = rs;
    updated["status"] = status;
    auto written = ctx_.registry.update_status(std::move(updated));
    if (!written) return std::unexpected(written.error());
  }
  return {};
}

}  // namespace lab::controllers
