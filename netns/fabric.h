// The cluster's wiring: a fabric netns with the node network bridge, one host veth into it,
// node netns (eth0 on the fabric, cbr0 for pods, routes to other nodes' pod /24s), pod netns.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "netns/cidr.h"
#include "netns/netns.h"

namespace lab::net {

struct NodePlan {
  std::string name;         // "node-1"
  std::string netns_name;   // "lab-<lab>-node-1", under /run/netns
  Ipv4 ip;                  // on the node network, e.g. 172.18.0.2
  Cidr pod_cidr;            // this node's /24, e.g. 10.244.1.0/24; cbr0 takes .1

  // The pods it has addresses for: all but the network, cbr0's .1 and the broadcast.
  int pod_capacity() const { return pod_cidr.size() > 3 ? static_cast<int>(pod_cidr.size() - 3) : 0; }
};

struct FabricPlan {
  std::string lab;           // lab name
  std::string fabric_netns;  // "lab-<lab>", under /run/netns
  std::string host_link;     // host end of the host<->fabric veth, <= 15 chars
  Cidr node_cidr;            // node network, e.g. 172.18.0.0/16
  Ipv4 host_ip;              // host's address on the node network (.1)
  Cidr pod_cidr;             // all pods, e.g. 10.244.0.0/16
  Cidr service_cidr;         // e.g. 10.96.0.0/12
  std::vector<NodePlan> nodes;
};

// Builds everything in the plan. On failure removes what it made and returns the error.
Result<void> build_fabric(const FabricPlan& plan);
// Remakes the host's link to the fabric (someone deleted it), with its address.
Result<void> repair_host_link(const FabricPlan& plan);
// Removes everything the plan names that exists (host link, node and fabric netns). Idempotent;
// keeps going past errors and returns the first.
Result<void> teardown_fabric(const FabricPlan& plan);

struct PodNetwork {
  Netns netns;              // anonymous pod netns; the pod's processes join it
  Ipv4 ip;
  std::string host_veth;    // node-side end on cbr0
};
// A pod netns wired to node's cbr0: eth0 with ip/24 (of the node's pod CIDR), lo up, routes to the
// lab's networks via cbr0's address and unreachable for everything else, ip_unprivileged_port_start=0.
Result<PodNetwork> create_pod_network(const FabricPlan& plan, const NodePlan& node, Ipv4 ip,
                                      const std::string& host_veth);
// Deletes the node-side veth (and with it the pod's eth0). Missing is not an error.
Result<void> delete_pod_network(const NodePlan& node, const std::string& host_veth);

}  // namespace lab::net
