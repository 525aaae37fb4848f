// A lab record for kubelet tests that run no kernel: one node whose netns is never created, so
// every pod start fails the way a broken node would.
#pragma once

#include <string>

#include "lab/cluster/lab_record.h"

namespace lab::fixture {

inline cluster::LabRecord kernelless_lab(const std::string& name) {
  cluster::LabRecord rec;
  rec.name = name;
  rec.plan.lab = rec.name;
  rec.plan.pod_cidr = *net::Cidr::parse("10.244.0.0/16");
  rec.plan.service_cidr = *net::Cidr::parse("10.96.0.0/12");
  rec.plan.node_cidr = *net::Cidr::parse("172.18.0.0/16");
  net::NodePlan n;
  n.name = "node-1";
  n.netns_name = "lab-" + name + "-no-such-node";  // never created: every start fails
  n.ip = *net::Ipv4::parse("172.18.0.2");
  n.pod_cidr = *net::Cidr::parse("10.244.1.0/24");
  rec.plan.nodes.push_back(n);
  return rec;
}

}  // namespace lab::fixture
