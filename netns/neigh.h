// Link-layer addresses and permanent neighbour (ARP) entries, through libnl-route. A lab pins
// the entries between each pod and its node's cbr0: the kernel's neighbour table is shared by
// every netns and holds gc_thresh3 (1024) dynamic entries in all, which a thousand pods overflow
// (dropped packets, connects that time out); permanent entries do not count against it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "lab/base/result.h"
#include "netns/cidr.h"
#include "netns/link.h"

namespace lab::net {

using Mac = std::array<uint8_t, 6>;

// A locally administered MAC derived from an IPv4 address (02:42:a:b:c:d, as Docker's).
Mac mac_for(Ipv4 ip);
Result<Mac> link_mac(NlSocket& sk, const std::string& ifname);
// Sets the link's MAC. On a bridge this also pins it: a bridge otherwise takes the lowest MAC of
// its ports, which changes as ports come and go.
Result<void> set_link_mac(NlSocket& sk, const std::string& ifname, const Mac& mac);
// ip neigh replace IP lladdr MAC dev IFNAME nud permanent. Pods' MACs are mac_for(their IP), so
// an entry left by a pod that is gone is right again for the next pod given its address.
Result<void> set_permanent_neighbor(NlSocket& sk, const std::string& ifname, Ipv4 ip, const Mac& mac);

}  // namespace lab::net
