// What the kubelet makes of a pod's securityContext and resources for the runtime: the
// pod-level securityContext merged into each container's (the container's fields win), the
// capabilities after add/drop, the runAsNonRoot check (CreateContainerConfigError), and the
// pod's and containers' cgroup limits from resources.limits/requests. Pure: unit-tested.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lab/base/result.h"
#include "runtime/pod_spec.h"

namespace lab::node {

using Json = nlohmann::json;

// Every pod's pids limit (the kubelet's podPidsLimit; Kubernetes' default is unlimited, lab's a
// fork-bomb guard).
inline constexpr int64_t kPodPidsLimit = 4096;

// A Kubernetes quantity ("500m", "0.5", "128Mi", "1e3") in thousandths, rounded up (cpu), and
// as a whole number rounded up (bytes), as Quantity.MilliValue() and Value().
Result<int64_t> quantity_milli(const std::string& q);
Result<int64_t> quantity_value(const std::string& q);

// Why a container cannot be created from the pod's spec (CreateContainerConfigError).
struct ContainerConfigError {
  std::string container;
  std::string message;  // "container has runAsNonRoot and image will run as root (pod: ...)"
};

// Fills spec's containers' security and resources, the pod's cgroup (pod_cgroup(lab, uid)) and
// its limits, from the pod object; spec.containers are in the order of spec.containers of the
// pod. A value the API validated but that still does not fit (an unknown capability written
// before validation knew it) is a config error too.
std::optional<ContainerConfigError> resolve_security(const std::string& lab, const Json& pod,
                                                     runtime::PodRuntimeSpec& spec);

}  // namespace lab::node
