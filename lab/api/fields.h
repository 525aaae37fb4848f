// Field selectors as kubectl --field-selector and the API's fieldSelector take them, with
// k8s.io/apimachinery/pkg/fields' grammar ("metadata.name=x,status.phase!=Running"; `=`, `==`,
// `!=`; `\,` `\=` `\\` escapes in values) and the API server's per-kind field labels: a field a kind
// does not offer is refused with the API server's words ("field label not supported: X").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

struct FieldTerm {
  std::string field;  // "spec.nodeName"
  std::string value;  // unescaped
  bool equal = true;  // false: !=
};

class FieldSelector {
 public:
  // fields.ParseSelector, then the kind's field label conversion: errors are Reason::BadRequest
  // with the API server's message. "" selects everything.
  static Result<FieldSelector> parse(std::string_view text, const std::string& kind);
  bool matches(const nlohmann::json& object) const;
  bool empty() const { return terms_.empty(); }
  const std::vector<FieldTerm>& terms() const { return terms_; }

 private:
  std::string kind_;
  std::vector<FieldTerm> terms_;
};

// The value an object offers for a field selector term, as the API server's GetAttrs sets it
// ("" for a field the object leaves out).
std::string selectable_field(const std::string& kind, const nlohmann::json& object, const std::string& field);

}  // namespace lab::api
