// Address planning for a new lab: node network, load balancer pool, node IPs, per-node pod /24s.
// Pure logic over what the host already routes and what other labs hold, so it is unit-tested.
#pragma once

#include <string>
#include <vector>

#include "lab/api/scenario.h"
#include "lab/cluster/lab_record.h"
#include "netns/cidr.h"

namespace lab::cluster {

struct HostRoute {
  net::Cidr dst;
  std::string dev;  // for the message: "172.18.0.0/16 dev docker0"
};

struct PlanInput {
  std::string lab;                        // validated lab name
  std::string scenario_file;              // for error messages
  api::LabSpec spec;
  std::vector<HostRoute> host_routes;     // main table of the host, default route excluded
  std::vector<LabRecord> other_labs;
};

// Picks the ranges as Docker picks its networks: a defaulted node network moves to the next free
// /16 (172.19.0.0/16, ...) with its pool; a written one that collides is refused, naming the
// file, line and field.
Result<LabRecord> plan_lab(const PlanInput& in);

// Kernel names for a lab's objects (netns, host link <= 15 chars).
std::string fabric_netns_name(const std::string& lab);
std::string node_netns_name(const std::string& lab, const std::string& node);
std::string host_link_name(const std::string& lab);

}  // namespace lab::cluster
