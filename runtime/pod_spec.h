// What the node agent hands to a pod's init process: everything needed to build the
// containers' root filesystems and start their processes, serializable as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace lab::runtime {

struct ContainerSpec {
  std::string name;
  std::string image;                     // catalog name, already validated
  std::vector<std::string> command;      // k8s `command` (overrides ENTRYPOINT), may be empty
  std::vector<std::string> args;         // k8s `args` (overrides CMD), may be empty
  std::vector<std::pair<std::string, std::string>> env;  // k8s env, in order
  std::string working_dir;
  std::string log_path;                  // host path for stdout+stderr
};

struct PodRuntimeSpec {
  std::string lab;
  std::string namespace_;
  std::string name;                      // pod name, also the hostname
  std::string ip;                        // pod IP, for /etc/hosts
  std::vector<std::string> dns_search;   // resolv.conf search list
  std::string dns_server;                // resolv.conf nameserver
  std::string state_dir;                 // host dir for this pod's files (logs, status)
  std::vector<ContainerSpec> containers;
};

void to_json(nlohmann::json& j, const ContainerSpec& c);
void from_json(const nlohmann::json& j, ContainerSpec& c);
void to_json(nlohmann::json& j, const PodRuntimeSpec& p);
void from_json(const nlohmann::json& j, PodRuntimeSpec& p);

}  // namespace lab::runtime
