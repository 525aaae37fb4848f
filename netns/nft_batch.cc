// libnftnl + libmnl: nf_tables netlink messages for element and rule changes, framed as one
// batch (BEGIN ... END) and acknowledged message by message, as libnftables does it.
#include "netns/nft_batch.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace lab::net {
namespace {

// Allocation failure is the one error here, and it throws as any container would.
nftnl_expr* expr(const char* name) {
  nftnl_expr* e = nftnl_expr_alloc(name);
  if (!e) throw std::bad_alloc();
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// NftRule

NftRule::NftRule(std::string_view table, std::string_view chain) : rule_(nftnl_rule_alloc()) {
  if (!rule_) throw std::bad_alloc();
  nftnl_rule_set_u32(rule_, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
  nftnl_rule_set_str(rule_, NFTNL_RULE_TABLE, std::string(table).c_str());
  nftnl_rule_set_str(rule_, NFTNL_RULE_CHAIN, std::string(chain).c_str());
}

NftRule::NftRule(NftRule&& o) noexcept : rule_(std::exchange(o.rule_, nullptr)) {}
NftRule& NftRule::operator=(NftRule&& o) noexcept {
  if (this != &o) {
    if (rule_) nftnl_rule_free(rule_);
    rule_ = std::exchange(o.rule_, nullptr);
  }
  return *this;
}
NftRule::~NftRule() {
  if (rule_) nftnl_rule_free(rule_);
}

NftRule& NftRule::numgen_random(uint32_t dreg, uint32_t modulus, uint32_t offset) {
  nftnl_expr* e = expr("numgen");
  nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, dreg);
  nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, modulus);
  nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
  if (offset) nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, offset);
  nftnl_rule_add_expr(rule_, e);
  return *this;
}

NftRule& NftRule::ct_set(uint32_t key, uint32_t sreg) {
  nftnl_expr* e = expr("ct");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
  nftnl_rule_add_expr(rule_, e);
  return *this;
}

// ---------------------------------------------------------------------------------------------
// NftBatch

namespace {
struct SetFree {
  void operator()(nftnl_set* s) const { nftnl_set_free(s); }
};
}  // namespace

struct NftBatch::Op {
  uint16_t type = 0;  // NFT_MSG_*
  uint16_t flags = 0;
  std::unique_ptr<nftnl_set, SetFree> set;  // element operations
  std::optional<NftRule> rule;              // rule operations (and flush: table + chain only)
};

NftBatch::NftBatch() = default;
NftBatch::NftBatch(NftBatch&&) noexcept = default;
NftBatch::~NftBatch() = default;

namespace {

std::unique_ptr<nftnl_set, SetFree> named_set(std::string_view table, std::string_view set) {
  nftnl_set* s = nftnl_set_alloc();
  if (!s) throw std::bad_alloc();
  nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
  nftnl_set_set_str(s, NFTNL_SET_TABLE, std::string(table).c_str());
  nftnl_set_set_str(s, NFTNL_SET_NAME, std::string(set).c_str());
  return std::unique_ptr<nftnl_set, SetFree>(s);
}

// With `verdict` (NFT_GOTO etc., negative numbers) and `chain`: verdict data instead of `data`.
std::unique_ptr<nftnl_set, SetFree> element_set(std::string_view table, std::string_view set, std::string_view key,
                                                std::string_view data, std::optional<int> verdict = std::nullopt,
                                                std::string_view chain = {}) {
  nftnl_set* s = nftnl_set_alloc();
  nftnl_set_elem* el = nftnl_set_elem_alloc();
  if (!s || !el) {
    if (s) nftnl_set_free(s);
    if (el) nftnl_set_elem_free(el);
    throw std::bad_alloc();
  }
  nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
  nftnl_set_set_str(s, NFTNL_SET_TABLE, std::string(table).c_str());
  nftnl_set_set_str(s, NFTNL_SET_NAME, std::string(set).c_str());
  nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key.data(), key.size());
  if (!data.empty()) nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, data.data(), data.size());
  if (verdict) {
    nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, static_cast<uint32_t>(*verdict));
    nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, std::string(chain).c_str());
  }
  nftnl_set_elem_add(s, el);  // the set owns the element from here
  return std::unique_ptr<nftnl_set, SetFree>(s);
}

}  // namespace

void NftBatch::add_element(std::string_view table, std::string_view set, std::string_view key, std::string_view data) {
  auto op = std::make_unique<Op>();
  op->type = NFT_MSG_NEWSETELEM;
  op->flags = NLM_F_CREATE;  // not NLM_F_EXCL: an identical element already there is fine
  op->set = element_set(table, set, key, data);
  ops_.push_back(std::move(op));
}

void NftBatch::add_verdict_element(std::string_view table, std::string_view set, std::string_view key, int verdict,
                                   std::string_view chain) {
  auto op = std::make_unique<Op>();
  op->type = NFT_MSG_NEWSETELEM;
  op->flags = NLM_F_CREATE;
  op->set = element_set(table, set, key, {}, verdict, chain);
  ops_.push_back(std::move(op));
}

// A DELSETELEM without elements empties the set (what `nft flush set` sends).
void NftBatch::flush_set(std::string_view table, std::string_view set) {
  auto op = std::make_unique<Op>();
  op->type = NFT_MSG_DELSETELEM;
  op->set = named_set(table, set);
  ops_.push_back(std::move(op));
}

void NftBatch::delete_element(std::string_view table, std::string_view set, std::string_view key) {
  auto op = std::make_unique<Op>();
  op->type = NFT_MSG_DELSETELEM;
  op->set = element_set(table, set, key, {});
  ops_.push_back(std::move(op));
}

void NftBatch::flush_chain(std::string_view table, std::string_view chain) {
  auto op = std::make_unique<Op>();
  op->type = NFT_MSG_DELRULE;  // without a handle: every rule of the chain
  op->rule = NftRule(table, chain);
  ops_.push_back(std::move(op));
}

void NftBatch::add_rule(NftRule rule) {
  auto op = std::make_unique<Op>();
  op->type = NFT_MSG_NEWRULE;
  op->flags = NLM_F_CREATE | NLM_F_APPEND;
  op->rule = std::move(rule);
  ops_.push_back(std::move(op));
}

// ---------------------------------------------------------------------------------------------
// NftSocket

NftSocket::NftSocket(NftSocket&& o) noexcept
    : sock_(std::exchange(o.sock_, nullptr)), seq_(o.seq_), rcvbuf_(o.rcvbuf_), sndbuf_(o.sndbuf_) {}
NftSocket& NftSocket::operator=(NftSocket&& o) noexcept {
  if (this != &o) {
    if (sock_) mnl_socket_close(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
    seq_ = o.seq_;
    rcvbuf_ = o.rcvbuf_;
    sndbuf_ = o.sndbuf_;
  }
  return *this;
}
NftSocket::~NftSocket() {
  if (sock_) mnl_socket_close(sock_);
}

Result<NftSocket> NftSocket::open_here() {
  mnl_socket* s = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!s) return fail_errno("open nf_tables netlink socket");
  NftSocket sock(s);
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) return fail_errno("bind nf_tables netlink socket");
  sock.seq_ = static_cast<uint32_t>(time(nullptr));
  return sock;
}

Result<NftSocket> NftSocket::open_in(const Netns& ns) {
  auto in = NetnsSwitch::enter(ns);
  if (!in) return std::unexpected(in.error().context("open nf_tables netlink socket"));
  return open_here();
}

namespace {

// Room for one acknowledgement in the receive buffer, as libnftables reckons it (mnl_batch_talk:
// 1 KiB a command, which the kernel doubles for its bookkeeping). A success ack is 36 bytes,
// but the buffer is charged an skb's whole truesize: the default 208 KiB held ~270 of them, and
// a bigger batch lost acks to ENOBUFS after the kernel had applied it.
constexpr int kRcvbufPerMessage = 1024;
constexpr int kMinRcvbuf = 128 * 1024;

// Grows one of the socket's buffers to want bytes (at most 64 MiB) when `had` is smaller.
// The FORCE options pass rmem_max/wmem_max (we hold CAP_NET_ADMIN); the plain ones are capped.
Result<void> grow_buffer(int fd, int force_opt, int opt, size_t want, int& had, const char* which) {
  if (want <= static_cast<size_t>(had)) return {};
  const int size = static_cast<int>(std::min<size_t>(want, 64u << 20));
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof size) < 0 &&
      setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size) < 0)
    return fail_errno(std::string("size the nf_tables socket's ") + which + " buffer");
  had = size;
  return {};
}

}  // namespace

Result<void> NftSocket::fit_acks(size_t messages) {
  return grow_buffer(mnl_socket_get_fd(sock_), SO_RCVBUFFORCE, SO_RCVBUF,
                     std::max<size_t>(kMinRcvbuf, (messages + 2) * kRcvbufPerMessage), rcvbuf_, "receive");
}

Result<void> NftSocket::fit_send(size_t bytes) {
  // netlink_sendmsg refuses a message larger than the send buffer (EMSGSIZE; the default,
  // wmem_default, is ~208 KiB: a batch of ~2,400 messages).
  return grow_buffer(mnl_socket_get_fd(sock_), SO_SNDBUFFORCE, SO_SNDBUF, bytes + 64 * 1024, sndbuf_, "send");
}

Result<void> NftSocket::commit(const NftBatch& batch) {
  if (!sock_) return fail("nf_tables batch: socket not open", EBADF);
  if (batch.empty()) return {};
  if (auto fit = fit_acks(batch.ops_.size()); !fit) return fit;
  // What an earlier, failed commit left unread would be counted as this one's.
  alignas(nlmsghdr) char rbuf[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    ssize_t got = recv(mnl_socket_get_fd(sock_), rbuf, sizeof rbuf, MSG_DONTWAIT);
    if (got > 0 || (got < 0 && (errno == EINTR || errno == ENOBUFS))) continue;
    break;
  }
  // Each message is small (one element, or one short rule: names are at most 255 bytes).
  std::vector<char> buf((batch.ops_.size() + 2) * 2048);
  size_t len = 0;
  auto tail = [&] { return buf.data() + len; };
  auto grow = [&](nlmsghdr* nlh) { len += NLMSG_ALIGN(nlh->nlmsg_len); };

  grow(nftnl_batch_begin(tail(), seq_++));
  const uint32_t first_seq = seq_;
  for (const auto& op : batch.ops_) {
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(tail(), op->type, NFPROTO_IPV4, op->flags | NLM_F_ACK, seq_++);
    if (op->set)
      nftnl_set_elems_nlmsg_build_payload(nlh, op->set.get());
    else
      nftnl_rule_nlmsg_build_payload(nlh, op->rule->get());
    grow(nlh);
  }
  grow(nftnl_batch_end(tail(), seq_++));

  if (auto fit = fit_send(len); !fit) return fit;
  if (mnl_socket_sendto(sock_, buf.data(), len) < 0) return fail_errno("send nf_tables batch");
  // The kernel handles the batch inside sendto: every acknowledgement is queued by now, so the
  // socket is drained without waiting. One ack per message; an error carries its errno.
  const uint32_t portid = mnl_socket_get_portid(sock_);
  size_t acks = 0;
  int first_error = 0;
  for (;;) {
    ssize_t got = recv(mnl_socket_get_fd(sock_), rbuf, sizeof rbuf, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return fail_errno("read nf_tables acknowledgements");
    }
    if (got == 0) break;
    int left = static_cast<int>(got);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(rbuf); mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_pid != portid || nlh->nlmsg_type != NLMSG_ERROR) continue;
      auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error != 0 && first_error == 0) first_error = -err->error;
      if (nlh->nlmsg_seq >= first_seq) ++acks;
    }
  }
  if (first_error) return fail("nf_tables batch refused", first_error);
  if (acks < batch.ops_.size()) return fail("nf_tables batch: missing acknowledgements", EPROTO);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Bytes

std::string nft_u32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

std::string nft_ipv4(uint32_t addr) {
  uint32_t be = htonl(addr);
  return std::string(reinterpret_cast<const char*>(&be), 4);
}

std::string nft_proto(uint8_t proto) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(proto);
  return out;
}

std::string nft_port(uint16_t port) {
  uint16_t be = htons(port);
  std::string out(4, '\0');
  std::memcpy(out.data(), &be, 2);
  return out;
}

}  // namespace lab::net
