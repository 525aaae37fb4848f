// Renders a NodeView as kube-proxy-shaped nftables objects, per service port, and diffs two
// renderings so a sync sends only what changed (kube-proxy's "partial sync").
#include "lab/proxy/rules.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <concepts>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "netns/cidr.h"

namespace lab::proxy {
namespace {

// GCC 12 has no <format>: a small concatenation of strings and integers instead.
void append(std::string& out, std::string_view s) { out += s; }
void append(std::string& out, const char* s) { out += s; }
void append(std::string& out, const std::string& s) { out += s; }
void append(std::string& out, std::integral auto n) { out += std::to_string(n); }
template <typename... A>
std::string cat(const A&... parts) {
  std::string out;
  (append(out, parts), ...);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Names

// FNV-1a: any stable hash will do; the hash only keeps truncated or sanitised names unique.
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// 8 base32 characters (40 bits), as kube-proxy's hashAndTruncate does with sha256.
std::string hash8(std::string_view s) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  uint64_t h = fnv1a(s);
  std::string out(8, 'A');
  for (int i = 0; i < 8; ++i) out[i] = kAlphabet[(h >> (59 - 5 * i)) & 31];
  return out;
}

// nft identifiers may hold letters, digits and "/-_." (not their first character, but ours
// always start with a prefix); anything else would end the token, so it becomes '_'.
std::string sanitise(std::string s) {
  for (char& c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return s;
}

// The kernel's limit is 256 bytes with the terminating NUL.
constexpr size_t kMaxNameLen = 255;

std::string make_name(std::string_view prefix, std::string_view hash_input, std::string_view base) {
  std::string name = std::string(prefix) + "-" + hash8(hash_input) + "-" + sanitise(std::string(base));
  if (name.size() > kMaxNameLen) name.resize(kMaxNameLen);
  return name;
}

std::string lower_proto(const std::string& p) {
  std::string out = p;
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// "ns/svc/tcp/portname": the protocol is part of it as in kube-proxy, so TCP and UDP ports
// of one Service (DNS) never share a chain.
std::string port_base(const ServicePort& sp) {
  return sp.ns + "/" + sp.service + "/" + lower_proto(sp.protocol) + "/" + sp.port_name;
}

std::string endpoint_base(const ServicePort& sp, const Endpoint& ep) {
  return port_base(sp) + "__" + ep.ip + "/" + std::to_string(ep.port);
}

// ---------------------------------------------------------------------------------------------
// What one service port contributes to the table

// The table's fixed maps and sets, declared by every full load in this order.
constexpr const char* kServiceIps = "service-ips";
constexpr const char* kServiceNodeports = "service-nodeports";
constexpr const char* kNoEndpointServices = "no-endpoint-services";
constexpr const char* kNoEndpointNodeports = "no-endpoint-nodeports";
constexpr const char* kHairpin = "hairpin";
struct FixedSet {
  const char* name;
  const char* type;
};
constexpr std::array<FixedSet, 8> kFixedSets = {{
    {kServiceIps, "type ipv4_addr . inet_proto . inet_service : verdict"},
    {kServiceNodeports, "type inet_proto . inet_service : verdict"},
    {kNoEndpointServices, "type ipv4_addr . inet_proto . inet_service : verdict"},
    {kNoEndpointNodeports, "type inet_proto . inet_service : verdict"},
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

struct Element {
  std::string set, key, value;  // value "" for a plain set
  bool keep = false;            // never deleted by a diff (hairpin)
};
struct Chain {
  std::string name;
  std::vector<std::string> rules;
};
struct Set {
  std::string name, spec;
};

struct Fragment {
  std::vector<Element> elements;
  std::vector<Chain> chains;
  std::vector<Set> sets;
};

// Node-wide inputs to rendering.
struct Globals {
  std::string table;
  std::string pod_cidr;
};

// kMasqueradeMark as nft writes it back.
const std::string kMarkHex = "0x4000";
static_assert(kMasqueradeMark == 0x4000, "kMarkHex spells kMasqueradeMark");

std::string mark_rule_suffix() { return "meta mark set meta mark | " + kMarkHex; }

// Ports with session affinity keep kube-proxy's chain per endpoint (the affinity sets hang off
// them); all others keep their endpoints in a map.
bool uses_endpoint_map(const ServicePort& sp) { return !sp.affinity_client_ip; }

// The one rule of a service chain whose endpoints live in a map: pick an endpoint's number.
std::string pick_rule(uint32_t base, size_t n) { return cat("ct mark set numgen random mod ", n, " offset ", base); }

// kube-proxy's rule shapes (reference/kube.md §1.3-1.7), with two departures: no anonymous sets
// (they make big rulesets load quadratically on this kernel, B6), and endpoints as map elements
// rather than a chain each (see kSlotStride), except for session affinity.
Fragment render(const Globals& g, const ServicePort& sp, uint32_t slot) {
  Fragment f;
  if (sp.cluster_ip.empty()) return f;  // headless: DNS only, no VIP
  const std::string proto = lower_proto(sp.protocol);
  auto ip_key = [&](const std::string& ip) { return ip + " . " + proto + " . " + std::to_string(sp.port); };
  const std::string np_key = proto + " . " + std::to_string(sp.node_port);
  const std::vector<Endpoint> eps = usable_endpoints(sp);

  if (eps.empty()) {
    // Reject at once (RST / port unreachable) from the filter hooks: reject is not allowed in
    // prerouting on older kernels and is not a verdict a map can hold, hence the helper chain.
    f.elements.push_back({kNoEndpointServices, ip_key(sp.cluster_ip), "goto reject-chain"});
    for (const auto& lb : sp.lb_ips) f.elements.push_back({kNoEndpointServices, ip_key(lb), "goto reject-chain"});
    if (sp.node_port) f.elements.push_back({kNoEndpointNodeports, np_key, "goto reject-chain"});
    return f;
  }

  const std::string svc = service_chain_name(sp);
  f.elements.push_back({kServiceIps, ip_key(sp.cluster_ip), "goto " + svc});
  if (sp.node_port || !sp.lb_ips.empty()) {
    // Traffic from outside (NodePort, LoadBalancer IP) is always masqueraded, as kube-proxy does
    // for externalTrafficPolicy Cluster: the endpoint may sit on another node, and its reply
    // must come back through this node's conntrack to be un-DNATed.
    const std::string ext = external_chain_name(sp);
    f.chains.push_back({ext, {mark_rule_suffix() + " goto " + svc}});
    for (const auto& lb : sp.lb_ips) f.elements.push_back({kServiceIps, ip_key(lb), "goto " + ext});
    if (sp.node_port) f.elements.push_back({kServiceNodeports, np_key, "goto " + ext});
  }

  if (uses_endpoint_map(sp)) {
    const std::string map = endpoints_map_name(proto);
    const uint32_t base = slot * kSlotStride;
    f.chains.push_back({svc, {pick_rule(base, eps.size())}});
    for (size_t i = 0; i < eps.size(); ++i) {
      f.elements.push_back({map, std::to_string(base + i), eps[i].ip + " . " + std::to_string(eps[i].port)});
      f.elements.push_back({kHairpin, eps[i].ip + " . " + eps[i].ip, "", true});
    }
    return f;
  }

  Chain svc_chain{svc, {}};
  if (!g.pod_cidr.empty()) svc_chain.rules.push_back("ip saddr != " + g.pod_cidr + " " + mark_rule_suffix());
  std::vector<std::string> ep_chains;
  ep_chains.reserve(eps.size());
  for (const auto& ep : eps) ep_chains.push_back(endpoint_chain_name(sp, ep));
  // A client seen recently goes back to the endpoint it had; the kernel expires the entries.
  for (size_t i = 0; i < eps.size(); ++i)
    svc_chain.rules.push_back("ip saddr @" + affinity_set_name(sp, eps[i]) + " goto " + ep_chains[i]);
  // Rule i matches with probability 1/(n-i) of what reaches it: uniform over all n.
  const size_t n = eps.size();
  for (size_t i = 0; i + 1 < n; ++i)
    svc_chain.rules.push_back(cat("numgen random mod ", n - i, " 0 goto ", ep_chains[i]));
  svc_chain.rules.push_back("goto " + ep_chains[n - 1]);
  f.chains.push_back(std::move(svc_chain));

  for (size_t i = 0; i < n; ++i) {
    const Endpoint& ep = eps[i];
    Chain c{ep_chains[i], {}};
    // Hairpin: a pod reaching itself through its Service must be masqueraded, or it sees its
    // own address as the source and drops the packet.
    c.rules.push_back("ip saddr " + ep.ip + " " + mark_rule_suffix());
    std::string set = affinity_set_name(sp, ep);
    c.rules.push_back("update @" + set + " { ip saddr }");
    // "dynamic" because the packet path adds elements; without it some kernels refuse the
    // next `add set` with the same definition (kube-proxy's comment).
    f.sets.push_back({set, cat("type ipv4_addr; flags dynamic,timeout; timeout ", sp.affinity_timeout, "s;")});
    c.rules.push_back(cat("meta l4proto ", proto, " dnat to ", ep.ip, ":", ep.port));
    f.chains.push_back(std::move(c));
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Validation

Result<void> check_ip(const ServicePort& sp, std::string_view what, const std::string& ip) {
  if (!net::Ipv4::parse(ip)) return fail(cat("service port ", sp.identity(), ": invalid ", what, " \"", ip, "\""));
  return {};
}

bool valid_port(int p) { return p >= 1 && p <= 65535; }

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
  if (uses_endpoint_map(sp) && sp.endpoints.size() > kSlotStride && usable_endpoints(sp).size() > kSlotStride)
    return fail(cat("service port ", sp.identity(), ": more than ", kSlotStride, " endpoints"));
  for (const auto& ep : sp.endpoints) {
    LAB_TRY(check_ip(sp, "endpoint IP", ep.ip));
    if (!valid_port(ep.port))
      return fail(cat("service port ", sp.identity(), ": endpoint ", ep.ip, " has invalid port ", ep.port));
  }
  return {};
}

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

// A port's identity without building the "ns/svc/port" string: syncs index every port.
struct IdKey {
  std::string_view ns, service, port_name;
  explicit IdKey(const ServicePort& sp) : ns(sp.ns), service(sp.service), port_name(sp.port_name) {}
  bool operator==(const IdKey&) const = default;
};
struct IdKeyHash {
  size_t operator()(const IdKey& k) const {
    std::hash<std::string_view> h;
    return (h(k.ns) * 31 + h(k.service)) * 31 + h(k.port_name);
  }
};

// What a port claims in the dispatch maps, packed: (ip << 24 | proto << 16 | port) for
// addresses, (1 << 56 | proto << 16 | nodeport) for NodePorts (no address is that large).
void claims_of(const ServicePort& sp, std::vector<uint64_t>& out) {
  if (sp.cluster_ip.empty()) return;
  int proto = proto_id(sp.protocol);
  out.push_back(ip_key_id(net::Ipv4::parse(sp.cluster_ip)->value, proto, sp.port));
  for (const auto& lb : sp.lb_ips) out.push_back(ip_key_id(net::Ipv4::parse(lb)->value, proto, sp.port));
  if (sp.node_port) out.push_back((uint64_t{1} << 56) | (uint64_t(proto) << 16) | uint64_t(sp.node_port));
}

bool same_claims(const ServicePort& a, const ServicePort& b) {
  return a.cluster_ip == b.cluster_ip && a.lb_ips == b.lb_ips && a.port == b.port && a.node_port == b.node_port &&
         lower_proto(a.protocol) == lower_proto(b.protocol);
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

// Every identity once; every address.protocol.port and NodePort claimed by one port only.
// Assumes the ports' fields are valid (validate_port).
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

// ---------------------------------------------------------------------------------------------
// Text

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
    if (!had) b.add(Batch::kAddSets, "add set" + t + s.name + " { " + s.spec + " }");
  }
  for (const auto& s : before.sets) {
    bool keep = std::any_of(after.sets.begin(), after.sets.end(), [&](const Set& o) { return o.name == s.name; });
    if (!keep) b.add(Batch::kDelSets, "delete set" + t + s.name);
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
  for (const auto& e : before.elements) {
    if (e.keep) continue;
    auto now = std::find_if(after.elements.begin(), after.elements.end(), [&](const Element& o) { return same_key(e, o); });
    // A changed value is delete + add: `add element` with an existing key fails (EEXIST).
    if (now == after.elements.end() || now->value != e.value)
      b.add(Batch::kDelElements, cat("delete element", t, e.set, " { ", e.key, " }"));
  }
  for (const auto& e : after.elements) {
    auto old = std::find_if(before.elements.begin(), before.elements.end(), [&](const Element& o) { return same_key(e, o); });
    if (old != before.elements.end() && old->value == e.value) continue;
    if (e.keep && !added_keep.insert(e.set + " " + e.key).second) continue;
    b.add(Batch::kAddElements, cat("add element", t, e.set, " { ", e.key, e.value.empty() ? "" : " : ", e.value, " }"));
  }
}

bool same_node_fields(const NodeView& a, const NodeView& b) {
  return a.table == b.table && a.node_ips == b.node_ips && a.pod_cidr == b.pod_cidr && a.service_cidr == b.service_cidr;
}

// The rule that sends NodePort traffic to the node-port maps: on the node's own addresses only
// (kube-proxy's nftables default `--nodeport-addresses primary`), else on any local address.
std::string nodeport_match(const NodeView& v) {
  if (!v.node_ips.empty()) return "ip daddr @nodeport-ips";
  return "fib daddr type local ip daddr != 127.0.0.0/8";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public

std::string service_chain_name(const ServicePort& sp) { return make_name("svc", port_base(sp), port_base(sp)); }
std::string external_chain_name(const ServicePort& sp) { return make_name("ext", port_base(sp), port_base(sp)); }
std::string endpoint_chain_name(const ServicePort& sp, const Endpoint& ep) {
  std::string base = endpoint_base(sp, ep);
  return make_name("ep", base, base);
}
// The timeout is part of the hash: a set's timeout cannot be changed in place, so a new timeout
// means a new set (and rewritten chains that refer to it).
std::string affinity_set_name(const ServicePort& sp, const Endpoint& ep) {
  std::string base = endpoint_base(sp, ep);
  return make_name("affinity", base + "#" + std::to_string(sp.affinity_timeout), base);
}

std::vector<Endpoint> usable_endpoints(const ServicePort& sp) {
  std::vector<Endpoint> out;
  for (const auto& ep : sp.endpoints)
    if (ep.ready) out.push_back(ep);
  if (out.empty())
    for (const auto& ep : sp.endpoints)
      if (ep.serving && ep.terminating) out.push_back(ep);
  // Sorted by address then port, so the same set of endpoints always gives the same rules.
  auto key = [](const Endpoint& e) { return std::pair(net::Ipv4::parse(e.ip).value_or(net::Ipv4{}).value, e.port); };
  std::sort(out.begin(), out.end(), [&](const Endpoint& a, const Endpoint& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(), [](const Endpoint& a, const Endpoint& b) { return a.ip == b.ip && a.port == b.port; }),
            out.end());
  return out;
}

Result<void> validate(const NodeView& view) {
  LAB_TRY(validate_node_fields(view));
  if (view.ports.size() > kMaxSlots) return fail(cat("more than ", kMaxSlots, " service ports on one node"));
  for (const auto& sp : view.ports) LAB_TRY(validate_port(sp));
  return check_unique(view);
}

std::string endpoints_map_name(const std::string& proto) { return "endpoints-" + proto; }

std::string mapped_service_rule(const EndpointUpdate& u) { return pick_rule(u.base, u.after.size()); }

uint32_t EndpointSlots::assign(const std::string& identity) {
  auto it = slots_.find(identity);
  if (it != slots_.end()) return it->second;
  uint32_t slot = next_;
  if (!free_.empty()) {
    std::pop_heap(free_.begin(), free_.end(), std::greater<>());
    slot = free_.back();
    free_.pop_back();
  } else {
    ++next_;
  }
  slots_.emplace(identity, slot);
  return slot;
}

void EndpointSlots::release(const std::string& identity) {
  auto it = slots_.find(identity);
  if (it == slots_.end()) return;
  free_.push_back(it->second);
  std::push_heap(free_.begin(), free_.end(), std::greater<>());
  slots_.erase(it);
}

std::optional<uint32_t> EndpointSlots::find(const std::string& identity) const {
  auto it = slots_.find(identity);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

void EndpointSlots::keep_only(const std::unordered_set<std::string>& identities) {
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (identities.contains(it->first)) {
      ++it;
      continue;
    }
    free_.push_back(it->second);
    std::push_heap(free_.begin(), free_.end(), std::greater<>());
    it = slots_.erase(it);
  }
}

void EndpointSlots::clear() {
  slots_.clear();
  free_.clear();
  next_ = 1;
}

Result<std::string> full_ruleset(const NodeView& view) {
  EndpointSlots slots;
  return full_ruleset(view, slots);
}

Result<std::string> full_ruleset(const NodeView& view, EndpointSlots& slots) {
  LAB_TRY(validate(view));
  std::unordered_set<std::string> identities;
  for (const auto& sp : view.ports) identities.insert(sp.identity());
  slots.keep_only(identities);
  const Globals g{view.table, view.pod_cidr};
  // Elements by set; the endpoint maps in the order first used, each declared once.
  std::unordered_map<std::string, std::vector<std::string>> elements;
  std::unordered_set<std::string> hairpin_seen;
  std::string sets, chains;
  for (const auto& sp : view.ports) {
    Fragment f = render(g, sp, slots.assign(sp.identity()));
    for (auto& e : f.elements) {
      if (e.keep && !hairpin_seen.insert(e.key).second) continue;
      elements[e.set].push_back(e.value.empty() ? e.key : e.key + " : " + e.value);
    }
    for (const auto& s : f.sets) sets += "\tset " + s.name + " {\n\t\t" + s.spec + "\n\t}\n";
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
  out += sets;

  // Base chains. nft 1.0.6 rejects `priority dstnat` in an output hook (B11): numbers throughout.
  // DNAT in prerouting (pods, other nodes) and output (the node's own processes).
  // A service chain with its endpoints in a map only picks one, in the connection's mark, and
  // returns here (it was reached by a goto from `services`); the DNAT itself is shared.
  const std::string nat_dispatch = "\t\tjump services\n\t\tct mark != 0 goto endpoint-dnat\n\t}\n";
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
         "\t\tct state new jump service-endpoints-check\n\t}\n";
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
  if (!view.pod_cidr.empty()) out += "\t\tip saddr != " + view.pod_cidr + " " + mark_rule_suffix() + "\n";
  for (const char* proto : {"tcp", "udp", "sctp"})
    out += cat("\t\tmeta l4proto ", proto, " dnat ip to ct mark map @endpoints-", proto, "\n");
  out += "\t}\n";

  // Dispatch: one hash lookup, whatever the number of services.
  out += "\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t\t" + nodeport_match(view) +
         " meta l4proto . th dport vmap @service-nodeports\n\t}\n";
  out += "\tchain service-endpoints-check {\n\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services\n\t}\n";
  out += "\tchain nodeport-endpoints-check {\n\t\t" + nodeport_match(view) +
         " meta l4proto . th dport vmap @no-endpoint-nodeports\n\t}\n";
  out += "\tchain reject-chain {\n\t\tmeta l4proto tcp reject with tcp reset\n\t\treject\n\t}\n";
  // The xor clears the bit so a packet that passes postrouting twice is not masqueraded twice.
  out += cat("\tchain masquerading {\n\t\tmeta mark & ", kMarkHex, " == ", kMarkHex, " meta mark set meta mark ^ ", kMarkHex,
             " masquerade fully-random\n\t\tct status dnat ip saddr . ip daddr @", kHairpin, " masquerade fully-random\n\t}\n");
  out += chains;
  out += "}\n";
  return out;
}

namespace {

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
         a.lb_ips == b.lb_ips && a.affinity_client_ip == b.affinity_client_ip && a.affinity_timeout == b.affinity_timeout;
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
  if (changes.empty()) return std::string();

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
  const Globals g{after.table, after.pod_cidr};
  const Fragment none;
  std::vector<Fragment> old_fragments(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    if (!c.before) continue;
    old_fragments[i] = render(g, *c.before, slots.assign(c.before->identity()));
    if (!c.after) slots.release(c.before->identity());
  }
  Batch b;
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
  if (!same_node_fields(before, after)) return std::nullopt;
  std::vector<EndpointUpdate> out;
  for (const auto& c : changed_ports(before, after)) {
    if (!c.before || !c.after) return std::nullopt;
    const ServicePort& a = *c.before;
    const ServicePort& b = *c.after;
    if (a.cluster_ip.empty() && b.cluster_ip.empty()) continue;  // headless both: no rules at all
    if (!same_but_endpoints(a, b) || a.cluster_ip.empty() || !uses_endpoint_map(b)) return std::nullopt;
    auto slot = slots.find(b.identity());
    if (!slot) return std::nullopt;
    EndpointUpdate u;
    u.before = usable_endpoints(a);
    u.after = usable_endpoints(b);
    if (u.before == u.after) continue;  // e.g. a not-ready endpoint came or went
    if (u.before.empty() || u.after.empty()) return std::nullopt;
    if (!validate_port(b)) return std::nullopt;  // the text path reports it
    u.chain = service_chain_name(b);
    u.proto = lower_proto(b.protocol);
    u.map = endpoints_map_name(u.proto);
    u.base = *slot * kSlotStride;
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace lab::proxy
