// Spreading pods across nodes, the essence of the default scheduler's PodTopologySpread and
// LeastAllocated scores for a cluster of identical nodes. Counts come from the pod cache's node
// and controller+node indexes, so binding one pod costs the same with 10 pods or 10,000.
#include "lab/controllers/scheduler.h"

#include <algorithm>
#include <climits>

#include "lab/api/json_access.h"
#include "lab/api/objects.h"

namespace lab::controllers {

namespace {

bool unscheduled(const Json& pod) {
  return api::string_at(api::member(pod, "spec"), "nodeName").empty() && !api::is_terminating(pod);
}

// One hostPort a pod asks for: protocol, host IP ("0.0.0.0" when unset) and port.
struct WantedPort {
  std::string protocol, ip;
  int port = 0;
};

std::vector<WantedPort> host_ports_of(const Json& pod) {
  std::vector<WantedPort> out;
  const Json& containers = api::member(api::member(pod, "spec"), "containers");
  if (!containers.is_array()) return out;
  for (const auto& c : containers) {
    const Json& ports = api::member(c, "ports");
    if (!ports.is_array()) continue;
    for (const auto& p : ports) {
      const Json& hp = api::member(p, "hostPort");
      if (!hp.is_number_integer() || hp.get<int64_t>() <= 0) continue;
      WantedPort w{api::string_at(p, "protocol"), api::string_at(p, "hostIP"), static_cast<int>(hp.get<int64_t>())};
      if (w.protocol.empty()) w.protocol = "TCP";
      if (w.ip.empty()) w.ip = "0.0.0.0";
      out.push_back(std::move(w));
    }
  }
  return out;
}

// The NodePorts filter (HostPortInfo.CheckConflict): one protocol and port, and addresses that
// overlap (equal, or either is 0.0.0.0, every address).
bool ports_conflict(const std::vector<WantedPort>& want, const std::vector<WantedPort>& used) {
  for (const auto& a : want)
    for (const auto& b : used)
      if (a.protocol == b.protocol && a.port == b.port && (a.ip == b.ip || a.ip == "0.0.0.0" || b.ip == "0.0.0.0"))
        return true;
  return false;
}

// A pod on `node` holding a port the pod wants. Finished pods hold none (the scheduler's
// informer leaves out Succeeded and Failed pods); terminating ones still do.
bool host_ports_taken(const store::Informer& pods, const std::vector<WantedPort>& want, const std::string& node) {
  if (want.empty()) return false;
  for (const auto& other : pods.by_index(store::kByNode, node)) {
    const std::string phase = api::string_at(api::member(*other, "status"), "phase");
    if (phase == "Succeeded" || phase == "Failed") continue;
    if (ports_conflict(want, host_ports_of(*other))) return true;
  }
  return false;
}

// The pod tolerates the taint a cordoned node has (node.kubernetes.io/unschedulable:NoSchedule),
// as DaemonSet pods do.
bool tolerates_unschedulable(const Json& pod) {
  const Json& tolerations = api::member(api::member(pod, "spec"), "tolerations");
  if (!tolerations.is_array()) return false;
  for (const auto& t : tolerations) {
    const std::string key = api::string_at(t, "key"), op = api::string_at(t, "operator", "Equal"),
                      effect = api::string_at(t, "effect");
    const bool key_matches = key == "node.kubernetes.io/unschedulable" || (key.empty() && op == "Exists");
    if (key_matches && (effect.empty() || effect == "NoSchedule")) return true;
  }
  return false;
}

}  // namespace

Result<std::string> choose_node(const store::Informer& pods, const Json& pod, const std::vector<std::string>& nodes,
                                int pods_per_node, const std::set<std::string>& not_ready,
                                const std::set<std::string>& unschedulable) {
  std::string fixed = api::string_at(api::member(pod, "spec"), "nodeName");
  if (!fixed.empty()) {
    if (std::find(nodes.begin(), nodes.end(), fixed) == nodes.end())
      return fail("pod \"" + api::string_at(api::metadata_of(pod), "name") + "\": spec.nodeName: node \"" +
                  fixed + "\" does not exist");
    return fixed;
  }
  if (nodes.empty()) return fail("no nodes to schedule on");
  std::string owner = api::controller_uid(pod);
  std::string best;
  std::pair<int, int> best_score{INT_MAX, INT_MAX};
  int full = 0, ports_busy = 0, cordoned = 0;
  const std::vector<WantedPort> want = host_ports_of(pod);
  const bool tolerates = tolerates_unschedulable(pod);
  for (const auto& node : nodes) {
    if (not_ready.contains(node)) continue;
    if (unschedulable.contains(node) && !tolerates) {
      ++cordoned;
      continue;
    }
    int all = static_cast<int>(pods.count_index(store::kByNode, node));
    if (pods_per_node > 0 && all >= pods_per_node) {  // its pod CIDR has no address left
      ++full;
      continue;
    }
    if (host_ports_taken(pods, want, node)) {
      ++ports_busy;
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
    // The scheduler's own wording for nodes at their pod limit, without the ports asked for,
    // or tainted not-ready: "N reason" each, sorted as strings (FitError.Error()).
    std::vector<std::string> reasons;
    if (full > 0) reasons.push_back(std::to_string(full) + " Too many pods");
    if (ports_busy > 0)
      reasons.push_back(std::to_string(ports_busy) + " node(s) didn't have free ports for the requested pod ports");
    if (cordoned > 0) reasons.push_back(std::to_string(cordoned) + " node(s) were unschedulable");
    if (!not_ready.empty())
      reasons.push_back(std::to_string(not_ready.size()) + " node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
    std::sort(reasons.begin(), reasons.end());
    std::string why;
    for (const auto& r : reasons) why += (why.empty() ? "" : ", ") + r;
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
  std::set<std::string> not_ready, unschedulable;
  for (const auto& name : ctx_.cluster.nodes) {
    auto n = ctx_.nodes.get(name);
    if (!n) continue;
    if (api::node_not_ready(*n)) not_ready.insert(name);
    if (api::member(api::member(*n, "spec"), "unschedulable") == true) unschedulable.insert(name);  // cordoned
  }
  auto node = choose_node(ctx_.pods, *pod, ctx_.cluster.nodes, ctx_.cluster.pods_per_node, not_ready, unschedulable);
  if (!node) {
    ctx_.event(*pod, "Warning", "FailedScheduling", node.error().message, "default-scheduler");
    // Unschedulable for now: room may come as pods go, so try again later (the scheduler's
    // unschedulable queue flushes on an interval, too).
    queue_.add_after(key, std::chrono::seconds(5));
    return {};
  }
  const Json& meta = api::metadata_of(*pod);
  const std::string ns = api::string_at(meta, "namespace", "default"), name = api::string_at(meta, "name");
  auto bound = ctx_.registry.bind(ns, name, api::string_at(meta, "uid"), *node);
  if (!bound) return bound.error().reason == Reason::NotFound ? Result<void>{} : std::unexpected(bound.error());
  ctx_.event(*bound, "Normal", "Scheduled", "Successfully assigned " + ns + "/" + name + " to " + *node,
             "default-scheduler");
  return {};
}

}  // namespace lab::controllers
