// What the kubelet adds to a pod's runtime spec beyond its containers as written, computed once
// when the pod starts and never updated (as the kubelet does): the hostname and domain, the
// resolv.conf of its dnsPolicy and dnsConfig, and each container's environment (the Service
// variables from the Service informer, then its env entries with `$(VAR)` expanded) and its
// command and args expanded against that environment.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/store/informer.h"
#include "netns/cidr.h"
#include "runtime/pod_spec.h"

namespace lab::node {

// spec: made from pod (one ContainerSpec per container, env, command and args as written).
// services: the kubelet's Service informer, already synced. Returns the DNSConfigForming
// warnings (limits that cut the resolv.conf lists), for events.
std::vector<std::string> complete_runtime_spec(runtime::PodRuntimeSpec& spec, const nlohmann::json& pod,
                                               const store::Informer& services, const net::Cidr& service_cidr);

}  // namespace lab::node
