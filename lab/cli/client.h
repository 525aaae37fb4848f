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
// Any verb; body null = none. Errors are worded as kubectl words them.
Result<nlohmann::json> api_call(const std::string& lab, const std::string& method,
                                const std::string& target, const nlohmann::json& body,
                                const std::string& accept = "application/json",
                                const std::string& content_type = "");

// Starts `lab __daemon` detached (own session, log in the lab dir) and waits for its verdict.
Result<void> start_daemon(const std::string& lab, const std::string& self_exe);
// Restarts a lab's daemon that died; no-op when it runs.
Result<void> ensure_daemon(const std::string& lab);

}  // namespace lab::cli
