// The node agent's health loop, as the kubelet's node status updates: every second it checks
// each node's wiring (netns/node_health); a node whose wiring broke goes NotReady (its Ready
// condition False with the problem, and a NodeNotReady event), and Ready again once whole. A
// deleted host link is remade at once: it belongs to the lab, not to a node. What happens to
// the pods of a NotReady node is the node lifecycle controller's business (eviction). It also renews
// each node's Lease in kube-node-lease, the kubelet's heartbeat.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "lab/cluster/lab_record.h"
#include "lab/store/registry.h"
#include "netns/netns.h"

namespace lab::node {

class NodeHealth {
 public:
  // netns_of: the node's netns as the lab opened it (kept open), or null.
  using NetnsOf = std::function<std::shared_ptr<const net::Netns>(const std::string& node)>;
  NodeHealth(const cluster::LabRecord& rec, store::Registry& reg, NetnsOf netns_of);
  ~NodeHealth();
  NodeHealth(const NodeHealth&) = delete;
  NodeHealth& operator=(const NodeHealth&) = delete;

  void start();
  void stop();
  // One round of checks and the status writes they call for.
  void check_once();

 private:
  void report(const std::string& node, const std::optional<std::string>& problem);
  // The node's Lease in kube-node-lease (the kubelet's heartbeat, which `kubectl describe node`
  // shows): made at the first round, its renewTime written every 10 s.
  void renew_lease(const std::string& node);

  const cluster::LabRecord& rec_;
  store::Registry& registry_;
  NetnsOf netns_of_;
  std::map<std::string, std::string> reported_;  // node -> problem last written ("" = Ready)
  std::map<std::string, std::chrono::steady_clock::time_point> renewed_;  // node -> its lease's last renewal
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The Ready condition a node's health gives (problem: nullopt when healthy).
nlohmann::json ready_condition(const std::optional<std::string>& problem, const std::string& now);

}  // namespace lab::node
