// The Lab document of a scenario file (not an API kind): node names and the four address ranges,
// with the defaults of design.md and the rules that make them fit together.
#include <algorithm>

#include "lab/api/scenario.h"
#include "lab/api/schema_rules.h"
#include "netns/cidr.h"

namespace lab::api::schema {

namespace {

using enum Type;

// The Lab's ranges: well-formed, and none of the blocks a lab must never route (loopback, ...).
std::string lab_cidr(const json& v) {
  if (std::string problem = cidr(v); !problem.empty()) return problem;
  const auto c = *net::Cidr::parse(v.get_ref<const std::string&>());
  return special_range_problem(c.first().value, c.last().value);
}

std::string lab_ip_range(const json& v) {
  if (std::string problem = ip_range(v); !problem.empty()) return problem;
  const auto r = *net::Ipv4Range::parse(v.get_ref<const std::string&>());
  return special_range_problem(r.first.value, r.last.value);
}

// The Lab spec: node names, the four address ranges and how they fit together. Before this runs
// `spec` holds only what the file wrote, which is how "explicit" is told from "default".
std::optional<Problem> finish_lab_spec(json& spec) {
  const bool node_written = spec.contains("nodeCIDR"), pool_written = spec.contains("loadBalancerPool");
  auto pod = *net::Cidr::parse(spec.value("podCIDR", "10.244.0.0/16"));
  auto svc = *net::Cidr::parse(spec.value("serviceCIDR", "10.96.0.0/12"));
  auto node = *net::Cidr::parse(spec.value("nodeCIDR", "172.18.0.0/16"));

  net::Ipv4Range pool;
  if (pool_written) {
    pool = *net::Ipv4Range::parse(spec["loadBalancerPool"].get<std::string>());
  } else if (node_written) {
    // Same offsets as the default pool in 172.18.0.0/16: the last 55..5 addresses.
    if (node.size() < 64)
      return Problem{"nodeCIDR", "too small for the default loadBalancerPool (its last 55..5 addresses): write "
                                 "spec.loadBalancerPool too"};
    pool = {net::Ipv4{node.last().value - 55}, net::Ipv4{node.last().value - 5}};
  } else {
    pool = *net::Ipv4Range::parse("172.18.255.200-172.18.255.250");
  }

  // Node names. node-N takes the N-th /24 of podCIDR (the 0th stays unused), as in 10.244.1.0/24.
  if (pod.prefix > 24) return Problem{"podCIDR", "smaller than the /24 each node takes (use a /16)"};
  const uint64_t pod_slots = (uint64_t{1} << (24 - pod.prefix)) - 1;
  const std::string room = " (one /24 per node; room for " + std::to_string(pod_slots) + ")";
  std::vector<std::string> names;
  const json nodes = spec.value("nodes", json(2));
  if (nodes.is_number()) {
    if (nodes.get<uint64_t>() > pod_slots) return Problem{"nodes", "nodes do not fit in podCIDR " + pod.str() + room};
    for (uint64_t i = 1; i <= nodes.get<uint64_t>(); ++i) names.push_back("node-" + std::to_string(i));
  } else {
    if (nodes.empty()) return Problem{"nodes", "must list at least one node", ErrorType::Required};
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (std::find(names.begin(), names.end(), nodes[i]) != names.end())
        return Problem{"nodes[" + std::to_string(i) + "]", "", ErrorType::Duplicate};
      names.push_back(nodes[i].get<std::string>());
    }
    if (names.size() > pod_slots)
      return Problem{"nodes", std::to_string(names.size()) + " nodes do not fit in podCIDR " + pod.str() + room};
  }

  // Kubernetes' own limit (the allocator's bitmap) at the large end; the API and DNS service IPs
  // (.1 and .10) at the small end.
  if (svc.prefix < 12 || svc.prefix > 28) return Problem{"serviceCIDR", "must be between a /12 and a /28"};

  // (A pool of defaults always fits: the written one is what can stray.)
  if (!node.contains(pool.first) || !node.contains(pool.last))
    return Problem{"loadBalancerPool", "must lie inside nodeCIDR " + node.str() + (node_written ? "" : " (the default)")};
  // The host takes .1 of the node network and the nodes .2, .3, ...: all below the pool.
  if (node.first().value + names.size() + 1 >= pool.first.value)
    return Problem{pool_written ? "loadBalancerPool" : "nodes",
                   "nodeCIDR " + node.str() + " has no room for the host (.1) and " + std::to_string(names.size()) +
                       " nodes below loadBalancerPool " + pool.str()};

  struct Named { const char* field; net::Cidr cidr; };
  const Named ranges[] = {{"podCIDR", pod}, {"serviceCIDR", svc}, {"nodeCIDR", node}};
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = i + 1; j < 3; ++j)
      if (ranges[i].cidr.overlaps(ranges[j].cidr)) {
        // Blame the range the file wrote; name the other.
        const bool j_written = spec.contains(ranges[j].field);
        const Named& at = j_written ? ranges[j] : ranges[i];
        const Named& other = j_written ? ranges[i] : ranges[j];
        return Problem{at.field, std::string("overlaps ") + other.field + " " + other.cidr.str()};
      }

  spec["nodes"] = names;
  spec["podCIDR"] = pod.str();
  spec["serviceCIDR"] = svc.str();
  spec["nodeCIDR"] = node.str();
  spec["loadBalancerPool"] = pool.str();
  return std::nullopt;
}

std::optional<Problem> finish_lab_document(json& doc) {
  set_default(doc, "apiVersion", "lab.dev/v1alpha1");
  set_default(doc, "kind", "Lab");
  if (!doc.contains("spec")) {  // otherwise its hook already ran
    doc["spec"] = json::object();
    if (auto problem = finish_lab_spec(doc["spec"]))
      return Problem{"spec." + problem->path, problem->message, problem->type};
  }
  return std::nullopt;
}

// How long a NotReady node keeps its pods. Kubernetes waits 300 s (the default toleration of
// node.kubernetes.io/not-ready); a lab wants to see it happen, so 20 s by default.
std::string eviction_seconds(const json& v) {
  if (v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= 3600) return "";
  return "must be between 1 and 3600 (seconds)";
}

const ObjectSchema kLabMeta{{
    {.name = "name", .type = String, .check = lab_name},
}};

const ObjectSchema kLabSpec{{
    {.name = "nodes", .type = IntOrStringList, .check = node_count_or_name},
    {.name = "podCIDR", .type = String, .check = lab_cidr},
    {.name = "serviceCIDR", .type = String, .check = lab_cidr},
    {.name = "nodeCIDR", .type = String, .check = lab_cidr},
    {.name = "loadBalancerPool", .type = String, .check = lab_ip_range},
    {.name = "podEvictionTimeoutSeconds", .type = Int, .check = eviction_seconds},
}, finish_lab_spec};

}  // namespace

const ObjectSchema kLabDocument{{
    {.name = "apiVersion", .type = String},
    {.name = "kind", .type = String},
    {.name = "metadata", .type = Object, .object = &kLabMeta},
    {.name = "spec", .type = Object, .object = &kLabSpec},
}, finish_lab_document};

}  // namespace lab::api::schema
