#include "lab/api/service_account_admission.h"

namespace lab::api {

using Json = nlohmann::json;

std::string service_account_name(const Json& pod) {
  const Json* spec = pod.is_object() && pod.contains("spec") ? &pod["spec"] : nullptr;
  if (!spec || !spec->is_object()) return "default";
  for (const char* f : {"serviceAccountName", "serviceAccount"}) {
    auto it = spec->find(f);
    if (it != spec->end() && it->is_string() && !it->get_ref<const std::string&>().empty()) return it->get<std::string>();
  }
  return "default";
}

Json api_access_volume(const std::string& name) {
  return {{"name", name},
          {"projected",
           {{"sources",
             Json::array({
                 {{"serviceAccountToken", {{"expirationSeconds", kApiAccessTokenSeconds}, {"path", "token"}}}},
                 {{"configMap", {{"name", "kube-root-ca.crt"}, {"items", Json::array({{{"key", "ca.crt"}, {"path", "ca.crt"}}})}}}},
                 {{"downwardAPI",
                   {{"items", Json::array({{{"path", "namespace"},
                                            {"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}}}})}}}},
             })},
            {"defaultMode", 0644}}}};
}

namespace {

// The pod's own automountServiceAccountToken, else the account's, else true.
bool automount(const Json& spec, const Json* account) {
  auto it = spec.find("automountServiceAccountToken");
  if (it != spec.end() && it->is_boolean()) return it->get<bool>();
  if (account && account->is_object()) {
    auto a = account->find("automountServiceAccountToken");
    if (a != account->end() && a->is_boolean()) return a->get<bool>();
  }
  return true;
}

bool mounts_token_path(const Json& container) {
  auto it = container.find("volumeMounts");
  if (it == container.end() || !it->is_array()) return false;
  for (const auto& m : *it)
    if (m.is_object() && m.value("mountPath", Json()) == kServiceAccountMountPath) return true;
  return false;
}

}  // namespace

void admit_service_account(Json& pod, const Json* account, const std::string& suffix) {
  if (!pod.is_object() || !pod.contains("spec") || !pod["spec"].is_object()) return;
  Json& spec = pod["spec"];
  // Only a string or nothing: anything else is validation's to refuse, untouched.
  for (const char* f : {"serviceAccountName", "serviceAccount"})
    if (spec.contains(f) && !spec[f].is_string()) return;
  const std::string name = service_account_name(pod);
  spec["serviceAccountName"] = name;
  spec["serviceAccount"] = name;
  // No account, no token: kube-apiserver refuses such a pod (the account must exist); the lab
  // lets it run without one (the pods of a lab's scenario in namespaces the scenario makes are
  // created before the serviceaccounts controller runs).
  if (!account || !automount(spec, account)) return;

  // Every container list must be well formed before anything is added to it.
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list)) continue;
    if (!spec[list].is_array()) return;
    for (const auto& c : spec[list])
      if (!c.is_object() || (c.contains("volumeMounts") && !c["volumeMounts"].is_array())) return;
  }
  if (spec.contains("volumes") && !spec["volumes"].is_array()) return;

  // A volume the pod already has for it (one made by this plugin before) is used again.
  std::string volume;
  if (spec.contains("volumes"))
    for (const auto& v : spec["volumes"])
      if (v.is_object() && v.value("name", Json()).is_string() &&
          v["name"].get<std::string>().starts_with(kApiAccessVolumePrefix) && v.contains("projected"))
        volume = v["name"].get<std::string>();
  bool mounted = false;
  const std::string name_to_use = volume.empty() ? kApiAccessVolumePrefix + suffix : volume;
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list)) continue;
    for (auto& c : spec[list]) {
      if (mounts_token_path(c)) continue;
      c["volumeMounts"].push_back({{"name", name_to_use}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}});
      mounted = true;
    }
  }
  if (mounted && volume.empty()) spec["volumes"].push_back(api_access_volume(name_to_use));
}

}  // namespace lab::api
