// The fake LoadBalancer, MetalLB layer-2 style: a LoadBalancer Service gets an address from the
// lab's pool in status.loadBalancer.ingress and one node to announce it (answer ARP for it).
#pragma once

#include <string>
#include <vector>

#include "lab/store/store.h"
#include "netns/cidr.h"

namespace lab::controllers {

inline constexpr const char* kAnnouncedBy = "lab.dev/announced-by";

void reconcile_load_balancers(store::Store& st, const net::Ipv4Range& pool,
                              const std::vector<std::string>& nodes);

}  // namespace lab::controllers
