// IPv4 interface addresses through libnl-route (the `ip addr add` of the fabric and pods).
// Adding an address also gives the kernel's connected route for its prefix.
#include "netns/addr.h"

#include <arpa/inet.h>
#include <netlink/route/addr.h>

#include "netns/nl_internal.h"

namespace lab::net {

using detail::AddrPtr;
using detail::NlAddrPtr;

namespace {

// The rtnl_addr for ip/prefix on ifname, ready to add or delete.
Result<AddrPtr> build_address(NlSocket& sk, const std::string& ifname, Ipv4 ip, int prefix,
                              const std::string& what) {
  if (prefix < 0 || prefix > 32) return fail(what + ": prefix length must be 0..32", EINVAL);
  auto idx = link_index(sk, ifname);
  if (!idx) return std::unexpected(idx.error().context(what));
  uint32_t be = htonl(ip.value);
  NlAddrPtr local(nl_addr_build(AF_INET, &be, sizeof be));
  AddrPtr addr(rtnl_addr_alloc());
  if (!local || !addr) return fail(what + ": out of memory", ENOMEM);
  nl_addr_set_prefixlen(local.get(), prefix);
  rtnl_addr_set_ifindex(addr.get(), *idx);
  if (int rc = rtnl_addr_set_local(addr.get(), local.get()); rc < 0)
    return std::unexpected(nl_error(rc, what));
  rtnl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

}  // namespace

Result<void> add_address(NlSocket& sk, const std::string& ifname, Ipv4 ip, int prefix) {
  std::string what = "add address " + ip.str() + "/" + std::to_string(prefix) + " to " + ifname +
                     detail::where(sk);
  auto addr = build_address(sk, ifname, ip, prefix, what);
  if (!addr) return std::unexpected(addr.error());
  detail::clear_kernel_error();
  // EXCL: an address that is already there means two owners think they hold it; say so.
  if (int rc = rtnl_addr_add(sk.get(), addr->get(), NLM_F_EXCL); rc < 0)
    return std::unexpected(detail::call_error(rc, what));
  return {};
}

Result<void> delete_address(NlSocket& sk, const std::string& ifname, Ipv4 ip, int prefix) {
  std::string what = "delete address " + ip.str() + "/" + std::to_string(prefix) + " from " + ifname +
                     detail::where(sk);
  auto addr = build_address(sk, ifname, ip, prefix, what);
  if (!addr) return std::unexpected(addr.error());
  detail::clear_kernel_error();
  if (int rc = rtnl_addr_delete(sk.get(), addr->get(), 0); rc < 0)
    return std::unexpected(detail::call_error(rc, what));
  return {};
}

}  // namespace lab::net
