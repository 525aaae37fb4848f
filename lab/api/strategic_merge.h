// The patches a PATCH request may carry, applied to a stored object, as kube-apiserver applies
// them: RFC 7386 merge patches, RFC 6902 JSON patches, and Kubernetes' strategic-merge patches
// (what kubectl apply and kubectl edit send), whose lists merge by a key per field (containers by
// name, ports by containerPort, ...) instead of being replaced, with the `$patch`, `$retainKeys`,
// `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` directives.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

// How a list field of a kind merges in a strategic-merge patch (the patchStrategy and
// patchMergeKey tags of its Go type). A list without a strategy is replaced whole.
struct ListStrategy {
  bool merge = false;
  std::string key;  // the merge key of a list of objects; empty: a list of scalars, merged as a set
};

// The strategy of the list at `path` in an object of `kind`: field names from the object's root,
// list elements left out ({"spec", "template", "spec", "containers", "ports"}).
ListStrategy list_strategy(std::string_view kind, const std::vector<std::string>& path);

// obj with the strategic-merge patch applied. A patch that is not an object, a directive with a
// value it cannot have, or a list element without its merge key is a BadRequest error, worded as
// kube-apiserver words it.
Result<nlohmann::json> strategic_merge(std::string_view kind, const nlohmann::json& obj,
                                       const nlohmann::json& patch);

// obj with the RFC 6902 operations applied. Operations that are not a list of well-formed
// operations are a BadRequest; an operation that cannot apply (a failed "test", a missing path)
// is Invalid (422), as kube-apiserver answers.
Result<nlohmann::json> json_patch(const nlohmann::json& obj, const nlohmann::json& ops);

}  // namespace lab::api
