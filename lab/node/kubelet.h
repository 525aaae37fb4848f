// The node agent (kubelet) for every node of a lab: realizes pods bound to its nodes (pod netns on
// the node's bridge plus a pod init running the containers), runs probes, reports status, stops
// pods gracefully, and adopts running pods after a daemon restart.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"
#include "lab/node/probes.h"
#include "lab/store/store.h"

namespace lab::node {

using Json = nlohmann::json;

class Kubelet {
 public:
  Kubelet(cluster::LabRecord rec, std::string self_exe, store::Store& st)
      : rec_(std::move(rec)), self_exe_(std::move(self_exe)), store_(st) {}

  // Takes over pods that still run from an earlier daemon (same pods, same IPs, same counts).
  void adopt();
  // One pass over every pod bound to this lab's nodes: start, probe, report, stop.
  void sync_once();
  void run_loop(const std::atomic<bool>& stop);
  // Waits until each container port of the pod accepts TCP connections, up to timeout_ms.
  bool wait_ports(const Json& pod, int timeout_ms) const;
  // Kills every pod this kubelet runs (lab teardown).
  void stop_all();

  // The Node objects the API serves for this lab's nodes.
  std::vector<Json> node_objects() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct ContainerState {
    std::optional<ProbeState> readiness, liveness;
    int restarts = 0;
    std::string started_at;   // RFC 3339 of the current run
    Json last_terminated;     // lastState.terminated, null if none
  };
  struct RunningPod {
    pid_t init_pid = 0;
    UniqueFd pidfd;           // readable once the pod init has exited
    std::string node, veth, state_dir;
    net::Ipv4 ip;
    bool stopping = false;
    Clock::time_point kill_at;
    std::vector<ContainerState> containers;
  };

  const net::NodePlan* find_node(const std::string& name) const;
  Result<net::Ipv4> allocate_ip(const net::NodePlan& node);
  void release(RunningPod& rp);
  const net::Netns* node_netns(const std::string& node);  // opened once, kept
  Result<void> start(const Json& pod);
  void stop(const Json& pod, RunningPod& rp);
  void refresh_status(const Json& pod, RunningPod& rp);
  void event(const Json& pod, const std::string& type, const std::string& reason, const std::string& msg);

  cluster::LabRecord rec_;
  std::string self_exe_;
  store::Store& store_;
  std::map<std::string, RunningPod> running_;           // by pod uid
  std::map<std::string, std::set<uint32_t>> used_ips_;  // by node name
  std::map<std::string, net::Netns> node_netns_;        // by node name
  std::map<std::string, uint32_t> last_ip_;             // by node name: last host index given
};

}  // namespace lab::node
