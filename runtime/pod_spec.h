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
  bool stdin = false;       // k8s `stdin`: a stdin pipe fed by attached clients
  bool stdin_once = false;  // k8s `stdinOnce`: that pipe closes when the first attach ends
  bool tty = false;         // k8s `tty`: a pty of the container's devpts as its stdio
};

struct PodRuntimeSpec {
  std::string lab;
  std::string namespace_;
  std::string name;                      // pod name
  std::string hostname;                  // the containers' hostname (spec.hostname, else the name)
  std::string host_domain;               // "<subdomain>.<ns>.svc.cluster.local", or ""
  std::string ip;                        // pod IP, for /etc/hosts
  // resolv.conf, as the kubelet formed it from dnsPolicy and dnsConfig.
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;  // "ndots:5"
  std::string state_dir;                 // host dir for this pod's files (logs, status)
  std::string api_socket_dir;            // host dir of the lab's read-only API socket (images that read the API)
  std::string applets_dir;               // host dir of busybox's applet links, the containers' /bin ("": made per container)
  std::string restart_policy = "Always"; // k8s restartPolicy: Always, OnFailure, Never
  std::vector<ContainerSpec> containers;

  // The hostname to give the containers (the pod name when none was set).
  const std::string& host_name() const { return hostname.empty() ? name : hostname; }
};

void to_json(nlohmann::json& j, const ContainerSpec& c);
void from_json(const nlohmann::json& j, ContainerSpec& c);
void to_json(nlohmann::json& j, const PodRuntimeSpec& p);
void from_json(const nlohmann::json& j, PodRuntimeSpec& p);

}  // namespace lab::runtime
