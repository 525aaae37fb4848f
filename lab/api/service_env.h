// The environment the kubelet gives every container (pkg/kubelet/envvars and kubelet_pods.go's
// makeEnvironmentVariables): `{SVC}_SERVICE_HOST`, `{SVC}_SERVICE_PORT[_{PORTNAME}]` and the
// Docker-link variables for each Service with a ClusterIP in the pod's namespace, plus the
// `kubernetes` Service of `default` always; then the container's own env entries, which win and
// may refer to earlier entries and to the service variables with `$(VAR)`. Plain values in and
// out: the kubelet reads the Services from its informer and hands them here.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/api/env_expand.h"

namespace lab::api {

using EnvList = std::vector<std::pair<std::string, std::string>>;

struct ServicePortEnv {
  std::string name;             // "" for an unnamed (single) port
  int port = 0;
  std::string protocol = "TCP";
};

struct ServiceEnvSource {
  std::string ns, name, cluster_ip;
  std::vector<ServicePortEnv> ports;
};

// The Service as the kubelet's env sees it; nullopt when it has no ClusterIP (headless `None`,
// ExternalName, not yet allocated): IsServiceIPSet.
std::optional<ServiceEnvSource> service_env_source(const nlohmann::json& svc);

// makeEnvVariableName: "my-nginx" -> "MY_NGINX".
std::string env_var_name(std::string_view name);

// FromServices for one Service, in the kubelet's order: _SERVICE_HOST, _SERVICE_PORT, one
// _SERVICE_PORT_{NAME} per named port, _PORT (first port), then per port _PORT_{port}_{PROTO}
// and its _PROTO, _PORT, _ADDR. Nothing for a Service without ports.
EnvList service_env_vars(const ServiceEnvSource& svc);

// getServiceEnvVarMap: the variables of the Services a pod in ns sees: those of ns when
// enable_service_links, and `kubernetes` of `default` always (a Service named `kubernetes` in
// ns wins over it). services: any Services (others are ignored), e.g. ns's and default's.
EnvMap service_env_map(const std::vector<ServiceEnvSource>& services, std::string_view ns,
                       bool enable_service_links);

// The container's environment: its env entries in order (each value expanded against the
// entries before it, then the service variables; a later entry of the same name wins), then
// the service variables no entry names, sorted.
EnvList container_env(const EnvList& declared, const EnvMap& service_env);

// ExpandContainerCommandAndArgs: each word of command or args expanded against env.
std::vector<std::string> expand_words(const std::vector<std::string>& words, const EnvList& env);

}  // namespace lab::api
