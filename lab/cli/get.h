// `lab get`'s pieces other verbs may share: a list GET with an Accept header of the caller's
// choosing (JSON, or the Table a human-readable get prints).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lab/api/resources.h"
#include "lab/base/result.h"

namespace lab::cli {

// list_objects (commands.h) with the Accept header given: errors worded the same.
Result<nlohmann::json> list_objects_as(const std::string& lab, const api::ResourceType& type, const std::string& ns,
                                       const std::string& label_selector, const std::string& field_selector,
                                       const std::string& accept);

}  // namespace lab::cli
