// Deployment -> ReplicaSets: find or create the ReplicaSet of the current template, then one
// rolling step (scale the new one up within maxSurge, old ones down within maxUnavailable).
#include "lab/controllers/deployment.h"

#include <algorithm>
#include <random>

#include "lab/base/hash.h"
#include "lab/base/ids.h"
#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "lab/base/parse.h"

namespace lab::controllers {
namespace {


// A ReplicaSet's pods as its own status counts them, as Kubernetes' deployment controller reads
// them (status.replicas, status.readyReplicas): the ReplicaSet controller already counted its
// pods, and a Deployment reconcile that counted them again would cost a pass over every pod.
struct RsCounts {
  int pods = 0;   // active (not terminating) pods
  int ready = 0;
};

RsCounts count_pods(const Json& rs) {
  const Json& status = api::member(rs, "status");
  auto number = [&](const char* key) {
    const Json& v = api::member(status, key);
    return v.is_number_integer() ? v.get<int>() : 0;
  };
  return RsCounts{number("replicas"), number("readyReplicas")};
}

constexpr const char* kRevision = "deployment.kubernetes.io/revision";

int revision_of(const Json& rs) {
  auto r = parse_int(api::string_at(api::member(api::metadata_of(rs), "annotations"), kRevision, "0"), 0);
  return r ? *r : 0;
}

int replicas_of(const Json& obj) { return api::int_at(api::member(obj, "spec"), "replicas").value_or(1); }

Result<Json> set_replicas(Context& ctx, const Json& deployment, Json rs, int n) {
  int old = replicas_of(rs);
  if (old == n) return rs;
  rs["spec"]["replicas"] = n;
  auto updated = ctx.registry.update(rs);
  if (!updated) return updated;
  ctx.event(deployment, "Normal", "ScalingReplicaSet",
               std::string(n > old ? "Scaled up" : "Scaled down") + " replica set " +
                   api::string_at(api::metadata_of(rs), "name") + " from " + std::to_string(old) + " to " +
                   std::to_string(n),
               "deployment-controller");
  return updated;
}

}  // namespace

namespace {

// The template as the Go structs the deployment controller compares (EqualIgnoreHash) see it: a
// member set to null or to an empty object is one left out (`kubectl rollout undo` sends back a
// ReplicaSet's template with `metadata.creationTimestamp: null` and `resources: {}`, which must
// find that ReplicaSet again, not make a new one).
Json semantic_form(const Json& v) {
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& e : v) out.push_back(semantic_form(e));
    return out;
  }
  if (!v.is_object()) return v;
  Json out = Json::object();
  for (const auto& [k, e] : v.items())
    if (!e.is_null() && !(e.is_object() && e.empty())) out[k] = semantic_form(e);
  return out;
}

}  // namespace

std::string pod_template_hash(const Json& pod_template) {
  uint32_t h = fnv1a32(semantic_form(pod_template).dump());
  // As rand.SafeEncodeString: the decimal hash mapped character by character onto the safe
  // alphabet, so names carry no vowels (no accidental words).
  std::string out;
  for (char c : std::to_string(h)) out += kSafeAlphabet[static_cast<unsigned char>(c) % (sizeof kSafeAlphabet - 1)];
  return out;
}

DeploymentController::DeploymentController(Context& ctx) : Controller("deployment-controller", ctx) {
  // Its own status writes change nothing it decides on.
  ctx.deployments.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (!status_only_change(old, cur)) enqueue(cur ? cur : old);
  });
  // A ReplicaSet's change (its status above all: pods created, ready, gone) concerns the
  // Deployment that owns it; pods reach it only through their ReplicaSet's status.
  ctx.replicasets.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    const Json& rs = cur ? *cur : *old;
    if (auto key = owner_key(rs, "Deployment"); !key.empty()) queue_.add(key);
  });
}

std::vector<std::string> DeploymentController::all_keys() const {
  return keys_of(ctx_.deployments);
}

Result<void> DeploymentController::sync(const std::string& key) {
  auto cached = ctx_.deployments.get(key);
  if (!cached) return {};  // deleted: the garbage collector removes what it owned
  return reconcile(ctx_, *cached);
}

Result<void> DeploymentController::reconcile(Context& ctx, const Json& deployment) {
  // Read through api:: accessors: a stored object is validated, but one that is not (an older
  // daemon's) must fail its key, not throw or read out of bounds.
  const Json& meta = api::metadata_of(deployment);
  const Json& spec = api::member(deployment, "spec");
  std::string ns = api::string_at(meta, "namespace", "default");
  const Json& tmpl = api::member(spec, "template");
  std::string hash = pod_template_hash(tmpl);
  std::string rs_name = api::string_at(meta, "name") + "-" + hash;
  int desired = replicas_of(deployment);

  std::vector<Json> olds;
  int max_revision = 0;
  const auto owned = ctx.replicasets.by_index(store::kByController, api::string_at(meta, "uid"));
  for (const auto& rs : owned) {
    max_revision = std::max(max_revision, revision_of(*rs));
    if (api::string_at(api::metadata_of(*rs), "name") != rs_name) olds.push_back(*rs);
  }

  Result<Json> current = fail_api(Reason::NotFound, "");
  if (auto c = ctx.replicasets.get(ns, rs_name)) current = *c;
  if (!current) {
    Json labels = api::member(api::metadata_of(tmpl), "labels");
    if (!labels.is_object()) labels = Json::object();
    labels["pod-template-hash"] = hash;
    Json selector = api::member(spec, "selector");
    if (!selector.is_object()) selector = Json::object();
    if (!selector["matchLabels"].is_object()) selector["matchLabels"] = Json::object();
    selector["matchLabels"]["pod-template-hash"] = hash;
    Json rs_tmpl = tmpl.is_object() ? tmpl : Json::object();
    rs_tmpl["metadata"]["labels"] = labels;
    bool has_old_pods = false;
    for (const auto& o : olds) has_old_pods |= replicas_of(o) > 0 || count_pods(o).pods > 0;
    Json obj = {{"apiVersion", "apps/v1"},
                {"kind", "ReplicaSet"},
                {"metadata",
                 {{"name", rs_name},
                  {"namespace", ns},
                  {"labels", labels},
                  {"annotations", {{kRevision, std::to_string(max_revision + 1)},
                                   {"deployment.kubernetes.io/desired-replicas", std::to_string(desired)}}},
                  {"ownerReferences", Json::array({api::owner_reference(deployment)})}}},
                {"spec", {{"replicas", has_old_pods ? 0 : desired}, {"selector", selector}, {"template", rs_tmpl}}},
                {"status", {{"replicas", 0}}}};
    current = ctx.registry.create(obj);
    if (!current) return std::unexpected(current.error());
    if (!has_old_pods)
      ctx.event(deployment, "Normal", "ScalingReplicaSet",
                   "Scaled up replica set " + rs_name + " from 0 to " + std::to_string(desired),
                   "deployment-controller");
  } else if (revision_of(*current) < max_revision) {
    // Rolling back to an earlier template makes its ReplicaSet the newest revision again.
    Json& annotations = (*current)["metadata"]["annotations"];
    if (!annotations.is_object()) annotations = Json::object();
    annotations[kRevision] = std::to_string(max_revision + 1);
    current = ctx.registry.update(*current);
    if (!current) return std::unexpected(current.error());
  }
  // The Deployment carries its newest revision, as the deployment controller's
  // SetDeploymentRevision writes it: `kubectl rollout undo` replaces these annotations.
  std::optional<Json> annotated;
  if (const std::string revision = std::to_string(revision_of(*current));
      api::string_at(api::member(meta, "annotations"), kRevision) != revision) {
    auto r = ctx.registry.patch("Deployment", ns, api::string_at(meta, "name"),
                                {{"metadata", {{"annotations", {{kRevision, revision}}}}}});
    if (!r) return std::unexpected(r.error());
    annotated = std::move(*r);
  }

  const Json& strategy = api::member(spec, "strategy");
  bool recreate = api::string_at(strategy, "type", "RollingUpdate") == "Recreate";
  const Json& ru = api::member(strategy, "rollingUpdate");
  auto or_quarter = [](const Json& v) { return v.is_null() ? Json("25%") : v; };
  int surge = api::resolve_int_or_percent(or_quarter(api::member(ru, "maxSurge")), desired, true, 1);
  int unavailable = api::resolve_int_or_percent(or_quarter(api::member(ru, "maxUnavailable")), desired, false, 0);
  if (surge == 0 && unavailable == 0) unavailable = 1;

  int old_pods = 0, old_ready = 0, old_replicas = 0;
  for (const auto& o : olds) {
    auto c = count_pods(o);
    // Pods over an old ReplicaSet's replicas are being removed by the ReplicaSet controller
    // (running concurrently): they are not available any more, and counting them would let the
    // next step scale down again before the last one took effect.
    old_pods += std::min(c.pods, replicas_of(o));
    old_ready += std::min(c.ready, replicas_of(o));
    old_replicas += replicas_of(o);
  }
  auto newc = count_pods(*current);
  int new_replicas = replicas_of(*current);

  if (recreate) {
    for (auto& o : olds)
      if (auto r = set_replicas(ctx, deployment, o, 0); !r) return std::unexpected(r.error());
    if (old_pods == 0)
      if (auto r = set_replicas(ctx, deployment, *current, desired); !r) return std::unexpected(r.error());
  } else if (olds.empty() || old_replicas == 0) {
    // Nothing to roll from: plain scaling.
    if (auto r = set_replicas(ctx, deployment, *current, desired); !r) return std::unexpected(r.error());
  } else {
    // Scale up the new ReplicaSet as far as maxSurge allows over the pods that exist.
    int total = std::max(old_pods + newc.pods, old_replicas + new_replicas);
    int room = desired + surge - total;
    if (room > 0 && new_replicas < desired) {
      new_replicas = std::min(desired, new_replicas + room);
      auto r = set_replicas(ctx, deployment, *current, new_replicas);
      if (!r) return std::unexpected(r.error());
    }
    // Scale old ones down as far as maxUnavailable allows, counting only ready pods as available;
    // old pods that are not ready cost nothing to remove.
    int min_available = desired - unavailable;
    int can_remove = old_ready + newc.ready - min_available + (old_pods - old_ready);
    for (auto& o : olds) {
      if (can_remove <= 0) break;
      int n = replicas_of(o);
      int cut = std::min(n, can_remove);
      if (cut > 0) {
        auto r = set_replicas(ctx, deployment, o, n - cut);
        if (!r) return std::unexpected(r.error());
        can_remove -= cut;
      }
    }
  }

  // Status, as `kubectl get deploy` and `rollout status` read it.
  int total = 0, ready = 0;
  for (const auto& rs : ctx.replicasets.by_index(store::kByController, api::string_at(meta, "uid"))) {
    auto c = count_pods(*rs);
    total += c.pods;
    ready += c.ready;
  }
  auto fresh = annotated ? std::move(annotated) : std::optional<Json>(deployment);
  newc = count_pods(*current);
  const Json& generation = api::member(api::metadata_of(*fresh), "generation");
  Json status = {{"observedGeneration", generation.is_number_integer() ? generation : Json(1)},
                 {"replicas", total},
                 {"updatedReplicas", newc.pods},
                 {"readyReplicas", ready},
                 {"availableReplicas", ready}};
  if (total - ready > 0) status["unavailableReplicas"] = total - ready;
  bool available = ready >= desired - unavailable;
  status["conditions"] = Json::array(
      {{{"type", "Available"}, {"status", available ? "True" : "False"},
        {"reason", available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable"},
        {"message", available ? "Deployment has minimum availability."
                              : "Deployment does not have minimum availability."}},
       {{"type", "Progressing"}, {"status", "True"},
        {"reason", newc.ready == desired && total == desired ? "NewReplicaSetAvailable" : "ReplicaSetUpdated"},
        {"message", "ReplicaSet \"" + rs_name + "\" " +
                        (newc.ready == desired && total == desired ? "has successfully progressed." : "is progressing.")}}});
  const Json& old_status = api::member(*fresh, "status");
  // Keep transition-free conditions stable so watchers see no noise.
  if (api::int_at(old_status, "replicas") != total || api::int_at(old_status, "readyReplicas") != ready ||
      api::int_at(old_status, "updatedReplicas") != newc.pods ||
      api::member(old_status, "observedGeneration") != status["observedGeneration"] ||
      api::member(old_status, "conditions") != status["conditions"]) {
    (*fresh)["status"] = status;
    auto written = ctx.registry.update_status(*fresh);  // the version read is the precondition
    if (!written) return std::unexpected(written.error());
  }
  return {};
}

}  // namespace lab::controllers
