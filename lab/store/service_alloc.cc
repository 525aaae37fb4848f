// ClusterIP and NodePort allocation with the API server's validation messages. The service
// CIDR's first address belongs to the `kubernetes` Service of `default` alone; dynamic picks come
// from above the static band first (ServiceIPStaticSubrange), so the addresses people write by
// hand, such as cluster DNS's .10, are not taken by chance.
#include "lab/store/service_alloc.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "lab/api/json_access.h"

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

// A LoadBalancer with allocateLoadBalancerNodePorts: false keeps the nodePorts it is given (or
// already holds) but gets no new ones: its load balancer sends traffic to the pods directly.
bool allocates_node_ports(const Json& svc) {
  const Json& spec = svc["spec"];
  const Json& allocate = api::member(spec, "allocateLoadBalancerNodePorts");
  return !(api::string_at(spec, "type") == "LoadBalancer" && allocate.is_boolean() && !allocate.get<bool>());
}

// needsHealthCheck: a LoadBalancer whose externalTrafficPolicy is Local.
bool needs_health_check(const Json& svc) {
  const Json& spec = svc["spec"];
  return api::string_at(spec, "type") == "LoadBalancer" && api::string_at(spec, "externalTrafficPolicy") == "Local";
}

int health_check_port_of(const Json& svc) {
  const Json& np = api::member(svc["spec"], "healthCheckNodePort");
  return np.is_number_integer() ? np.get<int>() : 0;
}

int random_node_port(const ServiceRanges& r, const std::function<bool(int)>& taken) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(r.node_port_min, r.node_port_max);
  for (int attempt = 0; attempt < 10000; ++attempt)
    if (int cand = pick(rng); !taken(cand)) return cand;
  for (int cand = r.node_port_min; cand <= r.node_port_max; ++cand)  // nearly full: a scan finds the rest
    if (!taken(cand)) return cand;
  return 0;
}

}  // namespace

void patch_node_ports(Json& ports, const Json& old_ports) {
  // patchAllocatedValues: a port sent without a nodePort keeps the one the port of the same name
  // had, unless another port of the update already holds that number.
  std::set<int> in_old, in_new;
  std::map<std::string, int> by_name;
  for (const auto& p : old_ports)
    if (int np = p.value("nodePort", 0); np > 0) {
      in_old.insert(np);
      by_name[p.value("name", "")] = np;
    } else {
      by_name[p.value("name", "")] = 0;
    }
  for (const auto& p : ports)
    if (int np = p.value("nodePort", 0); np > 0) in_new.insert(np);
  for (auto& p : ports) {
    if (p.value("nodePort", 0) != 0) continue;
    auto it = by_name.find(p.value("name", ""));
    if (it == by_name.end() || it->second == 0) continue;
    if (in_old.contains(it->second) && in_new.contains(it->second)) continue;  // used by another port
    p["nodePort"] = it->second;
  }
}

Result<void> assign_node_ports(Json& svc, const Json& old, const std::function<bool(int)>& taken,
                               const ServiceRanges& r) {
  // The node port allocator holds numbers, not protocols: one Service may use a number for
  // several of its ports (80/TCP and 80/UDP share one on create), no other Service may have it.
  const std::string range = std::to_string(r.node_port_min) + "-" + std::to_string(r.node_port_max);
  auto& ports = svc["spec"]["ports"];
  std::set<int> mine;  // numbers this operation allocated (or the old Service already held)
  if (old.is_object())
    for (const auto& p : old["spec"].value("ports", Json::array()))
      if (int np = p.value("nodePort", 0); np > 0) mine.insert(np);
  std::set<int> allocated;  // by this operation, so a second Allocate of one number fails
  auto allocate = [&](size_t i, int np) -> Result<void> {
    const std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
    if (np < r.node_port_min || np > r.node_port_max)
      return std::unexpected(invalid(svc, field, std::to_string(np),
                                     "provided port is not in the valid range. The range of valid ports is " + range));
    if (taken(np) || allocated.contains(np))
      return std::unexpected(invalid(svc, field, std::to_string(np), "provided port is already allocated"));
    allocated.insert(np);
    return {};
  };
  const bool allocating = allocates_node_ports(svc);
  auto next = [&]() -> Result<int> {
    if (!allocating) return 0;  // none for this port
    int np = random_node_port(r, [&](int v) { return taken(v) || allocated.contains(v) || mine.contains(v); });
    if (np == 0)
      return std::unexpected(Error{0, "Internal error occurred: failed to allocate a nodePort: range is full", Reason::InternalError});
    allocated.insert(np);
    return np;
  };
  if (!old.is_object()) {
    // initNodePorts: ports with the same port number share a node port, the one given for any
    // of them or else one allocated for the first.
    std::map<int, int> by_port;
    for (size_t i = 0; i < ports.size(); ++i) {
      auto& p = ports[i];
      const int port = p.value("port", 0), np = p.value("nodePort", 0);
      auto shared = by_port.find(port);
      if (shared == by_port.end()) {
        int requested = 0;
        for (const auto& q : ports)
          if (q.value("port", 0) == port && q.value("nodePort", 0) != 0 && requested == 0) requested = q.value("nodePort", 0);
        if (requested != 0) {
          LAB_TRY(allocate(i, requested));
          p["nodePort"] = requested;
        } else {
          auto n = next();
          if (!n) return std::unexpected(n.error());
          if (*n == 0) {  // not allocating: no nodePort, none to share
            p.erase("nodePort");
            continue;
          }
          p["nodePort"] = *n;
        }
        by_port[port] = p["nodePort"].get<int>();
      } else if (np != shared->second) {
        if (np == 0) p["nodePort"] = shared->second;
        else LAB_TRY(allocate(i, np));
      }
    }
    return {};
  }
  // updateNodePorts: a number the old Service held, or this update already took, is kept; a new
  // one is allocated; a port without one gets a fresh one.
  std::set<std::pair<std::string, int>> seen;  // protocol, nodePort
  for (size_t i = 0; i < ports.size(); ++i) {
    auto& p = ports[i];
    int np = p.value("nodePort", 0);
    if (np != 0) {
      if (!mine.contains(np) && !allocated.contains(np)) LAB_TRY(allocate(i, np));
    } else {
      auto n = next();
      if (!n) return std::unexpected(n.error());
      np = *n;
      if (np == 0) {  // not allocating
        p.erase("nodePort");
        continue;
      }
      p["nodePort"] = np;
    }
    if (!seen.emplace(p.value("protocol", "TCP"), np).second)
      return std::unexpected(Error{0, "Internal error occurred: duplicate nodePort: {" + p.value("protocol", "TCP") +
                                          " " + std::to_string(np) + "}", Reason::InternalError});
  }
  return {};
}

Result<void> assign_health_check_node_port(Json& svc, const Json& old, const std::function<bool(int)>& taken,
                                           const ServiceRanges& r) {
  Json& spec = svc["spec"];
  if (!needs_health_check(svc)) {
    spec.erase("healthCheckNodePort");  // released with the rest when the update is stored
    return {};
  }
  const int requested = health_check_port_of(svc);
  if (old.is_object() && needs_health_check(old)) {
    // patchAllocatedValues keeps it; updateHealthCheckNodePort refuses another.
    const int had = health_check_port_of(old);
    if (requested != 0 && requested != had)
      return std::unexpected(invalid(svc, "spec.healthCheckNodePort", std::to_string(requested),
                                     "cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local "
                                     "during update"));
    if (had != 0) {
      spec["healthCheckNodePort"] = had;
      return {};
    }
  }
  // The node port allocator's: neither another Service's number nor one of this Service's ports.
  std::set<int> own;
  for (const auto& p : spec.value("ports", Json::array()))
    if (int np = p.value("nodePort", 0); np > 0) own.insert(np);
  auto used = [&](int v) { return taken(v) || own.contains(v); };
  const std::string range = std::to_string(r.node_port_min) + "-" + std::to_string(r.node_port_max);
  if (requested != 0) {
    auto refuse = [&](const std::string& why) {
      return std::unexpected(Error{0, "Internal error occurred: failed to allocate requested HealthCheck NodePort " +
                                          std::to_string(requested) + ": " + why, Reason::InternalError});
    };
    if (requested < r.node_port_min || requested > r.node_port_max)
      return refuse("provided port is not in the valid range. The range of valid ports is " + range);
    if (used(requested)) return refuse("provided port is already allocated");
    return {};
  }
  const int np = random_node_port(r, used);
  if (np == 0)
    return std::unexpected(Error{0, "Internal error occurred: failed to allocate a HealthCheck NodePort 0: range is full",
                                 Reason::InternalError});
  spec["healthCheckNodePort"] = np;
  return {};
}

net::Ipv4 kubernetes_service_ip(const net::Cidr& service_cidr) { return service_cidr.at(1); }

bool is_kubernetes_service(const Json& svc) {
  const Json& meta = api::metadata_of(svc);
  return api::string_at(meta, "name") == "kubernetes" && api::string_at(meta, "namespace") == "default";
}

uint64_t static_band_size(const net::Cidr& service_cidr) {
  // calculateRangeOffset: min(max(16, size/16), 256), and none at all for a range of 16 or less.
  uint64_t size = service_cidr.size();
  if (size <= 16) return 0;
  return std::clamp<uint64_t>(size / 16, 16, 256);
}

std::optional<net::Ipv4> pick_cluster_ip(const net::Cidr& service_cidr, const std::function<bool(uint32_t)>& taken) {
  // The bitmap allocator's view: offsets 1 .. size-2 (no network or broadcast address), offset
  // 1 + i for bit i. Random within a band, as the API server picks, so that a freed address is
  // not handed out again at once; the dynamic band (above the static one) first, then the
  // static band. A scan from a random start finds a free address whenever one exists.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t size = service_cidr.size();
  if (size < 4) return std::nullopt;
  const uint64_t usable = size - 2, band = std::min(static_band_size(service_cidr), usable);
  auto scan = [&](uint64_t first, uint64_t count) -> std::optional<net::Ipv4> {
    if (count == 0) return std::nullopt;
    uint64_t start = std::uniform_int_distribution<uint64_t>(0, count - 1)(rng);
    for (uint64_t i = 0; i < count; ++i) {
      auto ip = service_cidr.at(static_cast<uint32_t>(1 + first + (start + i) % count));
      if (!taken(ip.value)) return ip;
    }
    return std::nullopt;
  };
  if (auto ip = scan(band, usable - band)) return ip;
  return scan(0, band);
}

void ServiceAllocations::add(const Json& svc) {
  const Json& spec = svc["spec"];
  if (auto ip = net::Ipv4::parse(spec.value("clusterIP", "")); ip) ips.insert(ip->value);
  for (const auto& p : spec.value("ports", Json::array()))
    if (p.value("nodePort", 0) > 0) node_ports.insert(p.value("nodePort", 0));
  if (int hc = health_check_port_of(svc); hc > 0) node_ports.insert(hc);
}

void ServiceAllocations::remove(const Json& svc) {
  const Json& spec = svc["spec"];
  if (auto ip = net::Ipv4::parse(spec.value("clusterIP", "")); ip) ips.erase(ip->value);
  for (const auto& p : spec.value("ports", Json::array()))
    if (p.value("nodePort", 0) > 0) node_ports.erase(p.value("nodePort", 0));
  if (int hc = health_check_port_of(svc); hc > 0) node_ports.erase(hc);
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
  // An alias holds no address and no port: what it held as another type is given back.
  if (spec.value("type", "") == "ExternalName") return svc;
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
    // The master service's address is taken even while that Service is being recreated.
    bool reserved = ip->value == kubernetes_service_ip(r.service_cidr).value && !is_kubernetes_service(svc);
    if (used.ip(ip->value) || reserved)
      return std::unexpected(invalid(svc, "spec.clusterIPs", as_list,
                                     "failed to allocate IP " + cip + ": provided IP is already allocated"));
    spec["clusterIP"] = cip;
    spec["clusterIPs"] = Json::array({cip});
  } else {
    auto ip = pick_cluster_ip(r.service_cidr, [&](uint32_t v) {
      return used.ip(v) || v == kubernetes_service_ip(r.service_cidr).value;
    });
    if (!ip) return std::unexpected(Error{0, "Internal error occurred: failed to allocate a serviceIP: range is full", Reason::InternalError});
    spec["clusterIP"] = ip->str();
    spec["clusterIPs"] = Json::array({ip->str()});
  }

  if (!needs_node_ports(svc)) {
    for (auto& p : spec["ports"]) p.erase("nodePort");
    spec.erase("healthCheckNodePort");
    return svc;
  }
  if (old.is_object() && needs_node_ports(old)) patch_node_ports(spec["ports"], old["spec"].value("ports", Json::array()));
  // A health check port the Service keeps is not one of its node ports.
  const int kept_hc = old.is_object() && needs_health_check(old) && needs_health_check(svc) ? health_check_port_of(old) : 0;
  LAB_TRY(assign_node_ports(svc, old, [&](int v) { return used.port(v) || (kept_hc != 0 && v == kept_hc); }, r));
  // After the ports, as allocateCreate/allocateUpdate do: the health check port is another.
  LAB_TRY(assign_health_check_node_port(svc, old, [&](int v) { return used.port(v); }, r));
  return svc;
}

}  // namespace lab::store
