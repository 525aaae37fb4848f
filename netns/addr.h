// Interface addresses through libnl-route: add an IPv4 address with its prefix length.
#pragma once

#include <string>

#include "lab/base/result.h"
#include "netns/cidr.h"
#include "netns/link.h"

namespace lab::net {

// add_address(sk, "eth0", 10.244.1.5, 24) adds 10.244.1.5/24 (and the connected route with it).
Result<void> add_address(NlSocket& sk, const std::string& ifname, Ipv4 ip, int prefix);
Result<void> delete_address(NlSocket& sk, const std::string& ifname, Ipv4 ip, int prefix);

}  // namespace lab::net
