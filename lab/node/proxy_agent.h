// kube-proxy for every node of a lab: turns Services and EndpointSlices into each node's
// nftables table (through lab/proxy), and announces LoadBalancer addresses (the node chosen for
// an address holds it on eth0, so it answers ARP for it on the node network).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <vector>
#include <set>
#include <string>

#include "lab/cluster/lab_record.h"
#include "lab/node/health_check.h"
#include "lab/node/host_ports.h"
#include "lab/node/service_cache.h"
#include "lab/proxy/proxier.h"
#include "lab/store/informer.h"
#include "netns/conntrack.h"
#include "netns/link.h"

namespace lab::node {

// kube-proxy's label selector for Services and EndpointSlices: `!service.kubernetes.io/service-proxy-name,
// !service.kubernetes.io/headless`. A Service another proxy implements (any value of the first),
// or a headless one's slices (the EndpointSlice controller labels them), get no rules here.
inline constexpr const char* kServiceProxyName = "service.kubernetes.io/service-proxy-name";
bool proxied(const nlohmann::json& obj);

class ProxyAgent {
 public:
  // Registers on the shared Service, EndpointSlice and Pod (hostPorts) informers (before they start), as
  // kube-proxy's informers do: their handlers queue the changes for this agent's thread.
  ProxyAgent(cluster::LabRecord rec, store::InformerFactory& informers);
  // After each change of a Service or EndpointSlice, every node's table and announcements match
  // the store. Until stop is set.
  void run_loop(const std::atomic<bool>& stop);
  // The store version the rules last matched (lab up waits for it to catch up).
  uint64_t synced_version() const { return synced_; }

 private:
  struct NodeProxy {
    std::optional<proxy::Proxier> proxier;
    std::optional<net::NlSocket> nl;
    std::set<std::string> announced;  // LoadBalancer IPs held on eth0
    std::optional<net::Conntrack> conntrack;  // opened when a UDP endpoint first goes away
  };
  // Deletes the node's conntrack entries of UDP flows whose endpoint went away (kube-proxy's
  // cleanup after a sync); failures are logged, as kube-proxy logs them.
  void flush_stale_flows(const net::NodePlan& plan, NodeProxy& np, const std::vector<proxy::StaleUdpFlow>& stale);
  // One pass over the nodes; false if some node could not be brought in line (retried later).
  bool sync_nodes();
  // What each node's health check server answers (kube-proxy's SyncServices and SyncEndpoints).
  void sync_health_checks();

  cluster::LabRecord rec_;
  store::InformerFactory& informers_;
  ServiceCache cache_;
  std::mutex mu_;
  std::vector<store::Event> pending_;  // from the handlers, for the agent's thread
  // Pods with hostPorts ("ns/name"), kept by the Pod handler; dirty until the agent copies them.
  std::map<std::string, PodHostPorts> pod_host_ports_;
  bool host_ports_dirty_ = false;
  std::map<std::string, std::vector<proxy::HostPortMapping>> host_ports_;  // node -> mappings (agent's thread)
  std::map<std::string, NodeProxy> nodes_;
  HealthCheckServer health_;  // runs while run_loop does
  std::atomic<uint64_t> synced_{0};
};

}  // namespace lab::node
