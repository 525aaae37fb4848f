// ClusterIP and NodePort allocation with the API server's validation messages. The first
// addresses of the service CIDR are reserved: .1 for the kubernetes Service, .10 for cluster DNS.
#include "lab/store/service_alloc.h"

#include <random>
#include <set>

namespace lab::store {

using Json = nlohmann::json;

namespace {

Error invalid(const Json& svc, const std::string& field, const std::string& value, const std::string& detail) {
  return Error{0, "The Service \"" + svc["metadata"].value("name", "") + "\" is invalid: " + field +
                        ": Invalid value: " + value + ": " + detail, Reason::Invalid};
}

bool needs_node_ports(const Json& svc) {
  std::string type = svc["spec"].value("type", "ClusterIP");
  return type == "NodePort" || type == "LoadBalancer";
}

}  // namespace

void ServiceAllocations::add(const Json& svc) {
  const Json& spec = svc["spec"];
  if (auto ip = net::Ipv4::parse(spec.value("clusterIP", "")); ip) ips.insert(ip->value);
  for (const auto& p : spec.value("ports", Json::array()))
    if (p.value("nodePort", 0) > 0) node_ports.insert(p.value("nodePort", 0));
}

void ServiceAllocations::remove(const Json& svc) {
  const Json& spec = svc["spec"];
  if (auto ip = net::Ipv4::parse(spec.value("clusterIP", "")); ip) ips.erase(ip->value);
  for (const auto& p : spec.value("ports", Json::array()))
    if (p.value("nodePort", 0) > 0) node_ports.erase(p.value("nodePort", 0));
}

Result<Json> allocate_service(const ServiceAllocations& taken, Json svc, const Json& old, const ServiceRanges& r) {
  // An update may keep what the Service already holds: that is not taken from it.
  ServiceAllocations own;
  if (old.is_object()) own.add(old);
  struct {
    const ServiceAllocations &taken, &own;
    bool ip(uint32_t v) const { return taken.ips.contains(v) && !own.ips.contains(v); }
    bool port(int v) const { return taken.node_ports.contains(v) && !own.node_ports.contains(v); }
  } used{taken, own};
  auto& spec = svc["spec"];
  // An update keeps what the Service already holds unless it asks for something else.
  if (old.is_object() && !spec.contains("clusterIP") && old["spec"].contains("clusterIP"))
    spec["clusterIP"] = old["spec"]["clusterIP"];

  std::string cip = spec.value("clusterIP", "");
  if (cip.empty() && spec.contains("clusterIPs") && !spec["clusterIPs"].empty())
    cip = spec["clusterIPs"][0].get<std::string>();
  if (cip == "None") {
    spec["clusterIP"] = "None";
    spec["clusterIPs"] = Json::array({"None"});
  } else if (!cip.empty()) {
    auto ip = net::Ipv4::parse(cip);
    std::string as_list = "[]string{\"" + cip + "\"}";
    if (!ip) return std::unexpected(invalid(svc, "spec.clusterIPs", as_list, "must be a valid IP address"));
    if (!r.service_cidr.contains(*ip))
      return std::unexpected(invalid(svc, "spec.clusterIPs", as_list,
                                     "failed to allocate IP " + cip + ": the provided IP (" + cip +
                                         ") is not in the valid range. The range of valid IPs is " +
                                         r.service_cidr.str()));
    if (used.ip(ip->value))
      return std::unexpected(invalid(svc, "spec.clusterIPs", as_list,
                                     "failed to allocate IP " + cip + ": provided IP is already allocated"));
    spec["clusterIP"] = cip;
    spec["clusterIPs"] = Json::array({cip});
  } else {
    // Random, as the API server's bitmap allocator picks, so a freed IP is not reused at once.
    static thread_local std::mt19937 rng{std::random_device{}()};
    uint32_t size = static_cast<uint32_t>(std::min<uint64_t>(r.service_cidr.size(), 1u << 20));
    std::uniform_int_distribution<uint32_t> pick(11, size - 2);
    bool found = false;
    for (int attempt = 0; attempt < 1000 && !found; ++attempt) {
      auto ip = r.service_cidr.at(pick(rng));
      if (!used.ip(ip.value)) {
        spec["clusterIP"] = ip.str();
        spec["clusterIPs"] = Json::array({ip.str()});
        found = true;
      }
    }
    if (!found) return std::unexpected(Error{0, "Internal error occurred: failed to allocate a serviceIP: range is full", Reason::InternalError});
  }

  std::string range = std::to_string(r.node_port_min) + "-" + std::to_string(r.node_port_max);
  auto& ports = spec["ports"];
  std::set<int> mine;
  for (size_t i = 0; i < ports.size(); ++i) {
    auto& p = ports[i];
    std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
    if (!needs_node_ports(svc)) {
      p.erase("nodePort");
      continue;
    }
    int np = p.value("nodePort", 0);
    if (np == 0 && old.is_object()) {
      // Keep the port this Service already had for the same port number.
      for (const auto& op : old["spec"].value("ports", Json::array()))
        if (op.value("port", 0) == p.value("port", 0) && op.value("nodePort", 0) > 0) np = op.value("nodePort", 0);
    }
    if (np != 0) {
      if (np < r.node_port_min || np > r.node_port_max)
        return std::unexpected(invalid(svc, field, std::to_string(np),
                                       "provided port is not in the valid range. The range of valid ports is " + range));
      if (used.port(np) || mine.contains(np))
        return std::unexpected(invalid(svc, field, std::to_string(np), "provided port is already allocated"));
    } else {
      static thread_local std::mt19937 rng{std::random_device{}()};
      std::uniform_int_distribution<int> pick(r.node_port_min, r.node_port_max);
      for (int attempt = 0; attempt < 10000 && np == 0; ++attempt) {
        int cand = pick(rng);
        if (!used.port(cand) && !mine.contains(cand)) np = cand;
      }
      if (np == 0) return std::unexpected(Error{0, "Internal error occurred: failed to allocate a nodePort: range is full", Reason::InternalError});
    }
    p["nodePort"] = np;
    mine.insert(np);
  }
  return svc;
}

}  // namespace lab::store
