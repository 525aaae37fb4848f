// Secrets and ConfigMaps (core/v1): their schema tables, the key rules they share, and what an
// update of an immutable one may not change (ValidateSecretUpdate, ValidateConfigMapUpdate).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/api/schema.h"
#include "lab/api/validate.h"

namespace lab::api {

// core.MaxSecretSize: the most bytes a Secret's data (or a ConfigMap's data and binaryData) holds.
constexpr size_t kMaxConfigBytes = 1024 * 1024;

// validation.IsConfigMapKey: every rule a data key breaks, in Kubernetes' words (empty: fine).
std::vector<std::string> config_key_errors(const std::string& key);
// validation.IsEnvVarName (the keys of an env file, for `create secret|configmap --from-env-file`).
std::vector<std::string> env_var_name_errors(const std::string& name);

// The update rules of immutable Secrets and ConfigMaps and of a Secret's type; obj and old are
// both validated (defaulted) objects of kind `kind`.
std::vector<FieldError> config_update_errors(const std::string& kind, const nlohmann::json& obj,
                                             const nlohmann::json& old);

namespace schema {
extern const ObjectSchema kSecretDocument;
extern const ObjectSchema kConfigMapDocument;
}  // namespace schema

}  // namespace lab::api
