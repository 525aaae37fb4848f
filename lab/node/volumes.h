// A pod's volumes on the kubelet's side, as its volume manager and plugins: each volume is a
// directory under the pod's state dir (`<state dir>/volumes/<name>`), made before the pod starts:
// an emptyDir is an empty directory (a tmpfs for medium Memory, which the pod init mounts in the
// pod's own mount namespace), a hostPath is checked against its type (and made, for the OrCreate
// types), and a secret, configMap, downwardAPI or projected volume holds its files, written with
// the atomic writer and written again when its objects or the pod's labels change. The state dir
// lives under /run (a tmpfs): a Secret's bytes never reach a disk. The runtime binds each
// volumeMount (runtime::VolumeMount) into the container.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/api/env_sources.h"
#include "lab/node/atomic_writer.h"
#include "runtime/pod_spec.h"

namespace lab::node {

using Json = nlohmann::json;

// The token of a projected serviceAccountToken source, as the kubelet's TokenRequest for the pod
// (pod, audience "" = the API's own, expirationSeconds) gets it: bound to the pod, for its
// spec.serviceAccountName; an error when there is none to be had.
using ServiceAccountTokenSource =
    std::function<Result<std::string>(const Json& pod, const std::string& audience, int64_t seconds)>;

struct VolumeInputs {
  api::ObjectLookup lookup;                   // Secrets and ConfigMaps of the pod's namespace
  api::NodeAllocatable node;                  // what an unset limit reads as (resourceFieldRef)
  gid_t gid = static_cast<gid_t>(-1);         // fsGroup: the group of the volumes' files
  ServiceAccountTokenSource service_account_token = nullptr;  // null: no tokens (a FailedMount)
};

// `<state_dir>/volumes/<name>`.
std::string volume_dir(const std::string& state_dir, const std::string& name);

// The files of a secret, configMap, downwardAPI or projected volume (nullopt for another kind),
// or why they cannot be had, in the kubelet's words (`configmap "c" not found`,
// `configmap references non-existent config key: k`).
Result<std::optional<Payload>> volume_payload(const Json& pod, const Json& volume, const VolumeInputs& in);

// A volume that could not be set up: FailedMount's message is event().
struct MountFailure {
  std::string volume, message;
  std::string event() const {
    return "MountVolume.SetUp failed for volume \"" + volume + "\" : " + message;
  }
};

// Sets up every volume of pod under state_dir. written holds the payloads written so far by
// volume name (a payload equal to the written one is not compared on disk again). content_only:
// the refresh of a running pod, which rewrites the files of secret, configMap, downwardAPI and
// projected volumes and touches nothing else; a volume whose objects went keeps its files.
std::optional<MountFailure> set_up_volumes(const Json& pod, const std::string& state_dir, const VolumeInputs& in,
                                           std::map<std::string, Payload>& written, bool content_only = false);

// The volumes directory of a pod and all in it (the pod is gone).
void remove_volumes(const std::string& state_dir);

// The runtime's mounts of container (an entry of pod.spec.containers): host paths, read-only as
// Kubernetes makes them, subPathExpr expanded against env (the container's environment). An
// expansion that leaves the volume is an error (CreateContainerConfigError).
Result<std::vector<runtime::VolumeMount>> container_mounts(const Json& pod, const Json& container,
                                                           const std::string& state_dir, const api::EnvList& env);
// The pod's emptyDirs of medium Memory.
std::vector<runtime::MemoryVolume> memory_volumes(const Json& pod, const std::string& state_dir);

// Whether pod reads the object kind ("Secret", "ConfigMap") named name: a volume, a projected
// source, an env valueFrom or an envFrom.
bool pod_references(const Json& pod, const std::string& kind, const std::string& name);
// Whether a volume of pod shows its labels or annotations (downwardAPI, or a projected source).
bool has_downward_volumes(const Json& pod);

}  // namespace lab::node
