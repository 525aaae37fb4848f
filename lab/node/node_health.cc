#include "lab/base/log.h"
#include "lab/base/thread_name.h"
#include "lab/node/node_health.h"

#include <chrono>
#include <cstdio>

#include "lab/api/json_access.h"
#include "lab/base/clock.h"
#include "netns/fabric.h"
#include "netns/node_health.h"

namespace lab::node {
namespace {

constexpr auto kInterval = std::chrono::seconds(1);
// The kubelet's node lease: 40 s long, renewed every quarter of that (nodeLeaseDurationSeconds,
// and the lease controller's renewInterval).
constexpr int kLeaseDurationSeconds = 40;
constexpr auto kLeaseRenewInterval = std::chrono::seconds(10);
constexpr const char* kNodeLeaseNamespace = "kube-node-lease";

}  // namespace

nlohmann::json ready_condition(const std::optional<std::string>& problem, const std::string& now) {
  if (!problem)
    return {{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"},
            {"message", "kubelet is posting ready status"}, {"lastHeartbeatTime", now}, {"lastTransitionTime", now}};
  // The kubelet's wording when the pod network is not ready.
  return {{"type", "Ready"}, {"status", "False"}, {"reason", "KubeletNotReady"},
          {"message", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                      "message:" + *problem},
          {"lastHeartbeatTime", now},
          {"lastTransitionTime", now}};
}

NodeHealth::NodeHealth(const cluster::LabRecord& rec, store::Registry& reg, NetnsOf netns_of)
    : rec_(rec), registry_(reg), netns_of_(std::move(netns_of)) {}

NodeHealth::~NodeHealth() { stop(); }

void NodeHealth::start() {
  thread_ = std::thread([this] {
    name_this_thread("node-health");
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      check_once();
      lock.lock();
      cv_.wait_for(lock, kInterval, [this] { return stop_; });
    }
  });
}

void NodeHealth::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodeHealth::check_once() {
  if (auto p = net::host_link_problem(rec_.plan)) {
    log_line("host link: " + *p + "; remaking it");
    if (auto r = net::repair_host_link(rec_.plan); !r) log_line("host link: " + r.error().what());
  }
  for (size_t i = 0; i < rec_.plan.nodes.size(); ++i) {
    const auto& node = rec_.plan.nodes[i];
    auto ns = netns_of_(node.name);
    std::optional<std::string> problem =
        ns ? net::node_network_problem(rec_.plan, i, *ns) : std::optional<std::string>("netns " + node.netns_name + " is gone");
    report(node.name, problem);
    renew_lease(node.name);
  }
}

void NodeHealth::renew_lease(const std::string& node) {
  const auto now = std::chrono::steady_clock::now();
  if (auto last = renewed_.find(node); last != renewed_.end() && now - last->second < kLeaseRenewInterval) return;
  const std::string when = now_rfc3339_micro();
  auto renew = [&](nlohmann::json& lease) {
    lease["spec"]["holderIdentity"] = node;
    lease["spec"]["leaseDurationSeconds"] = kLeaseDurationSeconds;
    lease["spec"]["renewTime"] = when;
    return true;
  };
  auto w = registry_.retry_update("Lease", kNodeLeaseNamespace, node, renew);
  if (!w && w.error().reason == Reason::NotFound) {
    // The first renewal makes the lease, owned by its Node (so that it goes with it), as the
    // kubelet's lease controller does.
    auto n = registry_.get("Node", "", node);
    if (!n) return log_line("node " + node + ": lease: " + n.error().what());
    nlohmann::json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata",
         {{"name", node},
          {"namespace", kNodeLeaseNamespace},
          {"ownerReferences", nlohmann::json::array({{{"apiVersion", "v1"},
                                                      {"kind", "Node"},
                                                      {"name", node},
                                                      {"uid", api::string_at(api::metadata_of(*n), "uid")}}})}}},
        {"spec", nlohmann::json::object()}};
    renew(lease);
    w = registry_.create(lease);
  }
  if (!w) return log_line("node " + node + ": lease: " + w.error().what());  // tried again next round
  renewed_[node] = now;
}

void NodeHealth::report(const std::string& node, const std::optional<std::string>& problem) {
  const std::string now_problem = problem.value_or("");
  auto last = reported_.find(node);
  // First round: write only a problem (the node was registered Ready).
  if (last == reported_.end() ? now_problem.empty() : last->second == now_problem) {
    reported_[node] = now_problem;
    return;
  }
  const std::string now = now_rfc3339();
  nlohmann::json want = ready_condition(problem, now);
  bool flipped = false;
  auto w = registry_.retry_update(
      "Node", "", node,
      [&](nlohmann::json& obj) {
        nlohmann::json& conditions = obj["status"]["conditions"];
        if (!conditions.is_array()) conditions = nlohmann::json::array();
        for (auto& c : conditions) {
          if (!c.is_object() || api::string_at(c, "type") != "Ready") continue;
          flipped = api::string_at(c, "status") != want["status"].get<std::string>();
          if (!flipped) want["lastTransitionTime"] = c.value("lastTransitionTime", now);
          if (c == want) return false;
          c = want;
          return true;
        }
        flipped = true;
        conditions.push_back(want);
        return true;
      },
      /*status=*/true);
  if (!w) {
    log_line("node " + node + ": status: " + w.error().what());
    return;  // tried again next round
  }
  reported_[node] = now_problem;
  log_line("node " + node + (problem ? " is not ready: " + *problem : " is ready again"));
  if (flipped) {
    const char* status = problem ? "NodeNotReady" : "NodeReady";
    registry_.record_event(*w, "Normal", status, "Node " + node + " status is now: " + status, {"kubelet", node});
  }
}

}  // namespace lab::node
