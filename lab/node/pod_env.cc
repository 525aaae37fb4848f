// The node's resolver is the host's /etc/resolv.conf (a lab node is a netns on the host, with
// the host's files); read at each pod start, as the kubelet reads its --resolv-conf.
#include "lab/node/pod_env.h"

#include "lab/api/json_access.h"
#include "lab/api/pod_dns.h"
#include "lab/api/service_env.h"
#include "lab/base/unique_fd.h"
#include "lab/node/volumes.h"

namespace lab::node {

namespace {

api::ResolverConfig node_resolver() {
  auto text = read_file("/etc/resolv.conf");
  return text ? api::parse_resolv_conf(*text) : api::ResolverConfig{};
}

// The Services a pod of ns may see: its namespace's and the master service of `default`.
api::EnvMap service_env_for(const store::Informer& services, const std::string& ns, bool links) {
  std::vector<api::ServiceEnvSource> sources;
  auto add = [&](const store::ObjPtr& svc) {
    if (!svc) return;
    if (auto s = api::service_env_source(*svc)) sources.push_back(std::move(*s));
  };
  if (links)
    for (const auto& svc : services.list(ns)) add(svc);
  if (!links || ns != "default") add(services.get("default", "kubernetes"));
  return api::service_env_map(sources, ns, links);
}

}  // namespace

std::vector<std::string> complete_runtime_spec(runtime::PodRuntimeSpec& spec, const nlohmann::json& pod,
                                               const store::Informer& services, const net::Cidr& service_cidr) {
  const nlohmann::json& pod_spec = api::member(pod, "spec");
  auto host = api::pod_hostname(spec.name, spec.namespace_, pod_spec);
  spec.hostname = host.hostname;
  spec.host_domain = host.domain;

  // Cluster DNS is the kube-dns Service's address, the service CIDR's tenth.
  auto dns = api::pod_dns(pod_spec, spec.namespace_, node_resolver(), service_cidr.at(10).str());
  spec.dns_servers = dns.config.servers;
  spec.dns_search = dns.config.searches;
  spec.dns_options = dns.config.options;

  (void)services;  // the environment is complete_container_env's, once the pod has its address
  return dns.warnings;
}

std::expected<std::vector<std::string>, ContainerConfigError> complete_container_env(
    runtime::PodRuntimeSpec& spec, const nlohmann::json& pod, const store::Informer& services, const EnvSources& in) {
  const nlohmann::json& pod_spec = api::member(pod, "spec");
  const bool links = api::member(pod_spec, "enableServiceLinks") != false;
  const api::EnvMap service_env = service_env_for(services, spec.namespace_, links);
  const nlohmann::json& containers = api::member(pod_spec, "containers");
  std::vector<std::string> warnings;
  api::EnvInputs env_in{&in.lookup, in.addresses, in.node, &service_env};
  for (size_t i = 0; i < spec.containers.size() && i < containers.size(); ++i) {
    auto& c = spec.containers[i];
    auto env = api::container_env_from_sources(pod, containers[i], env_in);
    if (!env) return std::unexpected(ContainerConfigError{c.name, env.error().what()});
    c.env = std::move(env->env);
    warnings.insert(warnings.end(), env->warnings.begin(), env->warnings.end());
    c.command = api::expand_words(c.command, c.env);
    c.args = api::expand_words(c.args, c.env);
    auto mounts = container_mounts(pod, containers[i], spec.state_dir, c.env);
    if (!mounts) return std::unexpected(ContainerConfigError{c.name, mounts.error().what()});
    c.mounts = std::move(*mounts);
  }
  spec.memory_volumes = memory_volumes(pod, spec.state_dir);
  return warnings;
}

}  // namespace lab::node
