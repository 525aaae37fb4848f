// JSON form of the pod runtime spec, the file the node agent hands to `lab __pod-init`.
// Field names follow the Kubernetes spelling where one exists (workingDir, not working_dir).
#include "runtime/pod_spec.h"

namespace lab::runtime {

void to_json(nlohmann::json& j, const ContainerSpec& c) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [name, value] : c.env) env.push_back({{"name", name}, {"value", value}});
  j = {{"name", c.name},       {"image", c.image},           {"command", c.command},
       {"args", c.args},       {"env", env},                 {"workingDir", c.working_dir},
       {"logPath", c.log_path}};
  if (c.stdin) j["stdin"] = true;
  if (c.stdin_once) j["stdinOnce"] = true;
  if (c.tty) j["tty"] = true;
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
}

void to_json(nlohmann::json& j, const PodRuntimeSpec& p) {
  j = {{"lab", p.lab},           {"namespace", p.namespace_},   {"name", p.name},
       {"hostname", p.hostname}, {"hostDomain", p.host_domain}, {"ip", p.ip},
       {"dnsServers", p.dns_servers}, {"dnsSearch", p.dns_search}, {"dnsOptions", p.dns_options},
       {"stateDir", p.state_dir}, {"containers", p.containers}};
  if (!p.api_socket_dir.empty()) j["apiSocketDir"] = p.api_socket_dir;
  if (!p.applets_dir.empty()) j["appletsDir"] = p.applets_dir;
  if (p.restart_policy != "Always") j["restartPolicy"] = p.restart_policy;
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
  p.containers = j.value("containers", std::vector<ContainerSpec>{});
  p.restart_policy = j.value("restartPolicy", "Always");
}

}  // namespace lab::runtime
