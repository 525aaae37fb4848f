// The guard every node netns carries (nft table lab-guard): pods may not open connections to the
// host's node-network address, which would answer and could send things on through its default
// route, out of the lab — except to the API's pod-facing port (the `kubernetes` Service's
// endpoint, host_ip:6443), the one way Kubernetes gives pods to the control plane. Those
// connections leave the node masqueraded to its own address: the host has no route to the pod
// network (nor should it: a reply to a pod address would take its default route).
#pragma once

#include <cstdint>
#include <string>

#include "netns/fabric.h"

namespace lab::net {

// The API's port on the host's fabric address (kube-apiserver's secure port).
inline constexpr uint16_t kApiFabricPort = 6443;

// The nft text that makes table lab-guard in a node netns.
std::string guard_rules(const FabricPlan& plan);

}  // namespace lab::net
