// pkg/kubelet/envvars/envvars.go and kubelet_pods.go (getServiceEnvVarMap,
// makeEnvironmentVariables, ExpandContainerCommandAndArgs), over plain values.
#include "lab/api/service_env.h"

#include <algorithm>
#include <set>

#include "lab/api/json_access.h"

namespace lab::api {

namespace {

// net.JoinHostPort: an IPv6 address goes in brackets.
std::string join_host_port(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

std::optional<ServiceEnvSource> service_env_source(const nlohmann::json& svc) {
  const nlohmann::json& spec = member(svc, "spec");
  ServiceEnvSource s;
  s.cluster_ip = string_at(spec, "clusterIP");
  if (s.cluster_ip.empty() || s.cluster_ip == "None") return std::nullopt;
  s.ns = string_at(metadata_of(svc), "namespace");
  if (s.ns.empty()) s.ns = "default";
  s.name = string_at(metadata_of(svc), "name");
  const nlohmann::json& ports = member(spec, "ports");
  if (ports.is_array())
    for (const auto& p : ports) {
      ServicePortEnv pe;
      pe.name = string_at(p, "name");
      const nlohmann::json& port = member(p, "port");
      pe.port = port.is_number_integer() ? port.get<int>() : 0;
      if (std::string proto = string_at(p, "protocol"); !proto.empty()) pe.protocol = proto;
      s.ports.push_back(std::move(pe));
    }
  return s;
}

std::string env_var_name(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return upper(std::move(out));
}

EnvList service_env_vars(const ServiceEnvSource& svc) {
  EnvList out;
  if (svc.ports.empty()) return out;  // validation requires one; never index an empty list
  const std::string prefix = env_var_name(svc.name);
  out.emplace_back(prefix + "_SERVICE_HOST", svc.cluster_ip);
  const std::string port_var = prefix + "_SERVICE_PORT";
  out.emplace_back(port_var, std::to_string(svc.ports[0].port));
  for (const auto& p : svc.ports)
    if (!p.name.empty()) out.emplace_back(port_var + "_" + env_var_name(p.name), std::to_string(p.port));
  // Docker links.
  for (size_t i = 0; i < svc.ports.size(); ++i) {
    const auto& p = svc.ports[i];
    const std::string proto = lower(p.protocol);
    const std::string url = proto + "://" + join_host_port(svc.cluster_ip, p.port);
    if (i == 0) out.emplace_back(prefix + "_PORT", url);
    const std::string port_prefix = prefix + "_PORT_" + std::to_string(p.port) + "_" + upper(p.protocol);
    out.emplace_back(port_prefix, url);
    out.emplace_back(port_prefix + "_PROTO", proto);
    out.emplace_back(port_prefix + "_PORT", std::to_string(p.port));
    out.emplace_back(port_prefix + "_ADDR", svc.cluster_ip);
  }
  return out;
}

EnvMap service_env_map(const std::vector<ServiceEnvSource>& services, std::string_view ns,
                       bool enable_service_links) {
  // By name, as the kubelet's serviceMap: the master service of `default` only when the pod's
  // namespace has no Service of that name.
  std::map<std::string, const ServiceEnvSource*> chosen;
  for (const auto& s : services) {
    if (s.ns == ns && enable_service_links) chosen[s.name] = &s;
    else if (s.ns == "default" && s.name == "kubernetes") chosen.try_emplace(s.name, &s);
  }
  EnvMap env;
  for (const auto& [name, s] : chosen)
    for (auto& [k, v] : service_env_vars(*s)) env[k] = v;
  return env;
}

EnvList container_env(const EnvList& declared, const EnvMap& service_env) {
  EnvMap mine;
  std::vector<std::string> order;
  for (const auto& [name, value] : declared) {
    // An empty value stays empty (it may be a valueFrom the kubelet fills; lab has none).
    std::string v = value.empty() ? value : expand_env(value, {&mine, &service_env});
    if (mine.insert_or_assign(name, std::move(v)).second) order.push_back(name);
  }
  EnvList out;
  for (const auto& name : order) out.emplace_back(name, mine.find(name)->second);
  for (const auto& [k, v] : service_env)
    if (!mine.contains(k)) out.emplace_back(k, v);
  return out;
}

std::vector<std::string> expand_words(const std::vector<std::string>& words, const EnvList& env) {
  EnvMap m;
  for (const auto& [k, v] : env) m[k] = v;
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words) out.push_back(expand_env(w, {&m}));
  return out;
}

}  // namespace lab::api
