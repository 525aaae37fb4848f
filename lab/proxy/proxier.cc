// Proxier: applies NodeViews to one node's nftables table through libnftables, one atomic
// transaction per sync, keeping the applied view to compute the next difference.
#include "lab/proxy/proxier.h"

#include <utility>

#include "lab/proxy/fast_path.h"

namespace lab::proxy {
namespace {

// Above this, an endpoint-only change goes as nft text. The fast path costs ~3 us a message
// (bench/proxy_bench: one pod's readiness in 150 Services, 750-819 messages, 2.6 ms at 1,000
// Services and 4.6 ms at 10,000, against 5.9 and 24 ms as text, whose cache of the table grows
// with it); what bounds it is the acknowledgements' room in the socket's receive buffer and the
// batch's in its send buffer (NftSocket::commit grows both: 32 MiB of acks here, ~3 MiB sent).
// One pod's change at 1,000 Services of 20 pods is ~7,000 messages; as text it took seconds.
constexpr size_t kMaxFastPathMessages = 32768;

// dst = src, copying only the ports that differ: at 10,000 services a whole copy costs more than
// the diff itself, while a sync usually changes one port.
void assign(NodeView& dst, const NodeView& src) {
  if (dst.ports.size() != src.ports.size()) {
    dst = src;
    return;
  }
  dst.table = src.table;
  dst.node_ips = src.node_ips;
  dst.pod_cidr = src.pod_cidr;
  dst.service_cidr = src.service_cidr;
  dst.node_name = src.node_name;
  dst.host_ports = src.host_ports;
  for (size_t i = 0; i < src.ports.size(); ++i)
    if (!(dst.ports[i] == src.ports[i])) dst.ports[i] = src.ports[i];
}

}  // namespace

Result<Proxier> Proxier::open_in(const net::Netns& node) {
  auto ctx = net::NftContext::open_in(node);
  if (!ctx) return std::unexpected(ctx.error().context("start proxy"));
  auto nl = net::NftSocket::open_in(node);
  if (!nl) return std::unexpected(nl.error().context("start proxy"));
  return Proxier(std::move(*ctx), std::move(*nl));
}

Result<Proxier> Proxier::open_here() {
  auto ctx = net::NftContext::open_here();
  if (!ctx) return std::unexpected(ctx.error().context("start proxy"));
  auto nl = net::NftSocket::open_here();
  if (!nl) return std::unexpected(nl.error().context("start proxy"));
  return Proxier(std::move(*ctx), std::move(*nl));
}

Result<void> Proxier::load_full(const NodeView& view, SyncInfo::Kind kind) {
  EndpointSlots slots;
  auto text = full_ruleset(view, slots);
  if (!text) return std::unexpected(text.error().context("program services in table " + view.table));
  // A table of another name loaded before is dropped in the same transaction.
  if (table_ != view.table) *text = "add table ip " + table_ + "\ndelete table ip " + table_ + "\n" + *text;
  auto ran = nft_.run(*text);
  if (!ran) {
    // The transaction was refused as a whole, but after a failed diff we no longer trust our
    // picture of the kernel: the next sync starts from a full load.
    applied_.reset();
    return std::unexpected(ran.error().context("program services in table " + view.table));
  }
  applied_ = view;
  slots_ = std::move(slots);
  table_ = view.table;
  last_ = {kind, text->size()};
  return {};
}

Result<void> Proxier::sync(const NodeView& view) {
  // Node-wide fields (table, node IPs, CIDRs) appear in many rules: a change reloads everything.
  if (!applied_ || applied_->table != view.table || applied_->node_ips != view.node_ips ||
      applied_->pod_cidr != view.pod_cidr || applied_->service_cidr != view.service_cidr ||
      applied_->node_name != view.node_name)
    return load_full(view, SyncInfo::kFull);
  if (nl_) {
    if (auto updates = endpoint_updates(*applied_, view, slots_)) {
      // Very many changes at once (a node's pods all replaced at thousands of Services) go as
      // text: one transaction, without an acknowledgement per message.
      net::NftBatch batch = endpoint_batch(view.table, *updates);
      if (batch.empty() || (batch.size() <= kMaxFastPathMessages && nl_->commit(batch))) {
        assign(*applied_, view);
        last_ = {batch.empty() ? SyncInfo::kDiff : SyncInfo::kEndpoints, batch.size()};
        return {};
      }
      // Refused: the text path below sends the same change, and reports nft's words if it fails.
    }
  }
  // The slots change with the diff; they are committed only when the kernel took it.
  EndpointSlots slots = slots_;
  auto text = diff_ruleset(*applied_, view, slots);
  if (!text) return std::unexpected(text.error().context("program services in table " + view.table));
  if (text->empty()) {
    last_ = {SyncInfo::kDiff, 0};
    return {};
  }
  if (nft_.run(*text)) {
    assign(*applied_, view);
    slots_ = std::move(slots);
    last_ = {SyncInfo::kDiff, text->size()};
    return {};
  }
  // Someone changed the table behind our back, or the diff logic missed a case: start over.
  return load_full(view, SyncInfo::kFallbackFull);
}

Result<void> Proxier::cleanup() {
  auto ran = nft_.run("add table ip " + table_ + "\ndelete table ip " + table_ + "\n");
  if (!ran) return std::unexpected(ran.error().context("remove table " + table_));
  applied_.reset();
  slots_.clear();
  last_ = {};
  return {};
}

}  // namespace lab::proxy
