// EndpointUpdates in kernel terms. The rule built here is exactly what nft makes of
// mapped_service_rule() (checked against `nft --debug=netlink`):
//   ct mark set numgen random mod 3 offset 4096
//     [ numgen reg 1 = random mod 3 offset 4096 ] [ ct set mark with reg 1 ]
#include "lab/proxy/fast_path.h"

#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "netns/cidr.h"

namespace lab::proxy {
namespace {

bool same_address(const Endpoint& a, const Endpoint& b) { return a.ip == b.ip && a.port == b.port; }

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
      batch.add_element(table, "hairpin", ip + ip);
    }
    if (n_before == n_after) continue;
    // The modulus changed: the chain's one rule is rewritten, as the text path does.
    batch.flush_chain(table, u.chain);
    net::NftRule pick(table, u.chain);
    pick.numgen_random(NFT_REG_1, static_cast<uint32_t>(n_after), u.base).ct_set(NFT_CT_MARK, NFT_REG_1);
    batch.add_rule(std::move(pick));
  }
  return batch;
}

}  // namespace lab::proxy
