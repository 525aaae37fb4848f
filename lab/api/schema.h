// The Kubernetes fields a scenario may use, as tables: each object type lists its fields with their
// YAML type, whether they are required and how a value is checked; a hook fills defaults afterwards.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lab::api::schema {

enum class Type {
  String,
  Int,
  Bool,
  IntOrString,      // ports ("http" or 80), maxSurge ("25%" or 1)
  Quantity,         // resources: "500m", 0.5, "128Mi"; kept as a string
  StringList,       // command, args
  StringMap,        // labels, annotations, nodeSelector
  QuantityMap,      // resources.limits, resources.requests
  Object,           // nested mapping described by `object`
  ObjectList,       // list of such mappings (containers, ports, env)
  IntOrStringList,  // Lab spec.nodes: a count or a list of names
  Ignored,          // accepted and dropped (status, creationTimestamp from `kubectl ... -o yaml`)
  Unsupported,      // a real Kubernetes field lab does not implement yet: a clear error, not "unknown"
};

// Returns "" when the value is fine, else what is wrong and what was expected. Runs on scalar
// values, on each item of a StringList and on each value (or key) of a map.
using Check = std::string (*)(const nlohmann::json& value);

struct ObjectSchema;

struct Field {
  std::string_view name;
  Type type;
  const ObjectSchema* object = nullptr;  // Object, ObjectList
  bool required = false;
  std::vector<std::string_view> values = {};  // an enum: the only values accepted
  Check check = nullptr;
  Check key_check = nullptr;  // maps: on each key
  std::string_view note = {};  // Unsupported: what to do instead
};

// A problem found by a hook; path is relative to the object the hook ran on ("" = the object).
struct Problem {
  std::string path;
  std::string message;
};

struct ObjectSchema {
  std::vector<Field> fields;
  // Fills defaults and checks rules across fields, after every field converted (children first).
  std::optional<Problem> (*finish)(nlohmann::json& object) = nullptr;
};

// Whole documents (apiVersion, kind, metadata, spec). The caller checks apiVersion and kind first.
extern const ObjectSchema kLabDocument;
extern const ObjectSchema kPodDocument;
extern const ObjectSchema kDeploymentDocument;
extern const ObjectSchema kServiceDocument;

}  // namespace lab::api::schema
