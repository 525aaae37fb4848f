#include "netns/neigh.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "netns/nl_internal.h"

namespace lab::net {

using detail::call_error;
using detail::clear_kernel_error;
using detail::LinkPtr;
using detail::NlAddrPtr;
using detail::where;

namespace {

using NeighPtr = std::unique_ptr<rtnl_neigh, detail::NlPut<rtnl_neigh, rtnl_neigh_put>>;

std::string mac_text(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

Result<NeighPtr> neighbor(NlSocket& sk, const std::string& ifname, Ipv4 ip, const std::string& what) {
  auto index = link_index(sk, ifname);
  if (!index) return std::unexpected(index.error().context(what));
  NeighPtr n(rtnl_neigh_alloc());
  uint32_t be = htonl(ip.value);
  NlAddrPtr dst(nl_addr_build(AF_INET, &be, sizeof be));
  if (!n || !dst) return fail(what + ": out of memory", ENOMEM);
  rtnl_neigh_set_ifindex(n.get(), *index);
  rtnl_neigh_set_family(n.get(), AF_INET);
  if (int rc = rtnl_neigh_set_dst(n.get(), dst.get()); rc < 0) return std::unexpected(call_error(rc, what));
  return n;
}

}  // namespace

Mac mac_for(Ipv4 ip) {
  return {0x02, 0x42, static_cast<uint8_t>(ip.value >> 24), static_cast<uint8_t>(ip.value >> 16),
          static_cast<uint8_t>(ip.value >> 8), static_cast<uint8_t>(ip.value)};
}

Result<Mac> link_mac(NlSocket& sk, const std::string& ifname) {
  rtnl_link* raw = nullptr;
  clear_kernel_error();
  int rc = rtnl_link_get_kernel(sk.get(), 0, ifname.c_str(), &raw);
  LinkPtr link(raw);
  if (rc < 0) return std::unexpected(call_error(rc, "read the MAC of " + ifname + where(sk)));
  nl_addr* a = rtnl_link_get_addr(link.get());
  if (!a || nl_addr_get_len(a) != 6) return fail(ifname + " has no Ethernet address" + where(sk), EINVAL);
  Mac m;
  std::memcpy(m.data(), nl_addr_get_binary_addr(a), 6);
  return m;
}

Result<void> set_link_mac(NlSocket& sk, const std::string& ifname, const Mac& mac) {
  std::string what = "set the MAC of " + ifname + " to " + mac_text(mac) + where(sk);
  LinkPtr orig(rtnl_link_alloc()), change(rtnl_link_alloc());
  NlAddrPtr addr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  if (!orig || !change || !addr) return fail(what + ": out of memory", ENOMEM);
  rtnl_link_set_name(change.get(), ifname.c_str());
  rtnl_link_set_addr(change.get(), addr.get());
  clear_kernel_error();
  if (int rc = rtnl_link_change(sk.get(), orig.get(), change.get(), 0); rc < 0)
    return std::unexpected(call_error(rc, what));
  return {};
}

Result<void> set_permanent_neighbor(NlSocket& sk, const std::string& ifname, Ipv4 ip, const Mac& mac) {
  std::string what = "add neighbor " + ip.str() + " " + mac_text(mac) + " on " + ifname + where(sk);
  auto n = neighbor(sk, ifname, ip, what);
  if (!n) return std::unexpected(n.error());
  NlAddrPtr ll(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  if (!ll) return fail(what + ": out of memory", ENOMEM);
  rtnl_neigh_set_lladdr(n->get(), ll.get());
  rtnl_neigh_set_state(n->get(), NUD_PERMANENT);
  clear_kernel_error();
  if (int rc = rtnl_neigh_add(sk.get(), n->get(), NLM_F_CREATE | NLM_F_REPLACE); rc < 0)
    return std::unexpected(call_error(rc, what));
  return {};
}

}  // namespace lab::net
