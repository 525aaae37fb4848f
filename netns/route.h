// IPv4 routes through libnl-route: via a gateway, on a device, unreachable; and a dump of
// the main table, used to refuse address ranges that collide with what the host routes already.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "netns/cidr.h"
#include "netns/link.h"

namespace lab::net {

Result<void> add_route_via(NlSocket& sk, const Cidr& dst, Ipv4 gateway);
Result<void> add_route_dev(NlSocket& sk, const Cidr& dst, const std::string& dev);
// `ip route add unreachable DST`: a packet for DST is refused here rather than sent anywhere.
Result<void> add_unreachable_route(NlSocket& sk, const Cidr& dst);

struct RouteInfo {
  Cidr dst;             // 0.0.0.0/0 for the default route
  std::string dev;      // output device name, empty if none (unreachable, blackhole)
  bool unreachable = false;
};
// Every IPv4 route of the main table in sk's netns.
Result<std::vector<RouteInfo>> list_routes(NlSocket& sk);

}  // namespace lab::net
