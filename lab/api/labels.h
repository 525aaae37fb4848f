// Label selectors as kubectl -l and the API's labelSelector take them:
// "run=my-nginx", "a!=b", "env in (x,y)", "tier notin (z)", "key", "!key", comma = AND.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

struct Requirement {
  enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::Exists;
  std::vector<std::string> values;
};

class Selector {
 public:
  static Result<Selector> parse(const std::string& text);
  // From a Deployment's spec.selector.matchLabels.
  static Selector from_match_labels(const nlohmann::json& match_labels);
  // labels: a JSON object (metadata.labels) or null.
  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return reqs_.empty(); }

 private:
  std::vector<Requirement> reqs_;
};

}  // namespace lab::api
