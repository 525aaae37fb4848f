// Validation of a NodeView before it becomes nft text: malformed addresses, ports, protocols or
// names, and two ports claiming one identity, address.protocol.port or NodePort. Split out of
// rules.cc; diff_ruleset re-runs validate_port and check_unique on the ports it touches.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_set>

#include "lab/proxy/rules.h"
#include "lab/proxy/rules_internal.h"
#include "netns/cidr.h"

namespace lab::proxy {
namespace rules_detail {
namespace {

Result<void> check_ip(const ServicePort& sp, std::string_view what, const std::string& ip) {
  if (!net::Ipv4::parse(ip)) return fail(cat("service port ", sp.identity(), ": invalid ", what, " \"", ip, "\""));
  return {};
}

bool valid_port(int p) { return p >= 1 && p <= 65535; }

// address.protocol.port and protocol.nodeport packed into integers, for the uniqueness check.
uint64_t ip_key_id(uint32_t ip, int proto, int port) { return (uint64_t{ip} << 24) | (uint64_t(proto) << 16) | uint64_t(port); }
int proto_id(const std::string& p) {
  std::string l = lower_proto(p);
  return l == "tcp" ? 6 : l == "udp" ? 17 : 132;
}

Result<void> validate_node_fields(const NodeView& view) {
  // An nft identifier: a letter first, then letters, digits and "/-_.".
  bool letter_first = !view.table.empty() && ((view.table[0] >= 'a' && view.table[0] <= 'z') ||
                                              (view.table[0] >= 'A' && view.table[0] <= 'Z'));
  if (!letter_first || sanitise(view.table) != view.table || view.table.size() > kMaxNameLen)
    return fail(cat("invalid nft table name \"", view.table, "\""));
  for (const auto& ip : view.node_ips)
    if (!net::Ipv4::parse(ip)) return fail(cat("invalid node IP \"", ip, "\""));
  if (!view.pod_cidr.empty() && !net::Cidr::parse(view.pod_cidr))
    return fail(cat("invalid pod CIDR \"", view.pod_cidr, "\""));
  if (!view.service_cidr.empty() && !net::Cidr::parse(view.service_cidr))
    return fail(cat("invalid service CIDR \"", view.service_cidr, "\""));
  return {};
}

// What a port claims in the dispatch maps, packed: (ip << 24 | proto << 16 | port) for
// addresses, (1 << 56 | proto << 16 | nodeport) for NodePorts (no address is that large).
void claims_of(const ServicePort& sp, std::vector<uint64_t>& out) {
  if (sp.cluster_ip.empty()) return;
  int proto = proto_id(sp.protocol);
  out.push_back(ip_key_id(net::Ipv4::parse(sp.cluster_ip)->value, proto, sp.port));
  for (const auto& lb : sp.lb_ips) out.push_back(ip_key_id(net::Ipv4::parse(lb)->value, proto, sp.port));
  if (sp.node_port) out.push_back((uint64_t{1} << 56) | (uint64_t(proto) << 16) | uint64_t(sp.node_port));
}

// Explains a duplicate claim found by check_unique (the slow path, only on error).
Error describe_duplicate(const NodeView& view, uint64_t claim) {
  const ServicePort* first = nullptr;
  std::vector<uint64_t> mine;
  for (const auto& sp : view.ports) {
    mine.clear();
    claims_of(sp, mine);
    long n = std::count(mine.begin(), mine.end(), claim);
    if (n == 0) continue;
    std::string proto = lower_proto(sp.protocol);
    std::string what = (claim >> 56) ? cat("node port ", sp.node_port, "/", proto)
                                     : cat(proto, " ", net::Ipv4{uint32_t(claim >> 24)}.str(), ":", sp.port);
    if (n > 1) return Error{0, cat("service port ", sp.identity(), ": ", what, " listed twice")};
    if (first) return Error{0, cat("service ports ", first->identity(), " and ", sp.identity(), " both claim ", what)};
    first = &sp;
  }
  return Error{0, "duplicate service address"};
}

}  // namespace

// Names are never empty; any other character is made safe by sanitise() in chain names.
Result<void> validate_port(const ServicePort& sp) {
  if (sp.ns.empty()) return fail(cat("service port ", sp.identity(), ": empty namespace"));
  if (sp.service.empty()) return fail(cat("service port ", sp.identity(), ": empty service name"));
  std::string proto = lower_proto(sp.protocol);
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return fail(cat("service port ", sp.identity(), ": unknown protocol \"", sp.protocol, "\" (expected TCP, UDP or SCTP)"));
  if (sp.cluster_ip.empty()) return {};  // headless: nothing else is used
  LAB_TRY(check_ip(sp, "cluster IP", sp.cluster_ip));
  for (const auto& lb : sp.lb_ips) LAB_TRY(check_ip(sp, "load balancer IP", lb));
  if (!valid_port(sp.port)) return fail(cat("service port ", sp.identity(), ": invalid port ", sp.port));
  if (sp.node_port != 0 && !valid_port(sp.node_port))
    return fail(cat("service port ", sp.identity(), ": invalid node port ", sp.node_port));
  if (sp.affinity_client_ip && (sp.affinity_timeout < 1 || sp.affinity_timeout > 86400))
    return fail(cat("service port ", sp.identity(), ": session affinity timeout ", sp.affinity_timeout, " outside 1..86400 s"));
  if (sp.endpoints.size() > kSlotStride && usable_endpoints(sp).size() > kSlotStride)
    return fail(cat("service port ", sp.identity(), ": more than ", kSlotStride, " endpoints"));
  if (uses_local_endpoints(sp) && sp.endpoints.size() > kLocalOffset && usable_endpoints(sp).size() > kLocalOffset)
    return fail(cat("service port ", sp.identity(), ": more than ", kLocalOffset, " endpoints with a traffic policy Local"));
  for (const auto& r : sp.source_ranges)
    if (!net::Cidr::parse(r)) return fail(cat("service port ", sp.identity(), ": invalid source range \"", r, "\""));
  // Each a load balancer IP of the port, once: its firewall-ips elements are then claimed by
  // no other port (check_unique sees to lb_ips).
  for (size_t i = 0; i < sp.firewall_ips.size(); ++i) {
    const std::string& ip = sp.firewall_ips[i];
    if (std::find(sp.lb_ips.begin(), sp.lb_ips.end(), ip) == sp.lb_ips.end())
      return fail(cat("service port ", sp.identity(), ": firewall IP \"", ip, "\" is not one of its load balancer IPs"));
    if (std::find(sp.firewall_ips.begin(), sp.firewall_ips.begin() + static_cast<long>(i), ip) != sp.firewall_ips.begin() + static_cast<long>(i))
      return fail(cat("service port ", sp.identity(), ": firewall IP ", ip, " listed twice"));
  }
  for (const auto& ep : sp.endpoints) {
    LAB_TRY(check_ip(sp, "endpoint IP", ep.ip));
    if (!valid_port(ep.port))
      return fail(cat("service port ", sp.identity(), ": endpoint ", ep.ip, " has invalid port ", ep.port));
  }
  return {};
}

bool same_claims(const ServicePort& a, const ServicePort& b) {
  return a.cluster_ip == b.cluster_ip && a.lb_ips == b.lb_ips && a.port == b.port && a.node_port == b.node_port &&
         lower_proto(a.protocol) == lower_proto(b.protocol);
}

Result<void> check_unique(const NodeView& view) {
  std::unordered_set<IdKey, IdKeyHash> ids;
  ids.reserve(view.ports.size());
  for (const auto& sp : view.ports)
    if (!ids.insert(IdKey(sp)).second) return fail(cat("service port ", sp.identity(), " appears twice"));
  std::vector<uint64_t> claims;
  claims.reserve(view.ports.size() + view.ports.size() / 4);
  for (const auto& sp : view.ports) claims_of(sp, claims);
  std::sort(claims.begin(), claims.end());
  auto dup = std::adjacent_find(claims.begin(), claims.end());
  if (dup != claims.end()) return std::unexpected(describe_duplicate(view, *dup));
  return {};
}

}  // namespace rules_detail

using namespace rules_detail;

Result<void> validate(const NodeView& view) {
  LAB_TRY(validate_node_fields(view));
  if (view.ports.size() > kMaxSlots) return fail(cat("more than ", kMaxSlots, " service ports on one node"));
  for (const auto& sp : view.ports) LAB_TRY(validate_port(sp));
  return check_unique(view);
}

}  // namespace lab::proxy
