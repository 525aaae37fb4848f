// Renders a NodeView as kube-proxy-shaped nftables text: per service port (render) and as the
// whole table of a first sync (full_ruleset). The rest of the rules.h interface is split by
// concern: object names and endpoint slots in rules_names.cc, validation in rules_validate.cc,
// and the diff of two views (kube-proxy's "partial sync") in rules_diff.cc.
#include "lab/proxy/rules.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "lab/proxy/rules_internal.h"
#include "netns/cidr.h"

namespace lab::proxy {

using namespace rules_detail;

namespace {

// The table's fixed maps and sets, declared by every full load in this order.
struct FixedSet {
  const char* name;
  const char* type;
};
constexpr std::array<FixedSet, 9> kFixedSets = {{
    {kServiceIps, "type ipv4_addr . inet_proto . inet_service : verdict"},
    {kServiceNodeports, "type inet_proto . inet_service : verdict"},
    {kNoEndpointServices, "type ipv4_addr . inet_proto . inet_service : verdict"},
    {kNoEndpointNodeports, "type inet_proto . inet_service : verdict"},
    // Load balancer addresses whose Service has source ranges -> that port's firewall chain.
    {kFirewallIps, "type ipv4_addr . inet_proto . inet_service : verdict"},
    // Every endpoint as "ip . ip": a DNATed packet whose source is its new destination is a pod
    // reaching itself through its Service, and is masqueraded. Elements are only ever added by
    // diffs (a stale one matches nothing but a pod reaching itself); a full load prunes them.
    {kHairpin, "type ipv4_addr . ipv4_addr"},
    // Endpoints by number (see kSlotStride); the data's protocol is spelled out because nft
    // 1.0.6 cannot add a rule over `th dport` data to an existing map ("conflicting protocols").
    {"endpoints-tcp", "typeof ct mark : ip daddr . tcp dport"},
    {"endpoints-udp", "typeof ct mark : ip daddr . udp dport"},
    {"endpoints-sctp", "typeof ct mark : ip daddr . sctp dport"},
}};

// kMasqueradeMark as nft writes it back.
const std::string kMarkHex = "0x4000";
static_assert(kMasqueradeMark == 0x4000, "kMarkHex spells kMasqueradeMark");

std::string mark_rule_suffix() { return "meta mark set meta mark | " + kMarkHex; }

// The rule that sends NodePort traffic to the node-port maps: on the node's own addresses only
// (kube-proxy's nftables default `--nodeport-addresses primary`), else on any local address.
std::string nodeport_match(const NodeView& v) {
  if (!v.node_ips.empty()) return "ip daddr @nodeport-ips";
  return "fib daddr type local ip daddr != 127.0.0.0/8";
}

}  // namespace

namespace rules_detail {

std::string pick_rule(uint32_t base, size_t n) { return cat("ct mark set numgen random mod ", n, " offset ", base); }

// "dynamic" because the packet path adds elements; without it some kernels refuse the next
// `add map` with the same definition (kube-proxy's comment on its affinity sets).
std::string affinity_map_spec(int timeout_seconds) {
  return cat("typeof ip saddr : ct mark; flags dynamic,timeout; timeout ", timeout_seconds, "s;");
}

// kube-proxy's rule shapes (reference/kube.md §1.3-1.7), with three departures: no anonymous sets
// (they make big rulesets load quadratically on this kernel, B6); endpoints as map elements
// rather than a chain each (see kSlotStride), session affinity as a per-port map of endpoint
// numbers rather than a set per endpoint; and a port's service chain and dispatch elements kept
// while it has no endpoints (an empty chain: the reject in the filter hooks comes first), so that
// going between 0 and N endpoints changes elements and that chain's rules only.
Fragment render(const Globals& g, const ServicePort& sp, uint32_t slot) {
  Fragment f;
  if (sp.cluster_ip.empty()) return f;  // headless: DNS only, no VIP
  const std::string proto = lower_proto(sp.protocol);
  auto ip_key = [&](const std::string& ip) { return ip + " . " + proto + " . " + std::to_string(sp.port); };
  const std::string np_key = proto + " . " + std::to_string(sp.node_port);
  const std::vector<Endpoint> eps = usable_endpoints(sp);
  const bool external = externally_accessible(sp);
  const bool local_used = uses_local_endpoints(sp);
  const std::vector<Endpoint> local = local_used ? local_endpoints(sp, g.node_name) : std::vector<Endpoint>{};
  const uint32_t base = slot * kSlotStride;
  const std::string svc = service_chain_name(sp);
  const std::string loc = local_used ? local_chain_name(sp) : "";

  // The chain that picks among `list` (numbered from `first`): with session affinity a client
  // seen recently goes back to the endpoint number it had (a miss leaves the random pick); the
  // entry is made or refreshed, and the kernel expires it after the timeout. Never a 0 (no
  // endpoint): that client would go un-DNATed once endpoints come.
  auto picker = [&](const std::string& chain, const std::string& pick, const std::string& affinity, uint32_t first,
                    size_t n) {
    if (!sp.affinity_client_ip) {
      f.chains.push_back({chain, pick_rules(first, n)});
      return;
    }
    f.sets.push_back({affinity, affinity_map_spec(sp.affinity_timeout)});
    f.chains.push_back({chain,
                        {"jump " + pick, "ct mark set ip saddr map @" + affinity,
                         "ct mark != 0 update @" + affinity + " { ip saddr : ct mark }"}});
    f.chains.push_back({pick, pick_rules(first, n)});
  };
  picker(svc, pick_chain_name(sp), affinity_map_name(sp), base, eps.size());
  if (local_used) picker(loc, local_pick_chain_name(sp), local_affinity_map_name(sp), base + kLocalOffset, local.size());

  f.elements.push_back({kServiceIps, ip_key(sp.cluster_ip), "goto " + (sp.internal_local ? loc : svc)});
  if (external) {
    const std::string ext = external_chain_name(sp);
    if (!sp.external_local) {
      // Traffic from outside (NodePort, LoadBalancer IP) is masqueraded, as kube-proxy does for
      // externalTrafficPolicy Cluster: the endpoint may sit on another node, and its reply must
      // come back through this node's conntrack to be un-DNATed.
      f.chains.push_back({ext, {mark_rule_suffix() + " goto " + svc}});
    } else {
      // Local: the client's address is kept, so only this node's endpoints can answer it. Pods
      // and the node itself get Cluster semantics, as if they had gone out to a load balancer
      // and come back ("short-circuit"); the node's own traffic is masqueraded, since an LB IP
      // it holds would otherwise be its source. An empty local chain leaves the packet
      // un-DNATed, and the no-endpoint maps drop it.
      std::vector<std::string> rules;
      if (!g.pod_cidr.empty()) rules.push_back("ip saddr " + g.pod_cidr + " goto " + svc);
      rules.push_back("fib saddr type local " + mark_rule_suffix() + " goto " + svc);
      rules.push_back("goto " + loc);
      f.chains.push_back({ext, std::move(rules)});
    }
    for (const auto& lb : sp.lb_ips) f.elements.push_back({kServiceIps, ip_key(lb), "goto " + ext});
    if (sp.node_port) f.elements.push_back({kServiceNodeports, np_key, "goto " + ext});
  }
  if (uses_firewall(sp)) {
    // kube-proxy's firewall: firewall-check, in the filter hooks before DNAT, looks the load
    // balancer's address up in firewall-ips and lands here, where sources outside the ranges
    // are dropped. The ranges are a named interval set of the port (no anonymous set, B6), so
    // changing them changes elements and the chain's one rule stays.
    const std::string fw = firewall_chain_name(sp), allowed = firewall_set_name(sp);
    f.sets.push_back({allowed, "type ipv4_addr; flags interval;"});
    for (auto& cidr : firewall_allowed(sp, g.node_ips)) f.elements.push_back({allowed, std::move(cidr), ""});
    f.chains.push_back({fw, {"ip saddr != @" + allowed + " drop"}});
    for (const auto& lb : sp.firewall_ips) f.elements.push_back({kFirewallIps, ip_key(lb), "goto " + fw});
  }

  if (eps.empty()) {
    // Reject at once (RST / port unreachable) from the filter hooks, which run before DNAT:
    // reject is not allowed in prerouting on older kernels and is not a verdict a map can hold,
    // hence the helper chain.
    const std::string reject = std::string("goto ") + kRejectChain;
    f.elements.push_back({kNoEndpointServices, ip_key(sp.cluster_ip), reject});
    for (const auto& lb : sp.lb_ips) f.elements.push_back({kNoEndpointServices, ip_key(lb), reject});
    if (sp.node_port) f.elements.push_back({kNoEndpointNodeports, np_key, reject});
    return f;
  }
  // Endpoints elsewhere but none here for a Local policy: dropped, as kube-proxy's
  // internal/externalTrafficFilterVerdict (a load balancer's health check steers clients away).
  if (local_used && local.empty()) {
    if (sp.internal_local) f.elements.push_back({kNoEndpointServices, ip_key(sp.cluster_ip), "drop"});
    if (sp.external_local && external) {
      for (const auto& lb : sp.lb_ips) f.elements.push_back({kNoEndpointServices, ip_key(lb), "drop"});
      if (sp.node_port) f.elements.push_back({kNoEndpointNodeports, np_key, "drop"});
    }
  }
  const std::string map = endpoints_map_name(proto);
  auto add_endpoints = [&](const std::vector<Endpoint>& list, uint32_t first) {
    for (size_t i = 0; i < list.size(); ++i) {
      f.elements.push_back({map, std::to_string(first + i), list[i].ip + " . " + std::to_string(list[i].port)});
      // Hairpin: a pod reaching itself through its Service must be masqueraded, or it sees its
      // own address as the source and drops the packet.
      f.elements.push_back({kHairpin, list[i].ip + " . " + list[i].ip, "", true});
    }
  };
  add_endpoints(eps, base);
  add_endpoints(local, base + kLocalOffset);
  return f;
}

}  // namespace rules_detail

namespace {

// Ready endpoints that `keep`, else those serving and terminating, in rule order.
template <typename Keep>
std::vector<Endpoint> pick_endpoints(const ServicePort& sp, Keep keep) {
  std::vector<Endpoint> out;
  for (const auto& ep : sp.endpoints)
    if (ep.ready && keep(ep)) out.push_back(ep);
  if (out.empty())
    for (const auto& ep : sp.endpoints)
      if (ep.serving && ep.terminating && keep(ep)) out.push_back(ep);
  // Sorted by address then port, so the same set of endpoints always gives the same rules.
  auto key = [](const Endpoint& e) { return std::pair(net::Ipv4::parse(e.ip).value_or(net::Ipv4{}).value, e.port); };
  std::sort(out.begin(), out.end(), [&](const Endpoint& a, const Endpoint& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(), [](const Endpoint& a, const Endpoint& b) { return a.ip == b.ip && a.port == b.port; }),
            out.end());
  return out;
}

}  // namespace

std::vector<Endpoint> usable_endpoints(const ServicePort& sp) {
  return pick_endpoints(sp, [](const Endpoint&) { return true; });
}

std::vector<Endpoint> local_endpoints(const ServicePort& sp, const std::string& node) {
  if (node.empty()) return {};
  return pick_endpoints(sp, [&](const Endpoint& ep) { return ep.node_name == node; });
}

bool externally_accessible(const ServicePort& sp) { return sp.node_port != 0 || !sp.lb_ips.empty(); }

bool uses_firewall(const ServicePort& sp) {
  return !sp.cluster_ip.empty() && !sp.source_ranges.empty() && !sp.firewall_ips.empty();
}

std::vector<std::string> firewall_allowed(const ServicePort& sp, const std::vector<std::string>& node_ips) {
  std::vector<net::Cidr> cidrs;
  for (const auto& r : sp.source_ranges)
    if (auto c = net::Cidr::parse(r)) cidrs.push_back(*c);
  bool from_node = false;
  for (const auto& ip : node_ips)
    if (auto a = net::Ipv4::parse(ip))
      from_node = from_node || std::any_of(cidrs.begin(), cidrs.end(), [&](const net::Cidr& c) { return c.contains(*a); });
  if (from_node)
    for (const auto& ip : sp.firewall_ips)
      if (auto a = net::Ipv4::parse(ip)) cidrs.push_back(net::Cidr{*a, 32});
  // Two CIDRs are nested or disjoint: in address order, widest first, each one either lies
  // within the last one kept or starts a new element.
  std::sort(cidrs.begin(), cidrs.end(), [](const net::Cidr& a, const net::Cidr& b) {
    return std::pair(a.base.value, a.prefix) < std::pair(b.base.value, b.prefix);
  });
  std::vector<std::string> out;
  std::optional<net::Cidr> last;
  for (const auto& c : cidrs) {
    if (last && last->contains(c.base)) continue;
    last = c;
    out.push_back(c.str());
  }
  return out;
}

bool uses_local_endpoints(const ServicePort& sp) {
  return !sp.cluster_ip.empty() && (sp.internal_local || (sp.external_local && externally_accessible(sp)));
}

std::vector<std::string> pick_rules(uint32_t base, size_t n) {
  if (n == 0) return {};
  return {pick_rule(base, n)};
}

bool endpoint_numbers_moved(const std::vector<Endpoint>& before, const std::vector<Endpoint>& after) {
  if (after.size() < before.size()) return true;
  for (size_t i = 0; i < before.size(); ++i)
    if (before[i].ip != after[i].ip || before[i].port != after[i].port) return true;
  return false;
}

Result<std::string> full_ruleset(const NodeView& view) {
  EndpointSlots slots;
  return full_ruleset(view, slots);
}

Result<std::string> full_ruleset(const NodeView& view, EndpointSlots& slots) {
  LAB_TRY(validate(view));
  auto host_ports = host_port_rules(view.host_ports);
  if (!host_ports) return std::unexpected(host_ports.error());
  std::unordered_set<std::string> identities;
  for (const auto& sp : view.ports) identities.insert(sp.identity());
  slots.keep_only(identities);
  const Globals g{view.table, view.pod_cidr, view.node_name, view.node_ips};
  // Elements by set; the endpoint maps in the order first used, each declared once.
  std::unordered_map<std::string, std::vector<std::string>> elements;
  std::unordered_set<std::string> hairpin_seen;
  std::vector<Set> port_sets;
  std::string chains;
  for (const auto& sp : view.ports) {
    Fragment f = render(g, sp, slots.assign(sp.identity()));
    for (auto& e : f.elements) {
      if (e.keep && !hairpin_seen.insert(e.key).second) continue;
      elements[e.set].push_back(e.value.empty() ? e.key : e.key + " : " + e.value);
    }
    port_sets.insert(port_sets.end(), f.sets.begin(), f.sets.end());
    for (const auto& c : f.chains) {
      chains += "\tchain " + c.name + " {\n";
      for (const auto& r : c.rules) chains += "\t\t" + r + "\n";
      chains += "\t}\n";
    }
  }
  auto declare = [&](std::string& out, const char* kind, const std::string& name, const std::string& spec) {
    out += cat("\t", kind, " ", name, " {\n\t\t", spec, "\n");
    auto it = elements.find(name);
    if (it != elements.end() && !it->second.empty()) {
      out += "\t\telements = {\n";
      for (size_t i = 0; i < it->second.size(); ++i) out += "\t\t\t" + it->second[i] + (i + 1 < it->second.size() ? ",\n" : "\n");
      out += "\t\t}\n";
    }
    out += "\t}\n";
  };

  const std::string& t = view.table;
  std::string out;
  out += "add table ip " + t + "\ndelete table ip " + t + "\n";
  out += "table ip " + t + " {\n";
  if (!view.node_ips.empty()) {
    out += "\tset nodeport-ips {\n\t\ttype ipv4_addr\n\t\telements = { ";
    for (size_t i = 0; i < view.node_ips.size(); ++i) out += (i ? ", " : "") + view.node_ips[i];
    out += " }\n\t}\n";
  }
  for (const auto& fs : kFixedSets) declare(out, std::string_view(fs.type).find(':') != std::string_view::npos ? "map" : "set", fs.name, fs.type);
  for (const auto& s : port_sets) declare(out, s.is_map() ? "map" : "set", s.name, s.spec);

  // Base chains. nft 1.0.6 rejects `priority dstnat` in an output hook (B11): numbers throughout.
  // DNAT in prerouting (pods, other nodes) and output (the node's own processes).
  // A service chain with its endpoints in a map only picks one, in the connection's mark, and
  // returns here (it was reached by a goto from `services`); the DNAT itself is shared.
  // hostPorts first, as portmap's chain runs before kube-proxy's in prerouting and output.
  const std::string nat_dispatch = "\t\tjump hostports\n\t\tjump services\n\t\tct mark != 0 goto endpoint-dnat\n\t}\n";
  out += "\tchain nat-prerouting {\n\t\ttype nat hook prerouting priority -100; policy accept;\n" + nat_dispatch;
  out += "\tchain nat-output {\n\t\ttype nat hook output priority -100; policy accept;\n" + nat_dispatch;
  out += "\tchain nat-postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n\t\tjump masquerading\n\t}\n";
  // Filter chains run before DNAT (-110) so they still see the service address; only new
  // connections are checked, established ones skip all of this.
  out += "\tchain filter-input {\n\t\ttype filter hook input priority -110; policy accept;\n"
         "\t\tct state new jump nodeport-endpoints-check\n\t\tct state new jump service-endpoints-check\n\t}\n";
  out += "\tchain filter-forward {\n\t\ttype filter hook forward priority -110; policy accept;\n"
         "\t\tct state new jump service-endpoints-check\n";
  if (!view.service_cidr.empty()) out += "\t\tct state new jump cluster-ips-check\n";
  out += "\t}\n";
  out += "\tchain filter-output {\n\t\ttype filter hook output priority -110; policy accept;\n"
         "\t\tct state new jump service-endpoints-check\n\t\tct state new jump firewall-check\n\t}\n";
  // loadBalancerSourceRanges, for clients elsewhere (prerouting) and the node itself (output).
  out += "\tchain filter-prerouting {\n\t\ttype filter hook prerouting priority -110; policy accept;\n"
         "\t\tct state new jump firewall-check\n\t}\n";
  if (!view.service_cidr.empty()) {
    // After DNAT (-90) a packet still addressed to the service range matched no service: reject
    // it rather than let it wander (kube-proxy's cluster-ips-check, folded into one rule).
    out += "\tchain filter-output-post-dnat {\n\t\ttype filter hook output priority -90; policy accept;\n"
           "\t\tct state new jump cluster-ips-check\n\t}\n";
    out += "\tchain cluster-ips-check {\n\t\tip daddr " + view.service_cidr + " reject\n\t}\n";
  }

  // A ClusterIP reached from outside the pod network (a host process, another network) is
  // masqueraded so the reply returns through this node.
  out += "\tchain endpoint-dnat {\n";
  // Only ClusterIPs (the service range): NodePorts and LoadBalancer IPs decide in their
  // external chain, where a Local policy keeps the client's address.
  if (!view.pod_cidr.empty())
    out += "\t\tip saddr != " + view.pod_cidr + (view.service_cidr.empty() ? "" : " ip daddr " + view.service_cidr) + " " +
           mark_rule_suffix() + "\n";
  for (const char* proto : {"tcp", "udp", "sctp"})
    out += cat("\t\tmeta l4proto ", proto, " dnat ip to ct mark map @endpoints-", proto, "\n");
  out += "\t}\n";

  // Dispatch: one hash lookup, whatever the number of services.
  out += "\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t\t" + nodeport_match(view) +
         " meta l4proto . th dport vmap @service-nodeports\n\t}\n";
  out += "\tchain firewall-check {\n\t\tip daddr . meta l4proto . th dport vmap @firewall-ips\n\t}\n";
  out += "\tchain service-endpoints-check {\n\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services\n\t}\n";
  out += "\tchain nodeport-endpoints-check {\n\t\t" + nodeport_match(view) +
         " meta l4proto . th dport vmap @no-endpoint-nodeports\n\t}\n";
  out += "\tchain hostports {\n";
  for (const auto& r : *host_ports) out += "\t\t" + r + "\n";
  out += "\t}\n";
  out += "\tchain reject-chain {\n\t\tmeta l4proto tcp reject with tcp reset\n\t\treject\n\t}\n";
  // The xor clears the bit so a packet that passes postrouting twice is not masqueraded twice.
  out += cat("\tchain masquerading {\n\t\tmeta mark & ", kMarkHex, " == ", kMarkHex, " meta mark set meta mark ^ ", kMarkHex,
             " masquerade fully-random\n\t\tct status dnat ip saddr . ip daddr @", kHairpin, " masquerade fully-random\n\t}\n");
  out += chains;
  out += "}\n";
  return out;
}

}  // namespace lab::proxy
