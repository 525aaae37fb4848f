// Label selectors as kubectl -l and the API's labelSelector take them, with
// k8s.io/apimachinery/pkg/labels' grammar and error messages: "run=my-nginx", "a!=b", "a==b",
// "env in (x,y)", "tier notin (z)", "key", "!key", "replicas>2", "age<10"; comma = AND. Keys are
// qualified names ([DNS subdomain/]name), values label values; anything else is refused, never
// read as "everything".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

// Labels the EndpointSlice controllers, kube-proxy and the DNS server agree on (discovery.k8s.io
// and kube-proxy's well-known labels): a headless Service's objects, and who manages a slice.
inline constexpr const char* kHeadlessLabel = "service.kubernetes.io/headless";
inline constexpr const char* kManagedByLabel = "endpointslice.kubernetes.io/managed-by";
inline constexpr const char* kEndpointSliceController = "endpointslice-controller.k8s.io";

struct Requirement {
  enum class Op { Equals, DoubleEquals, NotEquals, In, NotIn, Exists, DoesNotExist, GreaterThan, LessThan };
  std::string key;
  Op op = Op::Exists;
  std::vector<std::string> values;  // sorted, unique (a set, as apimachinery keeps them)
  bool matches(const nlohmann::json& labels) const;
};

class Selector {
 public:
  // labels.Parse: "" (or blanks) selects everything; a selector that does not parse is an error
  // worded as the API server words it ("unable to parse requirement: found '!', expected:
  // identifier"), Reason::BadRequest.
  static Result<Selector> parse(std::string_view text);
  // From a Deployment's spec.selector.matchLabels.
  static Selector from_match_labels(const nlohmann::json& match_labels);
  // labels: a JSON object (metadata.labels) or null.
  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return reqs_.empty(); }
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

// apimachinery's validation.IsQualifiedName and IsValidLabelValue: the reasons a label key or
// value is refused, joined with "; " as NewRequirement joins them; "" when it is fine.
std::string qualified_name_problems(std::string_view key);
std::string label_value_problems(std::string_view value);

}  // namespace lab::api
