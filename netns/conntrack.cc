#include "netns/conntrack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <memory>
#include <utility>

namespace lab::net {
namespace {

// A filter with its addresses parsed once (network order, as the kernel reports them).
struct ParsedFilter {
  uint8_t proto;
  bool any_dst, any_src;
  uint32_t dst = 0, src = 0;
  uint16_t dport;  // network order; 0 = any
};

Result<uint32_t> parse_ip(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return fail("conntrack filter: bad IPv4 address \"" + text + "\"");
  return a.s_addr;
}

bool matches(const nf_conntrack* ct, const ParsedFilter& f) {
  if (!nfct_attr_is_set(ct, ATTR_ORIG_L4PROTO) || nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != f.proto) return false;
  if (!f.any_dst && nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST) != f.dst) return false;
  if (f.dport != 0 && nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST) != f.dport) return false;
  if (!f.any_src && nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC) != f.src) return false;
  return true;
}

struct Ct {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};

struct DumpState {
  const std::vector<ParsedFilter>* filters;
  std::vector<std::unique_ptr<nf_conntrack, Ct>> found;
};

int collect(enum nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  auto* st = static_cast<DumpState*>(data);
  for (const auto& f : *st->filters)
    if (matches(ct, f)) {
      if (nf_conntrack* copy = nfct_clone(ct)) st->found.emplace_back(copy);
      break;
    }
  return NFCT_CB_CONTINUE;
}

}  // namespace

Conntrack::Conntrack(Conntrack&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}

Conntrack& Conntrack::operator=(Conntrack&& o) noexcept {
  if (this != &o) {
    if (h_) nfct_close(h_);
    h_ = std::exchange(o.h_, nullptr);
  }
  return *this;
}

Conntrack::~Conntrack() {
  if (h_) nfct_close(h_);
}

Result<Conntrack> Conntrack::open_here() {
  nfct_handle* h = nfct_open(CONNTRACK, 0);
  if (!h) return fail_errno("open conntrack netlink socket");
  Conntrack ct(h);
  // libnfnetlink opens its socket without SOCK_CLOEXEC: no process the daemon starts may inherit it.
  int fd = nfct_fd(h);
  if (fd < 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return fail_errno("conntrack socket: close-on-exec");
  return ct;
}

Result<Conntrack> Conntrack::open_in(const Netns& ns) {
  auto in = NetnsSwitch::enter(ns);
  if (!in) return std::unexpected(in.error().context("open conntrack netlink socket"));
  return open_here();
}

Result<size_t> Conntrack::delete_matching(const std::vector<ConntrackFilter>& filters) {
  if (!h_) return fail("conntrack: handle not open", EBADF);
  if (filters.empty()) return 0;
  std::vector<ParsedFilter> parsed;
  for (const auto& f : filters) {
    ParsedFilter p{f.proto, f.orig_dst.empty(), f.reply_src.empty(), 0, 0, htons(f.orig_dport)};
    if (!p.any_dst) {
      auto ip = parse_ip(f.orig_dst);
      if (!ip) return std::unexpected(ip.error());
      p.dst = *ip;
    }
    if (!p.any_src) {
      auto ip = parse_ip(f.reply_src);
      if (!ip) return std::unexpected(ip.error());
      p.src = *ip;
    }
    parsed.push_back(p);
  }
  DumpState st{&parsed, {}};
  std::unique_ptr<nfct_filter_dump, decltype(&nfct_filter_dump_destroy)> dump(nfct_filter_dump_create(),
                                                                            nfct_filter_dump_destroy);
  if (!dump) return fail_errno("conntrack: dump filter");
  nfct_filter_dump_set_attr_u8(dump.get(), NFCT_FILTER_DUMP_L3NUM, AF_INET);
  if (nfct_callback_register(h_, NFCT_T_ALL, collect, &st) != 0) return fail_errno("conntrack: callback");
  int rc = nfct_query(h_, NFCT_Q_DUMP_FILTER, dump.get());
  int dump_errno = errno;
  nfct_callback_unregister(h_);
  if (rc != 0) return fail("conntrack: dump the table", dump_errno);
  size_t deleted = 0;
  for (const auto& ct : st.found) {
    if (nfct_query(h_, NFCT_Q_DESTROY, ct.get()) == 0) ++deleted;
    else if (errno != ENOENT) return fail_errno("conntrack: delete an entry");
  }
  return deleted;
}

}  // namespace lab::net
