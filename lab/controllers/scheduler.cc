// Spreading pods across nodes, the essence of the default scheduler's PodTopologySpread and
// LeastAllocated scores for a cluster of identical nodes.
#include "lab/controllers/scheduler.h"

#include <algorithm>
#include <climits>

namespace lab::controllers {
namespace {

std::string owner_uid(const nlohmann::json& obj) {
  for (const auto& ref : obj["metadata"].value("ownerReferences", nlohmann::json::array()))
    if (ref.value("controller", false)) return ref.value("uid", "");
  return "";
}

}  // namespace

Result<std::string> choose_node(const store::Store& st, const nlohmann::json& pod,
                                const std::vector<std::string>& nodes) {
  std::string fixed = pod["spec"].value("nodeName", "");
  if (!fixed.empty()) {
    if (std::find(nodes.begin(), nodes.end(), fixed) == nodes.end())
      return fail("pod \"" + pod["metadata"].value("name", "") + "\": spec.nodeName: node \"" +
                  fixed + "\" does not exist");
    return fixed;
  }
  if (nodes.empty()) return fail("no nodes to schedule on");
  std::string owner = owner_uid(pod);
  std::string best;
  std::pair<int, int> best_score{INT_MAX, INT_MAX};
  for (const auto& node : nodes) {
    int same = 0, all = 0;
    for (const auto& other : st.list("Pod", "")) {
      if (other["spec"].value("nodeName", "") != node) continue;
      all++;
      if (!owner.empty() && owner_uid(other) == owner) same++;
    }
    std::pair<int, int> score{same, all};
    if (score < best_score) {
      best_score = score;
      best = node;
    }
  }
  return best;
}

Result<std::vector<nlohmann::json>> schedule_pending(store::Store& st,
                                                     const std::vector<std::string>& nodes) {
  std::vector<nlohmann::json> bound;
  for (auto pod : st.list("Pod", "")) {
    if (!pod["spec"].value("nodeName", "").empty() || pod["metadata"].contains("deletionTimestamp"))
      continue;
    auto node = choose_node(st, pod, nodes);
    if (!node) return std::unexpected(node.error());
    pod["spec"]["nodeName"] = *node;
    auto updated = st.update(pod);
    if (!updated) return std::unexpected(updated.error());
    bound.push_back(*updated);
  }
  return bound;
}

}  // namespace lab::controllers
