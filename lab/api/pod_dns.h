// A pod's DNS settings and host name as the kubelet forms them (pkg/kubelet/network/dns/dns.go
// GetPodDNS, kubelet_pods.go GeneratePodHostNameAndDomain): the resolv.conf of its dnsPolicy
// (ClusterFirst: the cluster DNS and the cluster search list; Default: the node's resolver;
// None: nothing) with spec.dnsConfig merged in, cut to the resolver's limits; the hostname from
// spec.hostname or the pod name, and the domain from spec.subdomain. Plain values in and out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lab::api {

struct ResolverConfig {
  std::vector<std::string> servers, searches, options;  // options as "ndots:5", "rotate"
  bool operator==(const ResolverConfig&) const = default;
};

// parseResolvConf: nameserver lines add, the last search line wins (trailing dots dropped, "."
// skipped), options lines merge by name (a later one replaces an earlier one in place).
ResolverConfig parse_resolv_conf(std::string_view text);

struct PodDns {
  ResolverConfig config;
  // What the kubelet's DNSConfigForming events say when limits cut the lists.
  std::vector<std::string> warnings;
};

// pod_spec: the pod's validated spec (dnsPolicy, dnsConfig); ns: its namespace; node: the
// node's resolver (for Default); cluster_dns: the kube-dns Service address.
PodDns pod_dns(const nlohmann::json& pod_spec, std::string_view ns, const ResolverConfig& node,
               const std::string& cluster_dns, const std::string& cluster_domain = "cluster.local");

struct PodHostname {
  std::string hostname;  // spec.hostname, else the pod name; at most 63 characters
  std::string domain;    // "<subdomain>.<ns>.svc.<cluster domain>", or "" without a subdomain
};
PodHostname pod_hostname(std::string_view pod_name, std::string_view ns, const nlohmann::json& pod_spec,
                         const std::string& cluster_domain = "cluster.local");

}  // namespace lab::api
