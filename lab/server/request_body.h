// The bodies of writes as kube-apiserver decodes them, by Content-Type: objects of POST and PUT
// (JSON — also when no Content-Type is sent, as kubectl's scale PUT does — or Kubernetes
// protobuf), and PATCH bodies of each patch type.
#pragma once

#include <nlohmann/json.hpp>

#include "lab/base/result.h"
#include "lab/server/http.h"
#include "lab/store/registry.h"

namespace lab::server {

// The object of a POST or PUT: a JSON object, or 400 (415 for a media type the API does not take).
Result<nlohmann::json> decode_object_body(const HttpRequest& req);

struct PatchBody {
  store::PatchType type = store::PatchType::Merge;
  nlohmann::json patch;
};
// A PATCH body and its type, from the Content-Type (415 for one that is no patch type).
Result<PatchBody> decode_patch_body(const HttpRequest& req);

// A write's options from its query: `dryRun=All`, the one value the API server knows (400 for
// another, as it answers).
Result<store::WriteOptions> write_options(const HttpRequest& req);

// The same check for a dryRun list (DeleteOptions.dryRun in a DELETE's body).
Result<bool> dry_run_of(const nlohmann::json& values);

}  // namespace lab::server
