// The difference between two NodeViews as one nft transaction that touches only the service
// ports that changed (kube-proxy's "partial sync"), and the endpoint-only changes the proxier's
// fast path sends without libnftables. Split out of rules.cc, which renders the ports compared here.
#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "lab/proxy/rules.h"
#include "lab/proxy/rules_internal.h"

namespace lab::proxy {

using namespace rules_detail;

namespace {

// Commands grouped by phase, so one transaction is valid in the order the kernel applies it:
// objects exist before anything refers to them; references go before their targets are deleted.
struct Batch {
  enum Phase { kAddSets, kAddChains, kRules, kDelElements, kAddElements, kFlushStale, kDelChains, kDelSets, kPhases };
  std::array<std::string, kPhases> text;
  void add(Phase p, std::string_view line) {
    text[p] += line;
    text[p] += '\n';
  }
  std::string join() const {
    std::string out;
    for (const auto& t : text) out += t;
    return out;
  }
};

// Elements added in one transaction are listed once (several ports may share a hairpin element).
void diff_fragments(const std::string& table, const Fragment& before, const Fragment& after, Batch& b,
                    std::unordered_set<std::string>& added_keep) {
  const std::string t = " ip " + table + " ";
  for (const auto& s : after.sets) {
    bool had = std::any_of(before.sets.begin(), before.sets.end(), [&](const Set& o) { return o.name == s.name; });
    if (!had) b.add(Batch::kAddSets, cat("add ", s.is_map() ? "map" : "set", t, s.name, " { ", s.spec, " }"));
  }
  for (const auto& s : before.sets) {
    bool keep = std::any_of(after.sets.begin(), after.sets.end(), [&](const Set& o) { return o.name == s.name; });
    if (!keep) b.add(Batch::kDelSets, cat("delete ", s.is_map() ? "map" : "set", t, s.name));
  }
  for (const auto& c : after.chains) {
    auto old = std::find_if(before.chains.begin(), before.chains.end(), [&](const Chain& o) { return o.name == c.name; });
    if (old != before.chains.end() && old->rules == c.rules) continue;
    if (old == before.chains.end())
      b.add(Batch::kAddChains, "add chain" + t + c.name);
    else
      b.add(Batch::kRules, "flush chain" + t + c.name);  // rewritten whole, as kube-proxy does
    for (const auto& r : c.rules) b.add(Batch::kRules, "add rule" + t + c.name + " " + r);
  }
  for (const auto& c : before.chains) {
    bool keep = std::any_of(after.chains.begin(), after.chains.end(), [&](const Chain& o) { return o.name == c.name; });
    if (keep) continue;
    // Flushed before deletion so chains that jump to each other can go in the same batch.
    b.add(Batch::kFlushStale, "flush chain" + t + c.name);
    b.add(Batch::kDelChains, "delete chain" + t + c.name);
  }
  auto same_key = [](const Element& a, const Element& o) { return a.set == o.set && a.key == o.key; };
  bool numbers_moved = false;  // an endpoint number now means another endpoint, or none
  for (const auto& e : before.elements) {
    if (e.keep) continue;
    auto now = std::find_if(after.elements.begin(), after.elements.end(), [&](const Element& o) { return same_key(e, o); });
    // A changed value is delete + add: `add element` with an existing key fails (EEXIST).
    if (now == after.elements.end() || now->value != e.value) {
      b.add(Batch::kDelElements, cat("delete element", t, e.set, " { ", e.key, " }"));
      if (e.set.starts_with("endpoints-")) numbers_moved = true;
    }
  }
  // The affinity map holds endpoint numbers: those that changed meaning go (all of them: the
  // kernel cannot delete by value), and their clients pick again (endpoint_numbers_moved()).
  if (numbers_moved)
    for (const auto& s : after.sets)
      if (s.is_map() && std::any_of(before.sets.begin(), before.sets.end(), [&](const Set& o) { return o.name == s.name; }))
        b.add(Batch::kDelElements, "flush map" + t + s.name);
  for (const auto& e : after.elements) {
    auto old = std::find_if(before.elements.begin(), before.elements.end(), [&](const Element& o) { return same_key(e, o); });
    if (old != before.elements.end() && old->value == e.value) continue;
    if (e.keep && !added_keep.insert(e.set + " " + e.key).second) continue;
    b.add(Batch::kAddElements, cat("add element", t, e.set, " { ", e.key, e.value.empty() ? "" : " : ", e.value, " }"));
  }
}

bool same_node_fields(const NodeView& a, const NodeView& b) {
  return a.table == b.table && a.node_ips == b.node_ips && a.pod_cidr == b.pod_cidr && a.service_cidr == b.service_cidr &&
         a.node_name == b.node_name;
}

// One port whose rules may differ between two views.
struct Change {
  const ServicePort* before;  // null: added
  const ServicePort* after;   // null: removed
};

// Pairs old and new ports by identity. Callers usually list ports in the same order every time,
// so pairing by position costs one comparison per port; a hash index handles the rest.
std::vector<Change> changed_ports(const NodeView& before, const NodeView& after) {
  std::vector<Change> changes;
  const auto& old_ports = before.ports;
  const auto& new_ports = after.ports;
  size_t i = 0;
  for (; i < old_ports.size() && i < new_ports.size() && IdKey(old_ports[i]) == IdKey(new_ports[i]); ++i)
    if (!(old_ports[i] == new_ports[i])) changes.push_back({&old_ports[i], &new_ports[i]});
  if (i < old_ports.size() || i < new_ports.size()) {
    std::unordered_map<IdKey, const ServicePort*, IdKeyHash> rest;
    rest.reserve(old_ports.size() - i);
    for (size_t j = i; j < old_ports.size(); ++j) rest.emplace(IdKey(old_ports[j]), &old_ports[j]);
    for (size_t j = i; j < new_ports.size(); ++j) {
      auto it = rest.find(IdKey(new_ports[j]));
      if (it == rest.end()) {
        changes.push_back({nullptr, &new_ports[j]});
        continue;
      }
      if (!(*it->second == new_ports[j])) changes.push_back({it->second, &new_ports[j]});
      rest.erase(it);  // what is left at the end was removed
    }
    for (size_t j = i; j < old_ports.size(); ++j)  // in their original order: deterministic text
      if (rest.contains(IdKey(old_ports[j]))) changes.push_back({&old_ports[j], nullptr});
  }
  return changes;
}

// Everything but the endpoints equal.
bool same_but_endpoints(const ServicePort& a, const ServicePort& b) {
  return a.protocol == b.protocol && a.cluster_ip == b.cluster_ip && a.port == b.port && a.node_port == b.node_port &&
         a.lb_ips == b.lb_ips && a.affinity_client_ip == b.affinity_client_ip && a.affinity_timeout == b.affinity_timeout &&
         a.internal_local == b.internal_local && a.external_local == b.external_local &&
         a.source_ranges == b.source_ranges && a.firewall_ips == b.firewall_ips;
}

}  // namespace

Result<std::string> diff_ruleset(const NodeView& before, const NodeView& after) {
  EndpointSlots slots;
  for (const auto& sp : before.ports) slots.assign(sp.identity());
  return diff_ruleset(before, after, slots);
}

Result<std::string> diff_ruleset(const NodeView& before, const NodeView& after, EndpointSlots& slots) {
  if (!same_node_fields(before, after)) {
    auto full = full_ruleset(after, slots);
    if (!full) return full;
    if (before.table != after.table && !before.table.empty())
      return "add table ip " + before.table + "\ndelete table ip " + before.table + "\n" + *full;
    return full;
  }
  std::vector<Change> changes = changed_ports(before, after);
  const bool host_ports_changed = before.host_ports != after.host_ports;
  if (changes.empty() && !host_ports_changed) return std::string();

  // Only what changed needs checking: `before` was valid when it was applied. Uniqueness is
  // global, so it is checked over all ports, but only when a port was added or its addresses
  // changed (not for the common endpoint-only change).
  bool claims_changed = false;
  for (const auto& c : changes) {
    if (!c.after) continue;
    LAB_TRY(validate_port(*c.after));
    if (!c.before || !same_claims(*c.before, *c.after)) claims_changed = true;
  }
  if (claims_changed) LAB_TRY(check_unique(after));
  if (after.ports.size() > kMaxSlots) return fail(cat("more than ", kMaxSlots, " service ports on one node"));

  // Removed ports give their slots back first, so an added port may reuse one in this same
  // transaction: element deletions run before additions.
  const Globals g{after.table, after.pod_cidr, after.node_name, after.node_ips};
  const Fragment none;
  std::vector<Fragment> old_fragments(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    if (!c.before) continue;
    old_fragments[i] = render(g, *c.before, slots.assign(c.before->identity()));
    if (!c.after) slots.release(c.before->identity());
  }
  Batch b;
  if (host_ports_changed) {
    // The chain is small (a few rules per pod with a hostPort): rewritten whole.
    auto rules = host_port_rules(after.host_ports);
    if (!rules) return std::unexpected(rules.error());
    b.add(Batch::kRules, cat("flush chain ip ", after.table, " hostports"));
    for (const auto& r : *rules) b.add(Batch::kRules, cat("add rule ip ", after.table, " hostports ", r));
  }
  std::unordered_set<std::string> added_keep;
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    Fragment now = c.after ? render(g, *c.after, slots.assign(c.after->identity())) : none;
    diff_fragments(after.table, old_fragments[i], now, b, added_keep);
  }
  return b.join();
}

std::optional<std::vector<EndpointUpdate>> endpoint_updates(const NodeView& before, const NodeView& after,
                                                            const EndpointSlots& slots) {
  if (!same_node_fields(before, after) || before.host_ports != after.host_ports) return std::nullopt;
  std::vector<EndpointUpdate> out;
  for (const auto& c : changed_ports(before, after)) {
    if (!c.before || !c.after) return std::nullopt;
    const ServicePort& a = *c.before;
    const ServicePort& b = *c.after;
    if (a.cluster_ip.empty() && b.cluster_ip.empty()) continue;  // headless both: no rules at all
    if (!same_but_endpoints(a, b) || a.cluster_ip.empty()) return std::nullopt;
    // Two endpoint lists and the drop elements of a Local policy: the text path handles them.
    if (uses_local_endpoints(b)) return std::nullopt;
    auto slot = slots.find(b.identity());
    if (!slot) return std::nullopt;
    EndpointUpdate u;
    u.before = usable_endpoints(a);
    u.after = usable_endpoints(b);
    if (u.before == u.after) continue;  // e.g. a not-ready endpoint came or went
    if (!validate_port(b)) return std::nullopt;  // the text path reports it
    u.chain = b.affinity_client_ip ? pick_chain_name(b) : service_chain_name(b);
    u.proto = lower_proto(b.protocol);
    u.map = endpoints_map_name(u.proto);
    u.base = *slot * kSlotStride;
    if (b.affinity_client_ip) u.affinity_map = affinity_map_name(b);
    u.addresses.push_back(b.cluster_ip);
    u.addresses.insert(u.addresses.end(), b.lb_ips.begin(), b.lb_ips.end());
    u.port = b.port;
    u.node_port = b.node_port;
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<StaleUdpFlow> stale_udp_flows(const NodeView& before, const NodeView& after) {
  std::vector<StaleUdpFlow> out;
  // Every address a port's flows are NATed from: ClusterIP and LoadBalancer IPs at the service
  // port, any node address at the NodePort.
  auto flows_of = [&](const ServicePort& sp, const std::string& endpoint_ip) {
    out.push_back({sp.cluster_ip, sp.port, endpoint_ip});
    for (const auto& ip : sp.lb_ips) out.push_back({ip, sp.port, endpoint_ip});
    if (sp.node_port != 0) out.push_back({"", sp.node_port, endpoint_ip});
  };
  auto ready_count = [](const ServicePort* sp) {
    return sp ? std::count_if(sp->endpoints.begin(), sp->endpoints.end(), [](const Endpoint& e) { return e.ready; })
              : 0;
  };
  for (const auto& c : changed_ports(before, after)) {
    const ServicePort& any = c.after ? *c.after : *c.before;
    if (any.protocol != "UDP") continue;
    if (!c.after) {
      if (!c.before->cluster_ip.empty()) flows_of(*c.before, "");
      continue;
    }
    if (c.after->cluster_ip.empty()) continue;  // headless: nothing is NATed
    if (ready_count(c.after) > 0 && ready_count(c.before) == 0) {
      flows_of(*c.after, "");
      continue;  // that already covers every endpoint's flows
    }
    if (!c.before || c.before->protocol != "UDP" || c.before->cluster_ip.empty()) continue;
    for (const auto& old : c.before->endpoints) {
      if (!old.serving) continue;  // nothing was sent to it
      bool still = std::any_of(c.after->endpoints.begin(), c.after->endpoints.end(), [&](const Endpoint& e) {
        return e.ip == old.ip && e.port == old.port && e.serving;
      });
      if (!still) flows_of(*c.before, old.ip);
    }
  }
  return out;
}

}  // namespace lab::proxy
