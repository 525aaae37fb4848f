// IPv4 routes in the main table through libnl-route: via a gateway, on a device, unreachable, and a
// dump. Scope and protocol are set explicitly so the kernel stores what `ip route add` would.
#include "netns/route.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <cstring>

#include "netns/nl_internal.h"

namespace lab::net {
namespace {

using detail::CachePtr;
using detail::NlAddrPtr;
using detail::RoutePtr;

NlAddrPtr make_addr(Ipv4 ip, int prefix) {
  uint32_t be = htonl(ip.value);
  NlAddrPtr a(nl_addr_build(AF_INET, &be, sizeof be));
  if (a) nl_addr_set_prefixlen(a.get(), prefix);
  return a;
}

// A main-table IPv4 route to dst; libnl takes its own reference on the address.
Result<RoutePtr> make_route(const Cidr& dst, uint8_t type, uint8_t scope, const std::string& what) {
  RoutePtr r(rtnl_route_alloc());
  NlAddrPtr d = make_addr(dst.base, dst.prefix);
  if (!r || !d) return fail(what + ": out of memory", ENOMEM);
  rtnl_route_set_family(r.get(), AF_INET);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(r.get(), RTPROT_STATIC);
  rtnl_route_set_type(r.get(), type);
  rtnl_route_set_scope(r.get(), scope);
  if (int rc = rtnl_route_set_dst(r.get(), d.get()); rc < 0)
    return std::unexpected(nl_error(rc, what));
  return r;
}

Result<void> add(NlSocket& sk, rtnl_route* r, const std::string& what) {
  detail::clear_kernel_error();
  if (int rc = rtnl_route_add(sk.get(), r, NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return std::unexpected(detail::call_error(rc, what));
  return {};
}

uint32_t mask_of(int prefix) { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }

}  // namespace

Result<void> add_route_via(NlSocket& sk, const Cidr& dst, Ipv4 gateway) {
  std::string what = "add route " + dst.str() + " via " + gateway.str() + detail::where(sk);
  auto r = make_route(dst, RTN_UNICAST, RT_SCOPE_UNIVERSE, what);
  if (!r) return std::unexpected(r.error());
  NlAddrPtr gw = make_addr(gateway, 32);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!gw || !nh) {
    if (nh) rtnl_route_nh_free(nh);
    return fail(what + ": out of memory", ENOMEM);
  }
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_add_nexthop(r->get(), nh);  // the route owns nh from here on
  return add(sk, r->get(), what);
}

Result<void> add_route_dev(NlSocket& sk, const Cidr& dst, const std::string& dev) {
  std::string what = "add route " + dst.str() + " dev " + dev + detail::where(sk);
  auto idx = link_index(sk, dev);
  if (!idx) return std::unexpected(idx.error().context(what));
  auto r = make_route(dst, RTN_UNICAST, RT_SCOPE_LINK, what);
  if (!r) return std::unexpected(r.error());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) return fail(what + ": out of memory", ENOMEM);
  rtnl_route_nh_set_ifindex(nh, *idx);
  rtnl_route_add_nexthop(r->get(), nh);
  return add(sk, r->get(), what);
}

Result<void> add_unreachable_route(NlSocket& sk, const Cidr& dst) {
  std::string what = "add route unreachable " + dst.str() + detail::where(sk);
  auto r = make_route(dst, RTN_UNREACHABLE, RT_SCOPE_UNIVERSE, what);
  if (!r) return std::unexpected(r.error());
  return add(sk, r->get(), what);
}

Result<std::vector<RouteInfo>> list_routes(NlSocket& sk) {
  nl_cache* raw = nullptr;
  detail::clear_kernel_error();
  if (int rc = rtnl_route_alloc_cache(sk.get(), AF_INET, 0, &raw); rc < 0)
    return std::unexpected(detail::call_error(rc, "list routes" + detail::where(sk)));
  CachePtr routes(raw);
  raw = nullptr;
  if (int rc = rtnl_link_alloc_cache(sk.get(), AF_UNSPEC, &raw); rc < 0)
    return std::unexpected(detail::call_error(rc, "list routes" + detail::where(sk) + ": list links"));
  CachePtr links(raw);

  std::vector<RouteInfo> out;
  for (nl_object* obj = nl_cache_get_first(routes.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* r = reinterpret_cast<rtnl_route*>(obj);
    if (rtnl_route_get_family(r) != AF_INET || rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    RouteInfo info;
    if (nl_addr* dst = rtnl_route_get_dst(r)) {
      int prefix = static_cast<int>(nl_addr_get_prefixlen(dst));
      uint32_t be = 0;
      if (nl_addr_get_len(dst) == sizeof be) std::memcpy(&be, nl_addr_get_binary_addr(dst), sizeof be);
      info.dst = Cidr{Ipv4{ntohl(be) & mask_of(prefix)}, prefix};
    }
    info.unreachable = rtnl_route_get_type(r) == RTN_UNREACHABLE;
    if (rtnl_route_get_nnexthops(r) > 0) {
      char name[IFNAMSIZ] = {};
      int idx = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
      if (idx > 0 && rtnl_link_i2name(links.get(), idx, name, sizeof name)) info.dev = name;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace lab::net
