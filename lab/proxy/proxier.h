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

namespace lab::proxy {

class Proxier {
 public:
  // What the last successful sync() sent, for logs, tests and benchmarks.
  struct SyncInfo {
    enum Kind { kNone, kFull, kDiff, kFallbackFull } kind = kNone;
    size_t bytes = 0;  // length of the nft text sent
  };

  explicit Proxier(net::NftContext nft) : nft_(std::move(nft)) {}
  // A proxier whose nftables context lives in `node` (the node's network namespace).
  static Result<Proxier> open_in(const net::Netns& node);

  // Makes the table match `view`. The first call (and the first after a failure) loads the whole
  // table, replacing any leftover of a crashed proxy; later calls send only the difference. A
  // diff the kernel refuses is retried once as a full load. An invalid view changes nothing.
  Result<void> sync(const NodeView& view);

  // Deletes the table last loaded (or the default one); nothing else of the netns is touched.
  // A missing table is not an error.
  Result<void> cleanup();

  // The view the kernel holds now, if known.
  const std::optional<NodeView>& applied() const { return applied_; }
  const SyncInfo& last_sync() const { return last_; }

 private:
  Result<void> load_full(const NodeView& view, SyncInfo::Kind kind);

  net::NftContext nft_;
  std::optional<NodeView> applied_;  // empty: unknown, the next sync loads everything
  std::string table_ = NodeView{}.table;  // the table this proxier owns (last loaded, else the default)
  SyncInfo last_;
};

}  // namespace lab::proxy
