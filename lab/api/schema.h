// The Kubernetes fields lab accepts, as tables: each object type lists its fields with their JSON
// type, whether they are required and how a value is checked; a hook fills defaults and checks rules
// across fields afterwards. One walker (walk) applies them, for the API (validate_object) and for
// scenario files (parse_scenario), so both refuse and default alike.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lab::api::schema {

enum class Type {
  String,
  Int,              // int32, as most Kubernetes integers (replicas, ports, seconds)
  Int64,            // generation, grace periods
  Bool,
  IntOrString,      // ports ("http" or 80), maxSurge ("25%" or 1)
  Quantity,         // resources: "500m", 0.5, "128Mi"; a number becomes its string
  Timestamp,        // RFC 3339; null (kubectl's `creationTimestamp: null`) means absent
  StringList,       // command, args
  Int64List,        // securityContext.supplementalGroups
  StringMap,        // labels, annotations, nodeSelector
  QuantityMap,      // resources.limits, resources.requests
  Object,           // nested mapping described by `object`
  ObjectList,       // list of such mappings (containers, ports, env)
  IntOrStringList,  // Lab spec.nodes: a count or a list of names
  Unsupported,      // a real Kubernetes field lab does not implement yet: a clear error, not "unknown"
};

// How a scenario file treats a field the API takes.
enum class InFile {
  Accept,       // as the API does
  Drop,         // accepted and dropped: what `kubectl get -o yaml` and `--dry-run -o yaml` write
  Unknown,      // the server or the controllers own it (uid, resourceVersion, ownerReferences)
  Unsupported,  // not from a file: "not supported yet (note)" (generateName)
};

// Returns "" when the value is fine, else what is expected, as the detail of Kubernetes'
// `Invalid value: <value>: <detail>` ("must be between 1 and 65535, inclusive"). Runs on scalar
// values, on each item of a StringList and on each value (or key) of a map.
using Check = std::string (*)(const nlohmann::json& value);

struct ObjectSchema;

struct Field {
  std::string_view name;
  Type type;
  const ObjectSchema* object = nullptr;  // Object, ObjectList
  bool required = false;
  std::string_view unless = {};  // required unless this field is set (name, or generateName)
  std::vector<std::string_view> values = {};  // an enum: the only values accepted
  Check check = nullptr;
  Check key_check = nullptr;  // maps: on each key
  std::string_view note = {};  // Unsupported: what to do instead
  InFile in_file = InFile::Accept;
};

// apimachinery's field.ErrorType: the words a field error's detail starts with.
enum class ErrorType {
  Invalid,       // Invalid value: <value>: <message>
  Required,      // Required value[: <message>]
  NotSupported,  // Unsupported value: <value>: supported values: <message>
  Forbidden,     // Forbidden: <message>
  Duplicate,     // Duplicate value: <value>[: <message>]
  TooLong,       // Too long: <message>
  NotFound,      // Not found: <value> (a volumeMount naming no volume)
};

// A problem found by a hook; path is relative to the object the hook ran on ("" = the object,
// "ports[1].name"). The walker adds the value found there.
struct Problem {
  std::string path;
  std::string message;
  ErrorType type = ErrorType::Invalid;
  // The value the message shows, when it is not the one at path: a map's key (ValidateConfigMap's
  // `data[k]: Invalid value: "k"`), or "<secret contents redacted>".
  std::optional<nlohmann::json> value = std::nullopt;
};

struct ObjectSchema {
  std::vector<Field> fields;
  // Fills defaults and checks rules across fields, after every field checked out (children first).
  // Runs only when nothing inside the object was wrong, so it may trust the fields' types.
  std::optional<Problem> (*finish)(nlohmann::json& object) = nullptr;
  bool open = false;  // fields not listed are kept unchecked (status: the system writes it)
};

// Whole documents (apiVersion, kind, metadata, spec, status).
extern const ObjectSchema kLabDocument;
extern const ObjectSchema kPodDocument;
extern const ObjectSchema kDeploymentDocument;
extern const ObjectSchema kReplicaSetDocument;
extern const ObjectSchema kServiceDocument;
extern const ObjectSchema kEndpointSliceDocument;
extern const ObjectSchema kEndpointsDocument;
extern const ObjectSchema kEventDocument;
extern const ObjectSchema kNodeDocument;

// ---- the walker ----

enum class Mode {
  Api,   // an object written through the API: server-owned metadata and status are checked
  File,  // a scenario file: InFile rules apply, and `field:` with no value means absent
};

// One problem the walker found, with what a caller needs to place and word it.
struct Issue {
  enum class Cause {
    Value,    // a check, an enum, a hook
    Type,     // the JSON type is not the field's (wanted)
    Missing,  // a field the table requires is absent
    Unknown,  // a field the object does not have (expected lists those it has)
  };
  std::string field;            // "spec.ports[0].port", "metadata.labels[run]"
  std::vector<std::string> at;  // the same as JSON pointer tokens: {"spec", "ports", "0", "port"}
  std::string detail;           // Kubernetes' words: `Invalid value: "2": must be an integer`
  Cause cause = Cause::Value;
  bool at_key = false;          // about the field's name (unknown, unsupported, a key check)
  Type wanted = Type::String;   // Cause::Type
  std::string expected;         // Cause::Unknown: "annotations, labels, name" (sorted)
  // Found after the fields of this object were read (a required field, a hook's rule); nullopt
  // when found at `at` itself. A file reader orders problems by where they were found.
  std::optional<std::vector<std::string>> scope;
};

// Checks object against schema and fills defaults in place (where every problem lets it). The
// issues come in the order found; empty means valid.
std::vector<Issue> walk(nlohmann::json& object, const ObjectSchema& schema, Mode mode);

// A value as messages show it, bounded (a huge string or a deep object is cut short): "abc"
// quoted, 80 bare, objects as compact JSON.
std::string show(const nlohmann::json& value);

}  // namespace lab::api::schema
