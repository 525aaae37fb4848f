// Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf), which
// kubectl 1.32+ sends for `kubectl create secret|configmap|namespace|serviceaccount|deployment|
// service|token`, `kubectl auth can-i|whoami` and `kubectl drain`: the magic "k8s\0", then a
// runtime.Unknown envelope {typeMeta, raw} whose raw bytes are the object's message. Decoded with
// libprotobuf from proto/k8s.proto into the JSON object the API stores.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "lab/base/result.h"

namespace lab::server {

// The object in a protobuf body. A body that is not a well-formed envelope of one of the kinds
// the lab decodes (v1 Secret, ConfigMap, Namespace, ServiceAccount, Service, DeleteOptions; apps/v1
// Deployment; policy/v1 Eviction; authentication.k8s.io/v1 TokenRequest, which `kubectl create
// token` sends; the self reviews of `kubectl auth`), or that holds a
// field the lab's messages do not know, is an error: BadRequest for a malformed body,
// UnsupportedMediaType for a kind the lab does not decode, never a silently shortened object.
Result<nlohmann::json> decode_protobuf_object(std::string_view body);

}  // namespace lab::server
