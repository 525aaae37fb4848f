// Pods for ReplicaSets: create the missing, delete the surplus (least useful first: unbound,
// then not ready, then the youngest), and keep status counts current.
#include "lab/controllers/replicaset.h"

#include <algorithm>

#include "lab/base/clock.h"
#include "lab/base/ids.h"
#include "lab/api/objects.h"
#include "lab/controllers/deployment.h"
#include "lab/controllers/events.h"

namespace lab::controllers {

using Json = nlohmann::json;

Result<Json> mark_pod_deleted(store::Store& st, Json pod, int grace_seconds) {
  if (api::is_terminating(pod)) return pod;
  if (grace_seconds < 0) grace_seconds = pod["spec"].value("terminationGracePeriodSeconds", 30);
  pod["metadata"]["deletionTimestamp"] = now_rfc3339();
  pod["metadata"]["deletionGracePeriodSeconds"] = grace_seconds;
  return st.update(pod);
}

Result<void> reconcile_replicaset(store::Store& st, const Json& rs) {
  std::string ns = rs["metadata"].value("namespace", "default");
  std::string name = rs["metadata"]["name"];
  int want = rs["spec"].value("replicas", 1);
  std::vector<Json> active;
  int ready = 0;
  for (const auto& pod : st.list("Pod", ns)) {
    if (!api::owned_by(pod, rs) || api::is_terminating(pod)) continue;
    active.push_back(pod);
    if (api::is_pod_ready(pod)) ready++;
  }
  int have = static_cast<int>(active.size());
  for (; have < want; ++have) {
    Json pod_meta = rs["spec"]["template"].value("metadata", Json::object());
    pod_meta["namespace"] = ns;
    pod_meta["ownerReferences"] = Json::array({api::owner_reference(rs)});
    pod_meta["generateName"] = name + "-";
    Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod_meta},
                {"spec", rs["spec"]["template"]["spec"]}, {"status", {{"phase", "Pending"}}}};
    // A random name can collide; Kubernetes retries generateName collisions too.
    for (int attempt = 0;; ++attempt) {
      pod["metadata"]["name"] = name + "-" + random_suffix();
      auto created = st.create(pod);
      if (created) {
        record_event(st, rs, "Normal", "SuccessfulCreate",
                     "Created pod: " + created->at("metadata").value("name", ""),
                     "replicaset-controller");
        break;
      }
      if (created.error().reason != Reason::AlreadyExists || attempt > 10)
        return std::unexpected(created.error());
    }
  }
  if (have > want) {
    // The controller's deletion order (controller.ActivePods): unscheduled, not ready, newest.
    std::sort(active.begin(), active.end(), [](const Json& a, const Json& b) {
      auto rank = [](const Json& p) {
        return std::make_tuple(p["spec"].value("nodeName", "").empty() ? 0 : 1, api::is_pod_ready(p) ? 1 : 0);
      };
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      return a["metadata"].value("creationTimestamp", "") > b["metadata"].value("creationTimestamp", "");
    });
    for (int i = 0; i < have - want; ++i) {
      auto r = mark_pod_deleted(st, active[static_cast<size_t>(i)]);
      if (!r) return std::unexpected(r.error());
      record_event(st, rs, "Normal", "SuccessfulDelete",
                   "Deleted pod: " + active[static_cast<size_t>(i)]["metadata"].value("name", ""),
                   "replicaset-controller");
    }
  }
  auto fresh = st.get("ReplicaSet", ns, name);
  if (!fresh) return {};
  int count = std::min(have, want);
  Json status = {{"replicas", count}, {"fullyLabeledReplicas", count}, {"readyReplicas", ready},
                 {"availableReplicas", ready}, {"observedGeneration", (*fresh)["metadata"].value("generation", 1)}};
  if ((*fresh).value("status", Json::object()) != status) {
    (*fresh)["status"] = status;
    (void)st.update(*fresh);
  }
  return {};
}

}  // namespace lab::controllers
