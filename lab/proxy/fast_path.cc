// EndpointUpdates in kernel terms. The rule built here is exactly what nft makes of
// pick_rules() (checked against `nft --debug=netlink`):
//   ct mark set numgen random mod 3 offset 4096
//     [ numgen reg 1 = random mod 3 offset 4096 ] [ ct set mark with reg 1 ]
#include "lab/proxy/fast_path.h"

#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <algorithm>

#include "lab/proxy/rules_internal.h"
#include "netns/cidr.h"

namespace lab::proxy {

using namespace rules_detail;

namespace {

bool same_address(const Endpoint& a, const Endpoint& b) { return a.ip == b.ip && a.port == b.port; }

uint8_t proto_number(const std::string& proto) {
  return proto == "tcp" ? IPPROTO_TCP : proto == "udp" ? IPPROTO_UDP : IPPROTO_SCTP;
}

}  // namespace

net::NftBatch endpoint_batch(const std::string& table, const std::vector<EndpointUpdate>& updates) {
  net::NftBatch batch;
  std::vector<std::string> hairpin_added;
  for (const auto& u : updates) {
    auto data = [&](const Endpoint& ep) {
      return net::nft_ipv4(net::Ipv4::parse(ep.ip)->value) + net::nft_port(static_cast<uint16_t>(ep.port));
    };
    const size_t n_before = u.before.size(), n_after = u.after.size();
    for (size_t i = 0; i < std::max(n_before, n_after); ++i) {
      const std::string key = net::nft_u32(u.base + static_cast<uint32_t>(i));
      const bool had = i < n_before, has = i < n_after;
      if (had && has && same_address(u.before[i], u.after[i])) continue;
      if (had) batch.delete_element(table, u.map, key);
      if (has) batch.add_element(table, u.map, key, data(u.after[i]));
    }
    for (const auto& ep : u.after) {
      bool known = std::any_of(u.before.begin(), u.before.end(), [&](const Endpoint& b) { return b.ip == ep.ip; });
      if (known || std::find(hairpin_added.begin(), hairpin_added.end(), ep.ip) != hairpin_added.end()) continue;
      hairpin_added.push_back(ep.ip);
      const std::string ip = net::nft_ipv4(net::Ipv4::parse(ep.ip)->value);
      batch.add_element(table, kHairpin, ip + ip);
    }
    // Between none and some: the reject elements go or come (render() writes the same).
    if ((n_before == 0) != (n_after == 0)) {
      const std::string proto = net::nft_proto(proto_number(u.proto));
      const std::string port = net::nft_port(static_cast<uint16_t>(u.port));
      std::vector<std::pair<const char*, std::string>> keys;
      for (const auto& a : u.addresses)
        keys.emplace_back(kNoEndpointServices, net::nft_ipv4(net::Ipv4::parse(a)->value) + proto + port);
      if (u.node_port) keys.emplace_back(kNoEndpointNodeports, proto + net::nft_port(static_cast<uint16_t>(u.node_port)));
      for (const auto& [set, key] : keys) {
        if (n_after == 0)
          batch.add_verdict_element(table, set, key, NFT_GOTO, kRejectChain);
        else
          batch.delete_element(table, set, key);
      }
    }
    if (!u.affinity_map.empty() && endpoint_numbers_moved(u.before, u.after)) batch.flush_set(table, u.affinity_map);
    if (n_before == n_after) continue;
    // The count changed: the pick rule is rewritten (or goes, or comes), as the text path does.
    batch.flush_chain(table, u.chain);
    if (n_after == 0) continue;
    net::NftRule pick(table, u.chain);
    pick.numgen_random(NFT_REG_1, static_cast<uint32_t>(n_after), u.base).ct_set(NFT_CT_MARK, NFT_REG_1);
    batch.add_rule(std::move(pick));
  }
  return batch;
}

}  // namespace lab::proxy
