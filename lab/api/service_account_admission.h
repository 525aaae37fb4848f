// kube-apiserver's ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount), for a
// Pod being created: spec.serviceAccountName defaults to `default` (and spec.serviceAccount, its
// deprecated twin, follows it), and unless automountServiceAccountToken is false (the pod's
// setting first, then the account's) the pod gets the projected volume kube-api-access-<5 chars>
// (a bound token, the cluster CA from ConfigMap kube-root-ca.crt, the namespace) mounted
// read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container that has no
// mount there yet. The kubelet fills it (lab/node/volumes.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lab::api {

inline constexpr const char* kServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr const char* kApiAccessVolumePrefix = "kube-api-access-";
// The token's lifetime the plugin asks for (an hour and 7 s: the 7 s tell a kubelet's tokens
// from others in the API server's metrics).
inline constexpr int kApiAccessTokenSeconds = 3607;

// The name spec.serviceAccountName will have ("default" when unset or not a string).
std::string service_account_name(const nlohmann::json& pod);

// The kube-api-access volume (projected, defaultMode 0644) as the plugin makes it.
nlohmann::json api_access_volume(const std::string& name);

// Applies the plugin to pod (a Pod being created). account: the ServiceAccount it names, or
// null when there is none (then the name is defaulted and nothing mounted). suffix: the volume
// name's random part. A malformed pod is left for validation to refuse.
void admit_service_account(nlohmann::json& pod, const nlohmann::json* account, const std::string& suffix);

}  // namespace lab::api
