// The non-resource paths a kubectl reads before anything else (shared/reference/kubectl.md §1–§3):
// /version, discovery (/api, /apis, /api/v1, /apis/GROUP[/VERSION]) aggregated (apidiscovery v2
// or v2beta1, as the Accept asks) or legacy (APIVersions, APIGroupList, APIGroup,
// APIResourceList), and the OpenAPI documents (lab/server/openapi.h). All of it is derived from
// the resource table (lab/api/resources.cc), so what the CLI resolves and what the API
// advertises cannot drift apart.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lab/server/http.h"

namespace lab::server {

// The version document (kube-apiserver's version.Info).
nlohmann::json version_info();

// Which discovery document an Accept header asks for, by its first media range the server can
// answer: aggregated v2, aggregated v2beta1, or the legacy lists (plain JSON, */*, or no Accept).
enum class DiscoveryFormat { Legacy, AggregatedV2, AggregatedV2Beta1 };
DiscoveryFormat discovery_format(const std::string& accept);
// The Content-Type of an aggregated answer; kubectl reads it to tell the document from a legacy
// one (the body alone is not enough).
std::string aggregated_content_type(DiscoveryFormat f);

// The documents themselves. group: "" for /api (the core group), else one named group.
nlohmann::json aggregated_discovery(bool core, DiscoveryFormat f);
nlohmann::json api_versions(const std::string& server_address);  // /api, legacy
nlohmann::json api_group_list();                                  // /apis, legacy
std::optional<nlohmann::json> api_group(const std::string& group);  // /apis/GROUP
// /api/v1, /apis/GROUP/VERSION: nullopt when the group-version is not served.
std::optional<nlohmann::json> api_resource_list(const std::string& group, const std::string& version);

// The answer for a non-resource path (/version, discovery, /openapi/...), or nullopt when path
// is not one of them (a resource path: the caller routes it).
std::optional<HttpResponse> serve_non_resource(const HttpRequest& req);

}  // namespace lab::server
