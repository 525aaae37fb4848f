// The pass order follows the object graph: Deployments shape ReplicaSets, ReplicaSets shape
// Pods, the garbage collector removes orphans, the scheduler binds what is new.
#include "lab/controllers/manager.h"

#include <cstdio>
#include <chrono>
#include <set>
#include <thread>

#include "lab/base/clock.h"
#include "lab/api/objects.h"
#include "lab/controllers/deployment.h"
#include "lab/controllers/endpointslice.h"
#include "lab/controllers/service_lb.h"
#include "lab/controllers/events.h"
#include "lab/controllers/replicaset.h"
#include "lab/controllers/scheduler.h"

namespace lab::controllers {

static void log_error(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s %s: %s\n", now_rfc3339().c_str(), what.c_str(), e.what().c_str());
}

// Owner references whose owner is gone: ReplicaSets go at once (cascading), pods gracefully.
static void collect_garbage(store::Store& st) {
  std::set<std::string> uids;
  for (const char* kind : {"Deployment", "ReplicaSet", "Service"})
    for (const auto& o : st.list(kind, "")) uids.insert(o["metadata"].value("uid", ""));
  for (const auto& slice : st.list("EndpointSlice", "")) {
    std::string owner = api::controller_uid(slice);
    if (!owner.empty() && !uids.contains(owner))
      (void)st.remove("EndpointSlice", slice["metadata"].value("namespace", "default"), slice["metadata"]["name"]);
  }
  for (const auto& rs : st.list("ReplicaSet", "")) {
    std::string owner = api::controller_uid(rs);
    if (!owner.empty() && !uids.contains(owner)) {
      (void)st.remove("ReplicaSet", rs["metadata"].value("namespace", "default"), rs["metadata"]["name"]);
      uids.erase(rs["metadata"].value("uid", ""));
    }
  }
  for (const auto& pod : st.list("Pod", "")) {
    std::string owner = api::controller_uid(pod);
    if (!owner.empty() && !uids.contains(owner)) (void)mark_pod_deleted(st, pod);
  }
  // Events of objects that are gone, after a while, as the API server's event TTL does (1 h);
  // checked once a minute, since it reads every event.
  static auto next_event_sweep = std::chrono::steady_clock::time_point{};
  if (std::chrono::steady_clock::now() < next_event_sweep) return;
  next_event_sweep = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  std::set<std::string> live;
  for (const char* kind : {"Deployment", "ReplicaSet", "Pod", "Service"})
    for (const auto& o : st.list(kind, "")) live.insert(o["metadata"].value("uid", ""));
  for (const auto& ev : st.list("Event", ""))
    if (!live.contains(ev["involvedObject"].value("uid", "")) &&
        ev.value("lastTimestamp", "") < now_rfc3339().substr(0, 11))  // older than today
      (void)st.remove("Event", ev["metadata"].value("namespace", "default"), ev["metadata"]["name"]);
}

void run_controllers_once(store::Store& st, const ClusterInfo& cluster) {
  const auto& nodes = cluster.nodes;
  for (const auto& d : st.list("Deployment", ""))
    if (auto r = reconcile_deployment(st, d); !r) log_error("deployment " + d["metadata"].value("name", ""), r.error());
  for (const auto& rs : st.list("ReplicaSet", ""))
    if (auto r = reconcile_replicaset(st, rs); !r) log_error("replicaset " + rs["metadata"].value("name", ""), r.error());
  collect_garbage(st);
  for (const auto& svc : st.list("Service", ""))
    if (auto r = reconcile_endpoint_slices(st, svc); !r) log_error("endpointslices of " + svc["metadata"].value("name", ""), r.error());
  reconcile_load_balancers(st, cluster.lb_pool, nodes);
  auto bound = schedule_pending(st, nodes);
  if (!bound) log_error("scheduler", bound.error());
  else
    for (const auto& pod : *bound)
      record_event(st, pod, "Normal", "Scheduled",
                   "Successfully assigned " + pod["metadata"].value("namespace", "default") + "/" +
                       pod["metadata"].value("name", "") + " to " + pod["spec"].value("nodeName", ""),
                   "default-scheduler");
}

void run_controller_loop(store::Store& st, const ClusterInfo& cluster, const std::atomic<bool>& stop,
                         std::atomic<uint64_t>* synced) {
  uint64_t seen = 0;
  while (!stop) {
    uint64_t before = st.version();
    if (before != seen) run_controllers_once(st, cluster);
    // Own writes count as seen; only others' changes (API, kubelet) trigger the next pass.
    seen = before;
    if (synced) *synced = before;
    (void)st.events_since(seen, 1000);
    // Let a burst of changes (a kubelet starting many pods) land before the next full pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace lab::controllers
