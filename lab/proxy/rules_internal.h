// What the rules_*.cc files share (internal to lab/proxy; the interface is rules.h): string
// building, the nft name helpers, the per-port Fragment that rendering produces and diffing
// compares, and the checks a diff re-runs on the ports it touches. Split out of rules.cc with them.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/proxy/rules.h"

namespace lab::proxy::rules_detail {

// GCC 12 has no <format>: a small concatenation of strings and integers instead.
inline void append(std::string& out, std::string_view s) { out += s; }
inline void append(std::string& out, const char* s) { out += s; }
inline void append(std::string& out, const std::string& s) { out += s; }
inline void append(std::string& out, std::integral auto n) { out += std::to_string(n); }
template <typename... A>
std::string cat(const A&... parts) {
  std::string out;
  (append(out, parts), ...);
  return out;
}

// --- names (rules_names.cc) ---

// The kernel's limit is 256 bytes with the terminating NUL.
constexpr size_t kMaxNameLen = 255;
// nft identifiers may hold letters, digits and "/-_."; anything else becomes '_'.
std::string sanitise(std::string s);
// "TCP" -> "tcp".
std::string lower_proto(const std::string& p);

// --- rendering (rules.cc) ---

struct Element {
  std::string set, key, value;  // value "" for a plain set
  bool keep = false;            // never deleted by a diff (hairpin)
};
struct Chain {
  std::string name;
  std::vector<std::string> rules;
};
struct Set {
  std::string name, spec;  // a spec with ':' declares a map
  bool is_map() const { return spec.find(':') != std::string::npos; }
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
  std::string node_name;
  std::vector<std::string> node_ips = {};  // whether the firewall lets the node's own requests through
};

// The fixed sets and maps the per-port fragments put elements in.
inline constexpr const char* kServiceIps = "service-ips";
inline constexpr const char* kServiceNodeports = "service-nodeports";
inline constexpr const char* kNoEndpointServices = "no-endpoint-services";
inline constexpr const char* kNoEndpointNodeports = "no-endpoint-nodeports";
inline constexpr const char* kHairpin = "hairpin";
inline constexpr const char* kFirewallIps = "firewall-ips";
inline constexpr const char* kRejectChain = "reject-chain";

// The rule of a service chain that picks an endpoint's number.
std::string pick_rule(uint32_t base, size_t n);
// The declaration of a port's session-affinity map (client address -> endpoint number).
std::string affinity_map_spec(int timeout_seconds);
// The sets, chains and elements one service port contributes to the table, its endpoints
// numbered from slot * kSlotStride.
Fragment render(const Globals& g, const ServicePort& sp, uint32_t slot);

// --- validation (rules_validate.cc) ---

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

// One port's fields: names, protocol, addresses, ports, affinity timeout, endpoint count.
Result<void> validate_port(const ServicePort& sp);
// Every identity once; every address.protocol.port and NodePort claimed by one port only.
// Assumes the ports' fields are valid (validate_port).
Result<void> check_unique(const NodeView& view);
// The two ports claim the same addresses, protocol and ports.
bool same_claims(const ServicePort& a, const ServicePort& b);

}  // namespace lab::proxy::rules_detail
