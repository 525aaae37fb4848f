// The tables for a pod's volumes, its containers' volumeMounts, env[].valueFrom and envFrom
// (schema_volumes.cc), for schema_pod.cc. Not for use outside lab/api/schema*.
#pragma once

#include "lab/api/schema.h"

namespace lab::api::schema {

extern const ObjectSchema kVolume;          // spec.volumes[*]
extern const ObjectSchema kVolumeMount;     // spec.containers[*].volumeMounts[*]
extern const ObjectSchema kEnvVarSource;    // spec.containers[*].env[*].valueFrom
extern const ObjectSchema kEnvFromSource;   // spec.containers[*].envFrom[*]

// env[*]: `value` and `valueFrom` are exclusive.
std::optional<Problem> finish_env_var(nlohmann::json& e);

// The rules across a pod spec's volumes and its containers' mounts: volume names unique, every
// mount naming a volume, mount paths unique per container. Paths relative to the spec.
std::optional<Problem> check_pod_volumes(const nlohmann::json& spec);

}  // namespace lab::api::schema
