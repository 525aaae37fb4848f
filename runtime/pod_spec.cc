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
}

void to_json(nlohmann::json& j, const PodRuntimeSpec& p) {
  j = {{"lab", p.lab},           {"namespace", p.namespace_},   {"name", p.name},
       {"ip", p.ip},             {"dnsSearch", p.dns_search},   {"dnsServer", p.dns_server},
       {"stateDir", p.state_dir}, {"containers", p.containers}};
}

void from_json(const nlohmann::json& j, PodRuntimeSpec& p) {
  p.lab = j.value("lab", "");
  p.namespace_ = j.value("namespace", "default");
  p.name = j.at("name").get<std::string>();
  p.ip = j.value("ip", "");
  p.dns_search = j.value("dnsSearch", std::vector<std::string>{});
  p.dns_server = j.value("dnsServer", "");
  p.state_dir = j.at("stateDir").get<std::string>();
  p.containers = j.value("containers", std::vector<ContainerSpec>{});
}

}  // namespace lab::runtime
