// The kubelet's DNS configurer, with Go's map iteration replaced by a stable order: options keep
// the place of their first appearance.
#include "lab/api/pod_dns.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "lab/api/json_access.h"

namespace lab::api {

namespace {

// Kubernetes' MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars (from libc's limits).
constexpr size_t kMaxNameservers = 3, kMaxSearchPaths = 32, kMaxSearchListChars = 2048;
constexpr size_t kMaxSearchLength = 253;  // DNS1123SubdomainMaxLength: longer ones abort glibc

std::string option_name(const std::string& option) { return option.substr(0, option.find(':')); }

// appendOptions / mergeDNSOptions: by name, a later option replaces an earlier one.
void merge_option(std::vector<std::string>& options, const std::string& option) {
  const std::string name = option_name(option);
  for (auto& o : options)
    if (option_name(o) == name) {
      o = option;
      return;
    }
  options.push_back(option);
}

std::vector<std::string> omit_duplicates(const std::vector<std::string>& in) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& s : in)
    if (seen.insert(s).second) out.push_back(s);
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

// formDNSSearchFitsLimits.
std::vector<std::string> fit_searches(std::vector<std::string> search, std::vector<std::string>& warnings) {
  bool exceeded = false;
  if (search.size() > kMaxSearchPaths) {
    search.resize(kMaxSearchPaths);
    exceeded = true;
  }
  size_t before = search.size();
  std::erase_if(search, [](const std::string& s) { return s.size() > kMaxSearchLength; });
  exceeded = exceeded || search.size() != before;
  if (size_t len = join(search).size(); len > kMaxSearchListChars) {
    // Drop from the end until the line fits.
    while (!search.empty() && join(search).size() > kMaxSearchListChars) search.pop_back();
    exceeded = true;
  }
  if (exceeded)
    warnings.push_back("Search Line limits were exceeded, some search paths have been omitted, the applied search line is: " +
                       join(search));
  return search;
}

}  // namespace

ResolverConfig parse_resolv_conf(std::string_view text) {
  ResolverConfig c;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> f;
    for (std::string w; words >> w;) f.push_back(w);
    if (f.empty() || f[0].starts_with("#") || f[0].starts_with(";")) continue;
    if (f[0] == "nameserver" && f.size() >= 2) {
      c.servers.push_back(f[1]);
    } else if (f[0] == "search") {
      c.searches.clear();
      for (size_t i = 1; i < f.size(); ++i) {
        if (f[i] == ".") continue;
        std::string s = f[i];
        if (s.ends_with('.')) s.pop_back();
        c.searches.push_back(s);
      }
    } else if (f[0] == "options") {
      for (size_t i = 1; i < f.size(); ++i) merge_option(c.options, f[i]);
    }
  }
  return c;
}

PodDns pod_dns(const nlohmann::json& pod_spec, std::string_view ns, const ResolverConfig& node,
               const std::string& cluster_dns, const std::string& cluster_domain) {
  PodDns out;
  std::string policy = string_at(pod_spec, "dnsPolicy");
  if (policy.empty()) policy = "ClusterFirst";
  ResolverConfig& c = out.config;
  if (policy == "None") {
    // Empty: dnsConfig is all of it.
  } else if (policy == "Default") {
    c = node;
  } else {
    // ClusterFirst (a lab pod is never on the host network) and ClusterFirstWithHostNet.
    c.servers = {cluster_dns};
    const std::string ns_domain = std::string(ns) + ".svc." + cluster_domain;
    std::vector<std::string> search = {ns_domain, "svc." + cluster_domain, cluster_domain};
    search.insert(search.end(), node.searches.begin(), node.searches.end());
    c.searches = omit_duplicates(search);
    c.options = {"ndots:5"};
  }
  const nlohmann::json& extra = member(pod_spec, "dnsConfig");
  if (extra.is_object()) {
    // appendDNSConfig.
    auto servers = c.servers, searches = c.searches;
    for (auto& s : strings_at(extra, "nameservers")) servers.push_back(s);
    for (auto& s : strings_at(extra, "searches")) searches.push_back(s);
    c.servers = omit_duplicates(servers);
    c.searches = omit_duplicates(searches);
    const nlohmann::json& options = member(extra, "options");
    if (options.is_array())
      for (const auto& o : options) {
        std::string name = string_at(o, "name");
        if (name.empty()) continue;
        std::string value = string_at(o, "value");
        merge_option(c.options, value.empty() ? name : name + ":" + value);
      }
  }
  // formDNSConfigFitsLimits.
  if (c.servers.size() > kMaxNameservers) {
    c.servers.resize(kMaxNameservers);
    out.warnings.push_back(
        "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: " +
        join(c.servers));
  }
  c.searches = fit_searches(std::move(c.searches), out.warnings);
  return out;
}

PodHostname pod_hostname(std::string_view pod_name, std::string_view ns, const nlohmann::json& pod_spec,
                         const std::string& cluster_domain) {
  PodHostname h;
  h.hostname = string_at(pod_spec, "hostname");
  if (h.hostname.empty()) h.hostname = std::string(pod_name);
  // truncatePodHostnameIfNeeded: 63 characters, and no trailing '-' or '.'.
  if (h.hostname.size() > 63) {
    h.hostname.resize(63);
    while (!h.hostname.empty() && (h.hostname.back() == '-' || h.hostname.back() == '.')) h.hostname.pop_back();
  }
  if (std::string sub = string_at(pod_spec, "subdomain"); !sub.empty())
    h.domain = sub + "." + std::string(ns) + ".svc." + cluster_domain;
  return h;
}

}  // namespace lab::api
