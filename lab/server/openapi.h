// The minimal OpenAPI v3 a kubectl needs (shared/reference/kubectl.md §3): the root lists one
// document per served group-version; each document names, for every kind, the object path's
// `patch` operation with its x-kubernetes-group-version-kind and the `fieldValidation` query
// parameter. Finding that parameter, kubectl leaves validation to the server (which validates
// every write through lab/api's schema tables) instead of validating client-side against
// /openapi/v2, which the lab does not serve (404). No requestBody: kubectl then computes a
// client-side apply's strategic-merge patch from its compiled-in metadata for the built-in kinds.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace lab::server {

// "api/v1", "apis/apps/v1": the key of a group-version in the root document.
std::string openapi_gv_key(const std::string& group, const std::string& version);
// GET /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."}, ...}}.
// The hash changes when the document does (kubectl caches by URL).
nlohmann::json openapi_root();
// GET /openapi/v3/<key>: the group-version's document; nullopt when it is not served.
std::optional<nlohmann::json> openapi_document(const std::string& key);

}  // namespace lab::server
