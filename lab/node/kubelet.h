// The node agent (kubelet) for every node of a lab: realizes a bound pod as a pod netns on its
// node's bridge plus a pod init running the containers, and reports the pod's status.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "lab/base/result.h"
#include "lab/cluster/lab_record.h"

namespace lab::node {

using Json = nlohmann::json;

class Kubelet {
 public:
  Kubelet(cluster::LabRecord rec, std::string self_exe)
      : rec_(std::move(rec)), self_exe_(std::move(self_exe)) {}

  // Starts a pod already bound to a node (spec.nodeName). Returns the pod with status filled
  // (phase Running, podIP, hostIP, containerStatuses). On error nothing of the pod is left.
  Result<Json> start_pod(const Json& pod);
  // Waits until each container port of the pod accepts TCP connections (nginx takes a few ms
  // after exec), up to timeout_ms. Returns false on timeout.
  bool wait_ports(const Json& pod, int timeout_ms);
  // Kills the pod's processes and removes its network.
  Result<void> stop_pod(const Json& pod);
  void stop_all();

  // The Node objects the API serves for this lab's nodes.
  std::vector<Json> node_objects() const;

 private:
  struct RunningPod {
    pid_t init_pid = 0;
    std::string node;
    std::string host_veth;
    net::Ipv4 ip;
  };
  const net::NodePlan* find_node(const std::string& name) const;
  Result<net::Ipv4> allocate_ip(const net::NodePlan& node);

  cluster::LabRecord rec_;
  std::string self_exe_;
  std::map<std::string, RunningPod> running_;          // by pod uid
  std::map<std::string, std::set<uint32_t>> used_ips_;  // by node name
};

}  // namespace lab::node
