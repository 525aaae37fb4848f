// JSON form of the pod runtime spec, the file the node agent hands to `lab __pod-init`.
// Field names follow the Kubernetes spelling where one exists (workingDir, not working_dir).
#include "runtime/pod_spec.h"

namespace lab::runtime {
namespace {

nlohmann::json limits_json(const CgroupLimits& l) {
  nlohmann::json j = nlohmann::json::object();
  if (l.memory_bytes) j["memoryBytes"] = l.memory_bytes;
  if (l.cpu_quota_us) j["cpuQuotaMicros"] = l.cpu_quota_us, j["cpuPeriodMicros"] = l.cpu_period_us;
  if (l.cpu_shares) j["cpuShares"] = l.cpu_shares;
  if (l.pids_max) j["pidsMax"] = l.pids_max;
  return j;
}

CgroupLimits limits_from(const nlohmann::json& j) {
  CgroupLimits l;
  if (!j.is_object()) return l;
  l.memory_bytes = j.value("memoryBytes", int64_t{0});
  l.cpu_quota_us = j.value("cpuQuotaMicros", int64_t{0});
  l.cpu_period_us = j.value("cpuPeriodMicros", int64_t{100'000});
  l.cpu_shares = j.value("cpuShares", int64_t{0});
  l.pids_max = j.value("pidsMax", int64_t{0});
  return l;
}

nlohmann::json security_json(const SecuritySpec& s) {
  nlohmann::json j = {{"capabilities", s.capabilities}};
  if (s.run_as_user) j["runAsUser"] = *s.run_as_user;
  if (s.run_as_group) j["runAsGroup"] = *s.run_as_group;
  if (!s.supplemental_groups.empty()) j["supplementalGroups"] = s.supplemental_groups;
  if (s.seccomp_unconfined) j["seccompUnconfined"] = true;
  if (s.read_only_root) j["readOnlyRootFilesystem"] = true;
  return j;
}

SecuritySpec security_from(const nlohmann::json& j) {
  SecuritySpec s;
  if (!j.is_object()) return s;
  s.capabilities = j.value("capabilities", default_caps());
  if (j.contains("runAsUser")) s.run_as_user = j.at("runAsUser").get<int64_t>();
  if (j.contains("runAsGroup")) s.run_as_group = j.at("runAsGroup").get<int64_t>();
  s.supplemental_groups = j.value("supplementalGroups", std::vector<int64_t>{});
  s.seccomp_unconfined = j.value("seccompUnconfined", false);
  s.read_only_root = j.value("readOnlyRootFilesystem", false);
  return s;
}

}  // namespace

void to_json(nlohmann::json& j, const ContainerSpec& c) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [name, value] : c.env) env.push_back({{"name", name}, {"value", value}});
  j = {{"name", c.name},       {"image", c.image},           {"command", c.command},
       {"args", c.args},       {"env", env},                 {"workingDir", c.working_dir},
       {"logPath", c.log_path}};
  if (c.stdin) j["stdin"] = true;
  if (c.stdin_once) j["stdinOnce"] = true;
  if (c.tty) j["tty"] = true;
  if (c.security != SecuritySpec{}) j["security"] = security_json(c.security);
  if (c.resources != CgroupLimits{}) j["resources"] = limits_json(c.resources);
  if (!c.mounts.empty()) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : c.mounts) {
      nlohmann::json one = {{"source", m.source}, {"target", m.target}, {"readOnly", m.read_only}};
      if (!m.sub_path.empty()) one["subPath"] = m.sub_path;
      mounts.push_back(std::move(one));
    }
    j["mounts"] = std::move(mounts);
  }
}

void from_json(const nlohmann::json& j, ContainerSpec& c) {
  c.name = j.at("name").get<std::string>();
  c.image = j.at("image").get<std::string>();
  c.command = j.value("command", std::vector<std::string>{});
  c.args = j.value("args", std::vector<std::string>{});
  c.env.clear();
  for (const auto& e : j.value("env", nlohmann::json::array()))
    c.env.emplace_back(e.at("name").get<std::string>(), e.value("value", ""));
  c.working_dir = j.value("workingDir", "");
  c.log_path = j.value("logPath", "");
  c.stdin = j.value("stdin", false);
  c.stdin_once = j.value("stdinOnce", false);
  c.tty = j.value("tty", false);
  c.security = security_from(j.value("security", nlohmann::json()));
  c.resources = limits_from(j.value("resources", nlohmann::json()));
  c.mounts.clear();
  for (const auto& m : j.value("mounts", nlohmann::json::array()))
    c.mounts.push_back({m.at("source").get<std::string>(), m.value("subPath", ""), m.at("target").get<std::string>(),
                        m.value("readOnly", true)});
}

void to_json(nlohmann::json& j, const PodRuntimeSpec& p) {
  j = {{"lab", p.lab},           {"namespace", p.namespace_},   {"name", p.name},
       {"hostname", p.hostname}, {"hostDomain", p.host_domain}, {"ip", p.ip},
       {"dnsServers", p.dns_servers}, {"dnsSearch", p.dns_search}, {"dnsOptions", p.dns_options},
       {"stateDir", p.state_dir}, {"containers", p.containers}};
  if (!p.api_socket_dir.empty()) j["apiSocketDir"] = p.api_socket_dir;
  if (!p.applets_dir.empty()) j["appletsDir"] = p.applets_dir;
  if (!p.images_dir.empty()) j["imagesDir"] = p.images_dir;
  if (p.restart_policy != "Always") j["restartPolicy"] = p.restart_policy;
  if (!p.cgroup.empty()) j["cgroup"] = p.cgroup;
  if (p.pod_resources != CgroupLimits{}) j["podResources"] = limits_json(p.pod_resources);
  if (p.fs_group) j["fsGroup"] = *p.fs_group;
  if (!p.memory_volumes.empty()) {
    nlohmann::json vols = nlohmann::json::array();
    for (const auto& v : p.memory_volumes) vols.push_back({{"path", v.path}, {"sizeBytes", v.size_bytes}});
    j["memoryVolumes"] = std::move(vols);
  }
}

void from_json(const nlohmann::json& j, PodRuntimeSpec& p) {
  p.lab = j.value("lab", "");
  p.namespace_ = j.value("namespace", "default");
  p.name = j.at("name").get<std::string>();
  p.hostname = j.value("hostname", "");
  if (p.hostname.empty()) p.hostname = p.name;
  p.host_domain = j.value("hostDomain", "");
  p.ip = j.value("ip", "");
  p.dns_servers = j.value("dnsServers", std::vector<std::string>{});
  p.dns_search = j.value("dnsSearch", std::vector<std::string>{});
  p.dns_options = j.value("dnsOptions", std::vector<std::string>{});
  p.state_dir = j.at("stateDir").get<std::string>();
  p.api_socket_dir = j.value("apiSocketDir", "");
  p.applets_dir = j.value("appletsDir", "");
  p.images_dir = j.value("imagesDir", "");
  p.containers = j.value("containers", std::vector<ContainerSpec>{});
  p.restart_policy = j.value("restartPolicy", "Always");
  p.cgroup = j.value("cgroup", "");
  p.pod_resources = limits_from(j.value("podResources", nlohmann::json()));
  if (j.contains("fsGroup")) p.fs_group = j.at("fsGroup").get<int64_t>();
  p.memory_volumes.clear();
  for (const auto& v : j.value("memoryVolumes", nlohmann::json::array()))
    p.memory_volumes.push_back({v.at("path").get<std::string>(), v.value("sizeBytes", uint64_t{0})});
}

}  // namespace lab::runtime
