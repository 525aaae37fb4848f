// Proxier: applies NodeViews to one node's nftables table through libnftables, one atomic
// transaction per sync, keeping the applied view to compute the next difference.
#include "lab/proxy/proxier.h"

#include <utility>

namespace lab::proxy {
namespace {

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
  for (size_t i = 0; i < src.ports.size(); ++i)
    if (!(dst.ports[i] == src.ports[i])) dst.ports[i] = src.ports[i];
}

}  // namespace

Result<Proxier> Proxier::open_in(const net::Netns& node) {
  auto ctx = net::NftContext::open_in(node);
  if (!ctx) return std::unexpected(ctx.error().context("start proxy"));
  return Proxier(std::move(*ctx));
}

Result<void> Proxier::load_full(const NodeView& view, SyncInfo::Kind kind) {
  auto text = full_ruleset(view);
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
  table_ = view.table;
  last_ = {kind, text->size()};
  return {};
}

Result<void> Proxier::sync(const NodeView& view) {
  // Node-wide fields (table, node IPs, CIDRs) appear in many rules: a change reloads everything.
  if (!applied_ || applied_->table != view.table || applied_->node_ips != view.node_ips ||
      applied_->pod_cidr != view.pod_cidr || applied_->service_cidr != view.service_cidr)
    return load_full(view, SyncInfo::kFull);
  auto text = diff_ruleset(*applied_, view);
  if (!text) return std::unexpected(text.error().context("program services in table " + view.table));
  if (text->empty()) {
    last_ = {SyncInfo::kDiff, 0};
    return {};
  }
  if (nft_.run(*text)) {
    assign(*applied_, view);
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
  last_ = {};
  return {};
}

}  // namespace lab::proxy
