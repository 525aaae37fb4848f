// Shared by the libnl wrappers (link, addr, route): RAII pointers for libnl objects and the error
// path that keeps the kernel's errno and extack text, which plain libnl return codes lose.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <memory>
#include <string>

#include "lab/base/result.h"
#include "netns/link.h"

namespace lab::net::detail {

template <typename T, void (*Put)(T*)>
struct NlPut {
  void operator()(T* p) const {
    if (p) Put(p);
  }
};
using LinkPtr = std::unique_ptr<rtnl_link, NlPut<rtnl_link, rtnl_link_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, NlPut<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, NlPut<rtnl_route, rtnl_route_put>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlPut<nl_addr, nl_addr_put>>;
using CachePtr = std::unique_ptr<nl_cache, NlPut<nl_cache, nl_cache_free>>;

// " in <netns>" for messages about calls on sk, or "".
std::string where(const NlSocket& sk);
// Forget the kernel error recorded by the previous request on this thread.
void clear_kernel_error();
// Error for a failed libnl call (negative NLE_* rc): the kernel's own errno and message when the
// kernel refused the request, else nl_error(rc, what).
Error call_error(int rc, const std::string& what);

}  // namespace lab::net::detail
