// kube-proxy for every node of a lab: turns Services and EndpointSlices into each node's
// nftables table (through lab/proxy), and announces LoadBalancer addresses (the node chosen for
// an address holds it on eth0, so it answers ARP for it on the node network).
#pragma once

#include <atomic>
#include <map>
#include <set>
#include <string>

#include "lab/cluster/lab_record.h"
#include "lab/node/service_cache.h"
#include "lab/proxy/proxier.h"
#include "lab/store/store.h"
#include "netns/link.h"

namespace lab::node {

class ProxyAgent {
 public:
  ProxyAgent(cluster::LabRecord rec, store::Store& st)
      : rec_(std::move(rec)), store_(st), cache_(rec_.plan.pod_cidr, rec_.plan.service_cidr) {}
  // Follows the store's events; after each change of a Service or EndpointSlice, every node's
  // table and announcements match the store.
  void run_loop(const std::atomic<bool>& stop);
  // The store version the rules last matched (lab up waits for it to catch up).
  uint64_t synced_version() const { return synced_; }

 private:
  struct NodeProxy {
    std::optional<proxy::Proxier> proxier;
    std::optional<net::NlSocket> nl;
    std::set<std::string> announced;  // LoadBalancer IPs held on eth0
  };
  // One pass over the nodes; false if some node could not be brought in line (retried later).
  bool sync_nodes();

  cluster::LabRecord rec_;
  store::Store& store_;
  ServiceCache cache_;
  std::map<std::string, NodeProxy> nodes_;
  std::atomic<uint64_t> synced_{0};
};

}  // namespace lab::node
