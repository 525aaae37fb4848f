// The names of a service port's nftables objects (kube-proxy's "<prefix>-<HASH8>-<ns>/<svc>/..."
// scheme) and the EndpointSlots that number ports for the endpoint maps. Split out of rules.cc.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>

#include "lab/proxy/rules.h"
#include "lab/proxy/rules_internal.h"

namespace lab::proxy {
namespace rules_detail {

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

std::string lower_proto(const std::string& p) {
  std::string out = p;
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace rules_detail

using namespace rules_detail;

namespace {

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

std::string make_name(std::string_view prefix, std::string_view hash_input, std::string_view base) {
  std::string name = std::string(prefix) + "-" + hash8(hash_input) + "-" + sanitise(std::string(base));
  if (name.size() > kMaxNameLen) name.resize(kMaxNameLen);
  return name;
}

// "ns/svc/tcp/portname": the protocol is part of it as in kube-proxy, so TCP and UDP ports
// of one Service (DNS) never share a chain.
std::string port_base(const ServicePort& sp) {
  return sp.ns + "/" + sp.service + "/" + lower_proto(sp.protocol) + "/" + sp.port_name;
}

}  // namespace

std::string service_chain_name(const ServicePort& sp) { return make_name("svc", port_base(sp), port_base(sp)); }
std::string external_chain_name(const ServicePort& sp) { return make_name("ext", port_base(sp), port_base(sp)); }
std::string pick_chain_name(const ServicePort& sp) { return make_name("pick", port_base(sp), port_base(sp)); }
// The timeout is part of the hash: a map's timeout cannot be changed in place, so a new timeout
// means a new map (and rewritten rules that refer to it).
std::string affinity_map_name(const ServicePort& sp) {
  std::string base = port_base(sp);
  return make_name("affinity", base + "#" + std::to_string(sp.affinity_timeout), base);
}

std::string local_chain_name(const ServicePort& sp) { return make_name("local", port_base(sp), port_base(sp)); }
std::string local_pick_chain_name(const ServicePort& sp) { return make_name("pick-local", port_base(sp), port_base(sp)); }
std::string local_affinity_map_name(const ServicePort& sp) {
  std::string base = port_base(sp);
  return make_name("affinity-local", base + "#" + std::to_string(sp.affinity_timeout), base);
}

std::string firewall_chain_name(const ServicePort& sp) { return make_name("firewall", port_base(sp), port_base(sp)); }
std::string firewall_set_name(const ServicePort& sp) { return make_name("allowed", port_base(sp), port_base(sp)); }

std::string endpoints_map_name(const std::string& proto) { return "endpoints-" + proto; }

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

}  // namespace lab::proxy
