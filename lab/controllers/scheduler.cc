// Spreading pods across nodes, the essence of the default scheduler's PodTopologySpread and
// LeastAllocated scores for a cluster of identical nodes. Counts come from the pod cache's node
// and controller+node indexes, so binding one pod costs the same with 10 pods or 10,000.
#include "lab/controllers/scheduler.h"

#include <algorithm>
#include <climits>

#include "lab/api/objects.h"
#include "lab/controllers/node_lifecycle.h"

namespace lab::controllers {

namespace {

bool unscheduled(const Json& pod) {
  return pod["spec"].value("nodeName", "").empty() && !api::is_terminating(pod);
}

}  // namespace

Result<std::string> choose_node(const store::Informer& pods, const Json& pod, const std::vector<std::string>& nodes,
                                int pods_per_node, const std::set<std::string>& not_ready) {
  std::string fixed = pod["spec"].value("nodeName", "");
  if (!fixed.empty()) {
    if (std::find(nodes.begin(), nodes.end(), fixed) == nodes.end())
      return fail("pod \"" + pod["metadata"].value("name", "") + "\": spec.nodeName: node \"" +
                  fixed + "\" does not exist");
    return fixed;
  }
  if (nodes.empty()) return fail("no nodes to schedule on");
  std::string owner = api::controller_uid(pod);
  std::string best;
  std::pair<int, int> best_score{INT_MAX, INT_MAX};
  int full = 0;
  for (const auto& node : nodes) {
    if (not_ready.contains(node)) continue;
    int all = static_cast<int>(pods.count_index(store::kByNode, node));
    if (pods_per_node > 0 && all >= pods_per_node) {  // its pod CIDR has no address left
      ++full;
      continue;
    }
    int same = owner.empty() ? 0 : static_cast<int>(pods.count_index(store::kByControllerNode, owner + "/" + node));
    std::pair<int, int> score{same, all};
    if (score < best_score) {
      best_score = score;
      best = node;
    }
  }
  if (best.empty()) {
    // The scheduler's own wording for nodes at their pod limit or tainted not-ready.
    std::string why;
    if (full > 0) why += std::to_string(full) + " Too many pods";
    if (!not_ready.empty())
      why += (why.empty() ? "" : ", ") + std::to_string(not_ready.size()) +
             " node(s) had untolerated taint {node.kubernetes.io/not-ready: }";
    return fail("0/" + std::to_string(nodes.size()) + " nodes are available: " + why + ".");
  }
  return best;
}

Scheduler::Scheduler(Context& ctx) : Controller("default-scheduler", ctx) {
  ctx.pods.add_handler([this](const ObjPtr&, const ObjPtr& cur) {
    if (cur && unscheduled(*cur)) enqueue(cur);
  });
}

std::vector<std::string> Scheduler::all_keys() const {
  return keys_of(ctx_.pods, unscheduled);
}

Result<void> Scheduler::sync(const std::string& key) {
  auto pod = ctx_.pods.get(key);
  if (!pod || !unscheduled(*pod)) return {};
  std::set<std::string> not_ready;
  for (const auto& name : ctx_.cluster.nodes)
    if (auto n = ctx_.nodes.get(name); n && node_not_ready(*n)) not_ready.insert(name);
  auto node = choose_node(ctx_.pods, *pod, ctx_.cluster.nodes, ctx_.cluster.pods_per_node, not_ready);
  if (!node) {
    ctx_.event(*pod, "Warning", "FailedScheduling", node.error().message, "default-scheduler");
    // Unschedulable for now: room may come as pods go, so try again later (the scheduler's
    // unschedulable queue flushes on an interval, too).
    queue_.add_after(key, std::chrono::seconds(5));
    return {};
  }
  const Json& meta = (*pod)["metadata"];
  auto bound = ctx_.registry.bind(meta.value("namespace", "default"), meta.value("name", ""), meta.value("uid", ""), *node);
  if (!bound) return bound.error().reason == Reason::NotFound ? Result<void>{} : std::unexpected(bound.error());
  ctx_.event(*bound, "Normal", "Scheduled",
             "Successfully assigned " + meta.value("namespace", "default") + "/" + meta.value("name", "") +
                 " to " + *node,
             "default-scheduler");
  return {};
}

}  // namespace lab::controllers
