// What the kubelet adds to a pod's runtime spec beyond its containers as written, computed once
// when the pod starts and never updated (as the kubelet does): the hostname and domain, the
// resolv.conf of its dnsPolicy and dnsConfig (complete_runtime_spec), and, once the pod has its
// address, each container's environment (envFrom, env, the Service variables from the Service
// informer), its command and args expanded against it, and its volume mounts
// (complete_container_env).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/api/env_sources.h"
#include "lab/node/pod_security.h"
#include "lab/store/informer.h"
#include "netns/cidr.h"
#include "runtime/pod_spec.h"

namespace lab::node {

// spec: made from pod (one ContainerSpec per container, env, command and args as written).
// services: the kubelet's Service informer, already synced. Returns the DNSConfigForming
// warnings (limits that cut the resolv.conf lists), for events.
std::vector<std::string> complete_runtime_spec(runtime::PodRuntimeSpec& spec, const nlohmann::json& pod,
                                               const store::Informer& services, const net::Cidr& service_cidr);

// What a container's environment reads besides the Services: the pod's Secrets and ConfigMaps,
// its addresses (status.podIP), the node's allocatable (an unset limit).
struct EnvSources {
  api::ObjectLookup lookup;
  api::PodAddresses addresses;
  api::NodeAllocatable node;
};

// Each container's environment as the kubelet makes it at container start (envFrom, env with
// valueFrom, then the Service variables; lab/api/env_sources), its command and args expanded
// against it, its volumeMounts (subPathExpr expanded against it), and the pod's memory volumes.
// Returns the InvalidEnvironmentVariableNames warnings (for events), or the first container
// whose environment cannot be made (a missing object or key: CreateContainerConfigError).
std::expected<std::vector<std::string>, ContainerConfigError> complete_container_env(
    runtime::PodRuntimeSpec& spec, const nlohmann::json& pod, const store::Informer& services, const EnvSources& in);

}  // namespace lab::node
