// Validation and defaulting of API objects, as kube-apiserver's strategies do on every create,
// update and patch: one function over the schema tables (lab/api/schema*), used by the registry
// (lab/store/registry) for every write, whatever its source (HTTP, scenario, controllers).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lab::api {

// One problem, as apimachinery's field.Error: the field path ("spec.replicas",
// "spec.template.spec.containers[0].ports[1].containerPort", "metadata.labels[run]") and what is
// wrong, worded as Kubernetes words it: `Invalid value: "2": must be an integer`,
// `Required value: name or generateName is required`, `Forbidden: may not be used when `type` is
// 'ClusterIP'`, `Duplicate value: "web"`,
// `Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`.
struct FieldError {
  std::string field;
  std::string detail;
  // A decoding error rather than an invalid value: an unknown field (detail `unknown field
  // "spec.foo"`, strict field validation) or a body that is not this kind at all (`metadata` not
  // an object, a wrong kind or apiVersion). Any of these makes the Validation a bad request.
  bool decoding = false;
};

struct Validation {
  std::vector<FieldError> errors;  // empty: the object is valid (and was defaulted in place)
  bool bad_request = false;        // some error is a decoding error: 400 BadRequest, not 422 Invalid
  std::vector<std::string> dropped;  // drop_unknown: `unknown field "spec.foo"` for each field dropped
};

// Validates a whole object of any kind the API serves and fills defaults in place (only where
// nothing was wrong; validating the result again changes nothing). Never throws. old: the stored
// object on update (immutable fields are checked against it, and a Service changing type drops the
// fields of its old type it left unchanged, as the Service strategy does), nullptr on create.
// drop_unknown (the API's fieldValidation Warn or Ignore): a field the object's type does not have
// is dropped, and named in `dropped`, instead of failing the decoding (Strict).
Validation validate_object(nlohmann::json& obj, const nlohmann::json* old = nullptr, bool drop_unknown = false);

// The Status message for the errors of validate_object, whichever they are:
//   422: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: "2": must be an
//        integer`; several errors joined as apimachinery's NewInvalid joins them ("[a, b]").
//   400: `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`, or
//        `Pod in version "v1" cannot be handled as a Pod: metadata: Invalid value: 5: must be an object`.
std::string invalid_message(const nlohmann::json& obj, const std::vector<FieldError>& errors);

}  // namespace lab::api
