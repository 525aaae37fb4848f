// The CLI's side of the API: which lab to talk to, and GET requests that turn the server's
// Status objects into kubectl's wording ("Error from server (NotFound): pods \"x\" not found").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::cli {

// --lab NAME if given, else the only running lab; errors name the choices.
Result<std::string> pick_lab(const std::string& requested);
Result<nlohmann::json> api_get(const std::string& lab, const std::string& target);

}  // namespace lab::cli
