// What the node agent hands to a pod's init process: everything needed to build the
// containers' root filesystems and start their processes, serializable as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/caps.h"
#include "runtime/cgroups.h"

namespace lab::runtime {

// A container's securityContext as the kubelet resolved it (the pod's merged in, the
// container's winning): who the process runs as and how it is confined.
struct SecuritySpec {
  std::optional<int64_t> run_as_user;    // unset: the image's user (root for every lab image)
  std::optional<int64_t> run_as_group;   // unset: group 0, as runc without a passwd entry
  std::vector<int64_t> supplemental_groups;  // supplementalGroups, then fsGroup (as the kubelet)
  CapSet capabilities = default_caps();  // after capabilities.add/drop
  bool seccomp_unconfined = false;       // seccompProfile.type Unconfined
  bool read_only_root = false;           // readOnlyRootFilesystem
  bool operator==(const SecuritySpec&) const = default;
};

// A pod volume shown in a container (a volumeMount): a bind of a host path the kubelet prepared.
struct VolumeMount {
  std::string source;    // host path: the volume's directory under the pod's state dir, or a hostPath
  std::string sub_path;  // below source ("" = all of it), resolved without leaving it, made when missing
  std::string target;    // absolute path in the container
  bool read_only = true;
  bool operator==(const VolumeMount&) const = default;
};

// An emptyDir of medium Memory: a tmpfs the pod init mounts at path in the pod's mount namespace
// (never the host's), so that every container of the pod binds the same one.
struct MemoryVolume {
  std::string path;
  uint64_t size_bytes = 0;  // sizeLimit; 0 = tmpfs's default
  bool operator==(const MemoryVolume&) const = default;
};

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
  SecuritySpec security;    // k8s securityContext, resolved
  CgroupLimits resources;   // k8s resources, as the container cgroup's limits
  std::vector<VolumeMount> mounts;  // k8s volumeMounts, resolved to host paths
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
  std::string images_dir;                // host dir of the image roots (image_root.h), each a container's /usr
  std::string restart_policy = "Always"; // k8s restartPolicy: Always, OnFailure, Never
  std::vector<ContainerSpec> containers;
  // The pod's cgroup relative to each hierarchy's root (cgroups.h pod_cgroup; "" = none), its
  // limits (the pids limit; the containers' memory and CPU summed when each has one), and
  // fsGroup (the volumes' group; already among each container's supplemental groups).
  std::string cgroup;
  CgroupLimits pod_resources;
  std::optional<int64_t> fs_group;
  std::vector<MemoryVolume> memory_volumes;  // emptyDir medium Memory

  // The hostname to give the containers (the pod name when none was set).
  const std::string& host_name() const { return hostname.empty() ? name : hostname; }
};

void to_json(nlohmann::json& j, const ContainerSpec& c);
void from_json(const nlohmann::json& j, ContainerSpec& c);
void to_json(nlohmann::json& j, const PodRuntimeSpec& p);
void from_json(const nlohmann::json& j, PodRuntimeSpec& p);

}  // namespace lab::runtime
