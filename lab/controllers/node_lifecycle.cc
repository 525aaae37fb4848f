#include "lab/controllers/node_lifecycle.h"

#include "lab/api/json_access.h"
#include "lab/api/objects.h"

namespace lab::controllers {

bool node_not_ready(const Json& node) {
  const Json& conditions = api::member(api::member(node, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions)
    if (api::string_at(c, "type") == "Ready") return api::string_at(c, "status") != "True";
  return false;
}

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
    if (!node || !node_not_ready(*node)) {
      not_ready_since_.erase(key);
      return {};
    }
    since = not_ready_since_.try_emplace(key, now).first->second;
  }
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

}  // namespace lab::controllers
