// The proxier's fast path: endpoint-only changes sent as libnftnl messages, skipping libnftables
// (whose cache dump of a 10,000-service table costs more than the whole change).
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/proxy/rules.h"
#include "netns/nft_batch.h"

namespace lab::proxy {

// The batch that turns the `before` endpoints of each update into its `after` ones: map elements
// replaced, hairpin elements added, no-endpoint elements and the affinity map as render() has
// them, and the service chain's rules rewritten when the count changed.
// It is the same change diff_ruleset() writes as nft text; the kernel test compares the two.
net::NftBatch endpoint_batch(const std::string& table, const std::vector<EndpointUpdate>& updates);

}  // namespace lab::proxy
