// What a node agent checks of its node's wiring, as the kubelet checks its network readiness:
// the node's netns still bears its name and is the one the lab made, eth0 and cbr0 are in it, its
// port on the fabric bridge is there; and the host's link to the fabric. Each check returns the
// first problem found, worded for a Node condition's message, or nullopt.
#pragma once

#include <optional>
#include <string>

#include "netns/fabric.h"
#include "netns/netns.h"

namespace lab::net {

// held: the node's netns as the lab opened it (its name may have gone since).
std::optional<std::string> node_network_problem(const FabricPlan& plan, size_t node_index, const Netns& held);
std::optional<std::string> host_link_problem(const FabricPlan& plan);

}  // namespace lab::net
