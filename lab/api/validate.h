// Validation and defaulting of API objects, as kube-apiserver's strategies do on every create,
// update and patch: one function over the schema tables (lab/api/schema*), used by the registry
// (lab/store/registry) for every write, whatever its source (HTTP, scenario, controllers).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lab::api {

// One problem, as apimachinery's field.Error: the field path ("spec.replicas",
// "spec.template.spec.containers[0].ports[1].containerPort") and what is wrong, worded as
// Kubernetes words it: `Invalid value: "2": must be an integer`, `Required value`,
// `Unsupported value: "Foo": supported values: "ClusterIP", "NodePort"`.
struct FieldError {
  std::string field;
  std::string detail;
};

struct Validation {
  std::vector<FieldError> errors;  // empty: the object is valid (and was defaulted in place)
  bool bad_request = false;        // the body cannot be decoded as this kind at all (400, not 422)
};

// Validates a whole object of any kind the API serves and fills defaults in place. old: the
// stored object on update (immutable fields are checked against it), nullptr on create.
Validation validate_object(nlohmann::json& obj, const nlohmann::json* old = nullptr);

// The Status message: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: "2": must
// be an integer`; several errors joined as apimachinery's NewInvalid joins them ("[a, b]").
std::string invalid_message(const nlohmann::json& obj, const std::vector<FieldError>& errors);

}  // namespace lab::api
