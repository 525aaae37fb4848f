// Chooses a new lab's address ranges and names, refusing collisions with the host and with
// other labs. Only the node network and the load balancer pool are visible from the host.
#include "lab/cluster/planner.h"

#include <cstdio>

#include "lab/base/clock.h"
#include "lab/base/hash.h"


namespace lab::cluster {

std::string fabric_netns_name(const std::string& lab) { return "lab-" + lab; }
std::string node_netns_name(const std::string& lab, const std::string& node) {
  return "lab-" + lab + "-" + node;
}
std::string host_link_name(const std::string& lab) {
  std::string name = "lab-" + lab;
  if (name.size() <= 15) return name;
  // IFNAMSIZ: long lab names get a short stable hash instead.
  char buf[16];
  std::snprintf(buf, sizeof buf, "lab-%08x", fnv1a32(lab));
  return buf;
}

namespace {

// What a candidate node network collides with, in words; "" if nothing.
std::string collision(const net::Cidr& nodes, const net::Ipv4Range& pool, const PlanInput& in) {
  for (const auto& r : in.host_routes)
    if (r.dst.overlaps(nodes))
      return "overlaps the host route " + r.dst.str() + (r.dev.empty() ? "" : " dev " + r.dev);
  for (const auto& other : in.other_labs) {
    if (other.plan.node_cidr.overlaps(nodes))
      return "overlaps the node network " + other.plan.node_cidr.str() + " of lab \"" +
             other.name + "\"";
    auto other_pool = net::Ipv4Range::parse(other.lb_pool);
    if (other_pool && (other_pool->overlaps(nodes) ||
                       (pool.first <= other_pool->last && other_pool->first <= pool.last)))
      return "overlaps the load balancer pool " + other.lb_pool + " of lab \"" + other.name + "\"";
  }
  return "";
}

// The default pool sits at the same offsets from the top of any node network: .255.200-.255.250
// of a /16, i.e. last-55 .. last-5.
net::Ipv4Range default_pool(const net::Cidr& nodes) {
  return {net::Ipv4{nodes.last().value - 55}, net::Ipv4{nodes.last().value - 5}};
}

Error at(const PlanInput& in, const api::SourcePos& pos, const std::string& field,
         const std::string& what) {
  std::string where = in.scenario_file;
  if (pos.line > 0) where += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  return Error{0, where + ": Lab \"" + in.lab + "\": " + field + ": " + what};
}

}  // namespace

Result<LabRecord> plan_lab(const PlanInput& in) {
  const auto& spec = in.spec;
  auto pod_cidr = net::Cidr::parse(spec.pod_cidr);
  auto svc_cidr = net::Cidr::parse(spec.service_cidr);
  auto node_cidr = net::Cidr::parse(spec.node_cidr);
  if (!pod_cidr || !svc_cidr || !node_cidr) return fail("invalid CIDR in the Lab document");
  // The scenario loader refuses these already; the plan is what reaches the kernel, so it checks
  // again: a node network in 0.0.0.0/8 or 127.0.0.0/8 would route host traffic into the lab, or
  // lab traffic out of the uplink.
  const struct { const net::Cidr& cidr; const api::SourcePos& pos; const char* field; } ranges[] = {
      {*node_cidr, spec.node_cidr_pos, "spec.nodeCIDR"},
      {*pod_cidr, spec.pod_cidr_pos, "spec.podCIDR"},
      {*svc_cidr, spec.service_cidr_pos, "spec.serviceCIDR"},
  };
  for (const auto& r : ranges)
    if (std::string why = api::special_range_problem(r.cidr.first().value, r.cidr.last().value); !why.empty())
      return std::unexpected(at(in, r.pos, r.field, r.cidr.str() + " " + why));
  if (node_cidr->prefix > 24) return std::unexpected(at(in, spec.node_cidr_pos, "spec.nodeCIDR",
                                                        "must be /24 or larger"));

  net::Cidr chosen = *node_cidr;
  net::Ipv4Range pool{};
  if (spec.lb_pool_explicit) {
    auto p = net::Ipv4Range::parse(spec.lb_pool);
    if (!p) return std::unexpected(at(in, spec.lb_pool_pos, "spec.loadBalancerPool", p.error().message));
    pool = *p;
    if (std::string why = api::special_range_problem(pool.first.value, pool.last.value); !why.empty())
      return std::unexpected(at(in, spec.lb_pool_pos, "spec.loadBalancerPool", spec.lb_pool + " " + why));
  } else {
    pool = default_pool(chosen);
  }
  std::string why = collision(chosen, pool, in);
  if (!why.empty()) {
    if (spec.node_cidr_explicit)
      return std::unexpected(at(in, spec.node_cidr_pos, "spec.nodeCIDR",
                                chosen.str() + " " + why + "; choose a free range or leave it out"));
    if (spec.lb_pool_explicit)
      return std::unexpected(at(in, spec.lb_pool_pos, "spec.loadBalancerPool",
                                spec.lb_pool + " " + why));
    // Docker's way: walk to the next /16 of the 172.16.0.0/12 private block.
    bool found = false;
    for (uint32_t second = 18; second <= 31 && !found; ++second) {
      net::Cidr cand{net::Ipv4{(172u << 24) | (second << 16)}, 16};
      if (collision(cand, default_pool(cand), in).empty()) {
        chosen = cand;
        pool = default_pool(cand);
        found = true;
      }
    }
    if (!found)
      return fail("no free node network: every /16 of 172.18.0.0-172.31.0.0 collides with a host "
                  "route or another lab; write spec.nodeCIDR in the Lab document");
  }
  if (!chosen.contains(pool.first) || !chosen.contains(pool.last))
    return std::unexpected(at(in, spec.lb_pool_pos, "spec.loadBalancerPool",
                              pool.str() + " is not inside the node network " + chosen.str()));
  if (spec.nodes.size() + 2 >= chosen.size() - pool.size())
    return std::unexpected(at(in, spec.node_cidr_pos, "spec.nodeCIDR",
                              "too small for " + std::to_string(spec.nodes.size()) + " nodes"));
  if (pod_cidr->prefix > 23 || (uint64_t{1} << (24 - pod_cidr->prefix)) <= spec.nodes.size())
    return fail(in.scenario_file + ": Lab \"" + in.lab + "\": spec.podCIDR: " + pod_cidr->str() +
                " has too few /24 blocks for " + std::to_string(spec.nodes.size()) + " nodes");

  LabRecord rec;
  rec.name = in.lab;
  rec.created = now_rfc3339();
  rec.scenario = in.scenario_file;
  rec.lb_pool = pool.str();
  rec.pod_eviction_timeout_seconds = spec.pod_eviction_timeout_seconds;
  auto& p = rec.plan;
  p.lab = in.lab;
  p.fabric_netns = fabric_netns_name(in.lab);
  p.host_link = host_link_name(in.lab);
  p.node_cidr = chosen;
  p.host_ip = chosen.at(1);
  p.pod_cidr = *pod_cidr;
  p.service_cidr = *svc_cidr;
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    auto block = pod_cidr->subnet(24, static_cast<uint32_t>(i + 1));
    if (!block) return std::unexpected(block.error());
    p.nodes.push_back({spec.nodes[i], node_netns_name(in.lab, spec.nodes[i]),
                       chosen.at(static_cast<uint32_t>(i + 2)), *block});
  }
  return rec;
}

}  // namespace lab::cluster
