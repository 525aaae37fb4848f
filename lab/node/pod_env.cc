// The node's resolver is the host's /etc/resolv.conf (a lab node is a netns on the host, with
// the host's files); read at each pod start, as the kubelet reads its --resolv-conf.
#include "lab/node/pod_env.h"

#include "lab/api/json_access.h"
#include "lab/api/pod_dns.h"
#include "lab/api/service_env.h"
#include "lab/base/unique_fd.h"

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

  const bool links = api::member(pod_spec, "enableServiceLinks") != false;
  const api::EnvMap service_env = service_env_for(services, spec.namespace_, links);
  for (auto& c : spec.containers) {
    c.env = api::container_env(c.env, service_env);
    c.command = api::expand_words(c.command, c.env);
    c.args = api::expand_words(c.args, c.env);
  }
  return dns.warnings;
}

}  // namespace lab::node
