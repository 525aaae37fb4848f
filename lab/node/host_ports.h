// The hostPorts of a pod as the node's proxy programs them (the CNI portmap plugin's input):
// read from the Pod object, so the proxy agent follows pods with the shared Pod informer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/proxy/rules.h"

namespace lab::node {

struct PodHostPorts {
  std::string node;  // spec.nodeName
  std::vector<proxy::HostPortMapping> mappings;
  bool operator==(const PodHostPorts&) const = default;
};

// The mappings of a pod's containers' ports with a hostPort, once the pod is bound, has an
// address (status.podIP) and is neither terminating nor finished; none otherwise. A port whose
// hostIP is not an IPv4 address is left out (it cannot match on this IPv4-only node), as are
// hostNetwork pods (their ports are the node's already). Duplicates within the pod are dropped.
PodHostPorts pod_host_ports(const nlohmann::json& pod);

}  // namespace lab::node
