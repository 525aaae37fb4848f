// The API's pod-facing listener: TLS on the host's lab-fabric address, port 6443 (the `kubernetes`
// Service's endpoint, as kube-apiserver's advertise address and secure port). Bound to the host's
// fabric link as well as its address, so that only packets that come in from the lab's fabric
// reach it (the host's other links would otherwise deliver to any local address); the node
// guard (netns/fabric_guard.h) lets pods reach it and nothing else of the host.
#pragma once

#include <cstdint>
#include <string>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "netns/cidr.h"

namespace lab::server {

// A listening TCP socket on ip:port, bound to device (SO_BINDTODEVICE), close-on-exec.
Result<UniqueFd> listen_fabric(net::Ipv4 ip, uint16_t port, const std::string& device);

}  // namespace lab::server
