// Links through libnl-route: bridges, veth pairs whose peer is born in another netns, up, delete,
// hairpin. Also owns the netlink socket and the translation of libnl and kernel errors into Error.
#include "netns/link.h"

#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <utility>

#include "netns/nl_internal.h"

namespace lab::net {
namespace detail {
namespace {

// What the kernel said about the last refused request on this thread. A netlink request and its
// answer happen on the calling thread, and nl_sock is single-threaded anyway.
struct KernelError {
  int code = 0;
  std::string message;  // extack text when the kernel gives one ("Nexthop has invalid gateway")
};
thread_local KernelError last_error;

int capture_kernel_error(sockaddr_nl*, nlmsgerr* e, void*) {
  last_error.code = -e->error;
  last_error.message.clear();
  // The extended ack follows the echoed request (only its header, with NETLINK_CAP_ACK).
  auto* hdr = reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(e) - NLMSG_HDRLEN);
  if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
    size_t off = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
    off = NLMSG_ALIGN(off);
    if (off < hdr->nlmsg_len) {
      auto* head = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(hdr) + off);
      if (nlattr* msg = nla_find(head, static_cast<int>(hdr->nlmsg_len - off), NLMSGERR_ATTR_MSG))
        last_error.message.assign(static_cast<const char*>(nla_data(msg)),
                                  strnlen(static_cast<const char*>(nla_data(msg)), nla_len(msg)));
    }
  }
  return NL_STOP;  // libnl then returns its own NLE_* code for e->error
}

}  // namespace

void clear_kernel_error() {
  last_error.code = 0;
  last_error.message.clear();
}

std::string where(const NlSocket& sk) {
  return sk.netns_name().empty() ? "" : " in " + sk.netns_name();
}

Error call_error(int rc, const std::string& what) {
  if (last_error.code == 0) return nl_error(rc, what);
  Error err{last_error.code, what};
  if (!last_error.message.empty()) err.message += ": " + last_error.message;
  clear_kernel_error();
  return err;
}

}  // namespace detail

using detail::call_error;
using detail::clear_kernel_error;
using detail::LinkPtr;
using detail::where;

NlSocket::NlSocket(NlSocket&& o) noexcept
    : sock_(std::exchange(o.sock_, nullptr)), netns_name_(std::move(o.netns_name_)) {}

NlSocket& NlSocket::operator=(NlSocket&& o) noexcept {
  if (this != &o) {
    if (sock_) nl_socket_free(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
    netns_name_ = std::move(o.netns_name_);
  }
  return *this;
}

NlSocket::~NlSocket() {
  if (sock_) nl_socket_free(sock_);
}

Result<NlSocket> NlSocket::open_here() {
  NlSocket sk(nl_socket_alloc());
  if (!sk.sock_) return fail("open netlink socket: out of memory", ENOMEM);
  nl_socket_modify_err_cb(sk.sock_, NL_CB_CUSTOM, detail::capture_kernel_error, nullptr);
  if (int rc = nl_connect(sk.sock_, NETLINK_ROUTE); rc < 0)
    return std::unexpected(nl_error(rc, "open netlink socket"));
  // Best effort: older kernels lack these and then we simply get no extack text.
  int one = 1;
  setsockopt(nl_socket_get_fd(sk.sock_), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(nl_socket_get_fd(sk.sock_), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return sk;
}

Result<NlSocket> NlSocket::open_in(const Netns& ns) {
  auto in = NetnsSwitch::enter(ns);
  std::string what = "open netlink socket" + (ns.name().empty() ? "" : " in " + ns.name());
  if (!in) return std::unexpected(in.error().context(what));
  auto sk = open_here();
  if (!sk) return std::unexpected(sk.error().context(what));
  sk->netns_name_ = ns.name();
  return sk;
}

Error nl_error(int nle_code, const std::string& what) {
  int code = 0;
  switch (nle_code < 0 ? -nle_code : nle_code) {
    case NLE_EXIST: code = EEXIST; break;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV: code = ENODEV; break;
    case NLE_NOMEM: code = ENOMEM; break;
    case NLE_PERM: code = EPERM; break;
    case NLE_NOACCESS: code = EACCES; break;
    case NLE_INVAL: code = EINVAL; break;
    case NLE_BUSY: code = EBUSY; break;
    case NLE_RANGE: code = ERANGE; break;
    case NLE_AGAIN: code = EAGAIN; break;
    case NLE_INTR: code = EINTR; break;
    case NLE_OPNOTSUPP: code = EOPNOTSUPP; break;
    case NLE_AF_NOSUPPORT: code = EAFNOSUPPORT; break;
    case NLE_NOADDR: code = EADDRNOTAVAIL; break;
    default: break;
  }
  // With an errno, Error::what() already appends its text; otherwise libnl's words are all we have.
  if (code != 0) return Error{code, what};
  return Error{0, what + ": " + nl_geterror(nle_code)};
}

namespace {

Result<void> check_ifname(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of("/ \t\n:") != std::string::npos)
    return fail("invalid link name \"" + name + "\" (1 to 15 characters, no '/', ':' or spaces)",
                EINVAL);
  return {};
}

Result<LinkPtr> get_link(NlSocket& sk, const std::string& name) {
  LAB_TRY(check_ifname(name));
  rtnl_link* raw = nullptr;
  clear_kernel_error();
  int rc = rtnl_link_get_kernel(sk.get(), 0, name.c_str(), &raw);
  LinkPtr link(raw);
  if (rc < 0) {
    Error err = call_error(rc, "find link " + name + where(sk));
    if (err.code == ENODEV || err.code == ENOENT)
      return fail("link " + name + " not found" + where(sk), ENODEV);
    return std::unexpected(err);
  }
  return link;
}

}  // namespace

Result<int> link_index(NlSocket& sk, const std::string& name) {
  auto link = get_link(sk, name);
  if (!link) return std::unexpected(link.error());
  return rtnl_link_get_ifindex(link->get());
}

Result<bool> link_exists(NlSocket& sk, const std::string& name) {
  auto idx = link_index(sk, name);
  if (idx) return true;
  if (idx.error().code == ENODEV) return false;
  return std::unexpected(idx.error());
}

Result<std::string> link_kind(NlSocket& sk, const std::string& name) {
  auto link = get_link(sk, name);
  if (!link) return std::unexpected(link.error());
  const char* kind = rtnl_link_get_type(link->get());
  return std::string(kind ? kind : "");
}

Result<void> create_bridge(NlSocket& sk, const std::string& name, bool up) {
  LAB_TRY(check_ifname(name));
  LinkPtr br(rtnl_link_bridge_alloc());
  if (!br) return fail("create bridge " + name + ": out of memory", ENOMEM);
  rtnl_link_set_name(br.get(), name.c_str());
  if (up) rtnl_link_set_flags(br.get(), IFF_UP);
  clear_kernel_error();
  if (int rc = rtnl_link_add(sk.get(), br.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return std::unexpected(call_error(rc, "create bridge " + name + where(sk)));
  return {};
}

Result<void> create_veth(NlSocket& sk, const VethSpec& spec) {
  std::string what = "create veth " + spec.name + " (peer " + spec.peer_name + ")" + where(sk);
  LAB_TRY(check_ifname(spec.name));
  LAB_TRY(check_ifname(spec.peer_name));
  LinkPtr veth(rtnl_link_veth_alloc());
  if (!veth) return fail(what + ": out of memory", ENOMEM);
  rtnl_link_set_name(veth.get(), spec.name.c_str());
  if (spec.master_ifindex > 0) rtnl_link_set_master(veth.get(), spec.master_ifindex);
  if (spec.up) rtnl_link_set_flags(veth.get(), IFF_UP);
  LinkPtr peer(rtnl_link_veth_get_peer(veth.get()));
  if (!peer) return fail(what + ": out of memory", ENOMEM);
  rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
  // The peer is born where it belongs (no move, no name clash in this netns). It is never set up
  // here: the kernel refuses "move to another netns and up" in one request (ENOTCONN).
  if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  clear_kernel_error();
  if (int rc = rtnl_link_add(sk.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return std::unexpected(call_error(rc, what));
  return {};
}

Result<void> set_link_up(NlSocket& sk, const std::string& name) {
  LAB_TRY(check_ifname(name));
  // By name in one request: ifindex 0 plus IFLA_IFNAME makes the kernel look the link up itself.
  LinkPtr orig(rtnl_link_alloc()), change(rtnl_link_alloc());
  if (!orig || !change) return fail("set link " + name + " up: out of memory", ENOMEM);
  rtnl_link_set_name(change.get(), name.c_str());
  rtnl_link_set_flags(change.get(), IFF_UP);
  clear_kernel_error();
  if (int rc = rtnl_link_change(sk.get(), orig.get(), change.get(), 0); rc < 0)
    return std::unexpected(call_error(rc, "set link " + name + " up" + where(sk)));
  return {};
}

Result<void> delete_link(NlSocket& sk, const std::string& name) {
  LAB_TRY(check_ifname(name));
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail("delete link " + name + ": out of memory", ENOMEM);
  rtnl_link_set_name(link.get(), name.c_str());
  clear_kernel_error();
  if (int rc = rtnl_link_delete(sk.get(), link.get()); rc < 0) {
    Error err = call_error(rc, "delete link " + name + where(sk));
    if (err.code == ENODEV || err.code == ENOENT)
      return fail("link " + name + " not found" + where(sk), ENODEV);
    return std::unexpected(err);
  }
  return {};
}

Result<void> set_bridge_port_hairpin(NlSocket& sk, const std::string& name, bool on) {
  std::string what =
      std::string("turn hairpin ") + (on ? "on" : "off") + " for bridge port " + name + where(sk);
  auto idx = link_index(sk, name);
  if (!idx) return std::unexpected(idx.error().context(what));
  // What `bridge link set dev NAME hairpin on` sends: AF_BRIDGE RTM_SETLINK with the port's
  // IFLA_BRPORT_MODE nested in IFLA_PROTINFO; the bridge driver applies it to the port.
  nl_msg* msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
  if (!msg) return fail(what + ": out of memory", ENOMEM);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = *idx;
  nlattr* protinfo = nullptr;
  if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      !(protinfo = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
      nla_put_u8(msg, IFLA_BRPORT_MODE, on ? 1 : 0) < 0 || nla_nest_end(msg, protinfo) < 0) {
    nlmsg_free(msg);
    return fail(what + ": message too large", EMSGSIZE);
  }
  clear_kernel_error();
  if (int rc = nl_send_sync(sk.get(), msg); rc < 0)  // frees msg
    return std::unexpected(call_error(rc, what));
  return {};
}

}  // namespace lab::net
