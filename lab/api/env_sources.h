// A container's environment as the kubelet's makeEnvironmentVariables builds it when the container
// starts: envFrom (ConfigMaps and Secrets, whole, with a prefix), then env (a value with `$(VAR)`
// expanded; a valueFrom read from the pod's fields, its resources, a ConfigMap's or a Secret's
// key, never expanded), then the Service variables no entry names. Pure: the objects come from a
// lookup the caller gives (the kubelet's informers).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/api/downward_api.h"
#include "lab/api/env_expand.h"
#include "lab/api/service_env.h"
#include "lab/base/result.h"

namespace lab::api {

// The object of kind ("ConfigMap", "Secret") and name in the pod's namespace, null when missing.
using ObjectLookup = std::function<std::shared_ptr<const nlohmann::json>(const std::string& kind,
                                                                         const std::string& name)>;

struct ContainerEnv {
  EnvList env;
  // InvalidEnvironmentVariableNames: envFrom keys skipped, one message per source, as the
  // kubelet's event says it.
  std::vector<std::string> warnings;
};

struct EnvInputs {
  const ObjectLookup* lookup = nullptr;
  PodAddresses addresses;
  NodeAllocatable node;
  const EnvMap* service_env = nullptr;
};

// The environment of container (an entry of pod.spec.containers). A missing object or key that is
// not optional is an error in the kubelet's words (`configmaps "c" not found`, `couldn't find key
// k in ConfigMap default/c`), which becomes the container's CreateContainerConfigError.
Result<ContainerEnv> container_env_from_sources(const nlohmann::json& pod, const nlohmann::json& container,
                                                const EnvInputs& in);

// The bytes of key in a Secret's data (base64) or a ConfigMap's data (and binaryData, for volumes:
// the environment reads only data); nullopt when the object has no such key (or it does not decode).
std::optional<std::string> object_value(const nlohmann::json& obj, const std::string& kind, const std::string& key,
                                        bool binary = true);
// Every key and value of the object as above, sorted by key.
std::vector<std::pair<std::string, std::string>> object_values(const nlohmann::json& obj, const std::string& kind,
                                                               bool binary = true);
// `configmaps "c" not found`, `secrets "s" not found`: the apiserver's NotFound text.
std::string not_found_message(const std::string& kind, const std::string& name);

}  // namespace lab::api
