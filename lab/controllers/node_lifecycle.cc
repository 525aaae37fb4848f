#include "lab/controllers/node_lifecycle.h"

#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "lab/base/clock.h"

namespace lab::controllers {

NodeLifecycleController::NodeLifecycleController(Context& ctx) : Controller("node-lifecycle-controller", ctx) {
  ctx.nodes.add_handler([this](const ObjPtr& old, const ObjPtr& cur) { enqueue(cur ? cur : old); });
}

std::vector<std::string> NodeLifecycleController::all_keys() const { return keys_of(ctx_.nodes); }

Result<void> NodeLifecycleController::sync(const std::string& key) {
  auto node = ctx_.nodes.get(key);
  const auto now = Clock::now();
  Clock::time_point since;
  {
    std::lock_guard lock(mu_);
    if (!node || !api::node_not_ready(*node)) {
      not_ready_since_.erase(key);
      return {};
    }
    since = not_ready_since_.try_emplace(key, now).first->second;
  }
  if (auto r = mark_pods_not_ready(key); !r) return r;
  const auto timeout = ctx_.cluster.eviction_timeout;
  if (now - since < timeout) {
    queue_.add_after(key, std::chrono::duration_cast<std::chrono::milliseconds>(timeout - (now - since)) +
                              std::chrono::milliseconds(10));
    return {};
  }
  for (const auto& pod : ctx_.pods.by_index(store::kByNode, key)) {
    if (api::is_terminating(*pod)) continue;
    const Json& meta = api::metadata_of(*pod);
    const std::string ns = api::string_at(meta, "namespace"), name = api::string_at(meta, "name");
    store::DeleteOptions opts;
    opts.uid = api::string_at(meta, "uid");
    auto r = ctx_.registry.remove("Pod", ns, name, opts);
    if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
    if (r) ctx_.event(*pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod " + ns + "/" + name,
                      "taint-eviction-controller");
  }
  // Pods bound to it meanwhile (by spec.nodeName) go the same way while it stays NotReady.
  queue_.add_after(key, std::chrono::seconds(5));
  return {};
}

// As the node lifecycle controller's MarkPodsNotReady: the pods of a node that is not Ready stop
// being Ready (a status write of the Ready condition, and a NodeNotReady event on the pod), so the
// endpoint controllers take them out of every Service before they are evicted. The node's kubelet
// keeps them so while its node is NotReady (running_pod_status), and makes them Ready again when
// the node comes back.
Result<void> NodeLifecycleController::mark_pods_not_ready(const std::string& node) {
  for (const auto& pod : ctx_.pods.by_index(store::kByNode, node)) {
    if (!api::condition_true(*pod, "Ready")) continue;
    const Json& meta = api::metadata_of(*pod);
    const std::string ns = api::string_at(meta, "namespace"), name = api::string_at(meta, "name"),
                      uid = api::string_at(meta, "uid");
    const std::string now = now_rfc3339();
    auto w = ctx_.registry.retry_update(
        "Pod", ns, name,
        [&](Json& obj) {
          if (api::string_at(api::metadata_of(obj), "uid") != uid) return false;
          if (!api::condition_true(obj, "Ready")) return false;
          for (auto& c : obj["status"]["conditions"])
            if (api::string_at(c, "type") == "Ready") c["status"] = "False", c["lastTransitionTime"] = now;
          return true;
        },
        /*status=*/true);
    if (!w && w.error().reason != Reason::NotFound) return std::unexpected(w.error());
    if (w) ctx_.event(*w, "Warning", "NodeNotReady", "Node is not ready", "node-controller");
  }
  return {};
}

}  // namespace lab::controllers
