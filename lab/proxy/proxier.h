// One node's kube-proxy: remembers the NodeView it last applied to the node's nftables table and
// turns each new view into one atomic transaction (the full table once, then only differences).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "lab/base/result.h"
#include "lab/proxy/rules.h"
#include "netns/netns.h"
#include "netns/nft.h"
#include "netns/nft_batch.h"

namespace lab::proxy {

class Proxier {
 public:
  // What the last successful sync() sent, for logs, tests and benchmarks.
  struct SyncInfo {
    // kEndpoints: an endpoint-only change sent through the fast path (libnftnl), not as text.
    enum Kind { kNone, kFull, kDiff, kEndpoints, kFallbackFull } kind = kNone;
    size_t bytes = 0;  // length of the nft text sent, or number of netlink messages for kEndpoints
  };

  // Without a socket every change goes through libnftables as text.
  explicit Proxier(net::NftContext nft, std::optional<net::NftSocket> nl = std::nullopt)
      : nft_(std::move(nft)), nl_(std::move(nl)) {}
  // A proxier whose nftables context and socket live in `node` (the node's network namespace).
  static Result<Proxier> open_in(const net::Netns& node);
  static Result<Proxier> open_here();

  // Makes the table match `view`. The first call (and the first after a failure) loads the whole
  // table, replacing any leftover of a crashed proxy; later calls send only the difference:
  // endpoint-only changes as netlink messages built directly, anything else as nft text. A diff
  // the kernel refuses is retried once as a full load. An invalid view changes nothing.
  Result<void> sync(const NodeView& view);

  // Deletes the table last loaded (or the default one); nothing else of the netns is touched.
  // A missing table is not an error.
  Result<void> cleanup();

  // The view the kernel holds now, if known.
  const std::optional<NodeView>& applied() const { return applied_; }
  const SyncInfo& last_sync() const { return last_; }
  // Which number each service port's endpoints have in the maps (see kSlotStride).
  const EndpointSlots& slots() const { return slots_; }

 private:
  Result<void> load_full(const NodeView& view, SyncInfo::Kind kind);

  net::NftContext nft_;
  std::optional<net::NftSocket> nl_;
  std::optional<NodeView> applied_;
  EndpointSlots slots_;  // of applied_  // empty: unknown, the next sync loads everything
  std::string table_ = NodeView{}.table;  // the table this proxier owns (last loaded, else the default)
  SyncInfo last_;
};

}  // namespace lab::proxy
