// Tables for pod volumes (emptyDir, hostPath, secret, configMap, downwardAPI, projected with its
// serviceAccountToken source), volume mounts, env[].valueFrom and envFrom, with the apiserver's
// rules and words (validation.go:
// validateVolumes, ValidateVolumeMounts, validateEnvVarValueFrom, validateEnvFrom).
#include "lab/api/schema_volumes.h"

#include <algorithm>
#include <set>

#include "lab/api/downward_api.h"
#include "lab/api/schema_rules.h"

namespace lab::api::schema {

namespace {

using enum Type;

// 0644, the default mode of secret, configMap, downwardAPI and projected files.
constexpr int kDefaultMode = 0644;

bool has_element(const std::string& path, std::string_view element) {
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    if (std::string_view(path).substr(start, slash - start) == element) return true;
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

// validateLocalDescendingPath: subPath, subPathExpr.
std::string local_descending_path(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.starts_with('/')) return "must be a relative path";
  if (has_element(s, "..")) return "must not contain '..'";
  return "";
}

// ValidateLocalNonReservedPath: the path of a file in a volume (items[].path).
std::string local_non_reserved_path(const json& v) {
  if (std::string problem = local_descending_path(v); !problem.empty()) return problem;
  if (v.get_ref<const std::string&>().starts_with("..")) return "must not start with '..'";
  return "";
}

std::string file_mode(const json& v) {
  auto n = v.get<int64_t>();
  return n >= 0 && n <= 0777 ? "" : "must be a number between 0 and 0777 (octal), both inclusive";
}

// Where a volume is mounted: absolute, as the container runtime needs it.
std::string mount_path(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty()) return "";  // Required, from the table
  if (!s.starts_with('/')) return "must be an absolute path";
  if (has_element(s, "..")) return "must not contain '..'";
  return "";
}

std::string host_path(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty()) return "";
  if (!s.starts_with('/')) return "must be an absolute path";
  if (has_element(s, "..")) return "must not contain '..'";
  return "";
}

// IsConfigMapKey: the key of a Secret's or ConfigMap's data.
std::string config_key(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty()) return "";  // Required, from the hook
  if (s.size() > 253) return "must be no more than 253 characters";
  bool ok = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
  if (!ok)
    return "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
           "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  if (s == ".") return "must not be '.'";
  if (s == "..") return "must not be '..'";
  if (s.starts_with("..")) return "must not start with '..'";
  return "";
}

std::string optional_env_name(const json& v) { return v.get_ref<const std::string&>().empty() ? "" : env_name(v); }

std::string object_name(const json& v) { return v.get_ref<const std::string&>().empty() ? "" : dns_subdomain(v); }

std::string quoted(const std::vector<std::string_view>& values) {
  std::string out;
  for (auto v : values) out += (out.empty() ? "\"" : ", \"") + std::string(v) + "\"";
  return out;
}

std::optional<Problem> required_string(const json& o, const char* key) {
  if (!o.contains(key) || o[key] == "") return Problem{key, "", ErrorType::Required};
  return std::nullopt;
}

// ---- key selectors and items ----

std::optional<Problem> finish_key_to_path(json& k) {
  if (auto p = required_string(k, "key")) return p;
  return required_string(k, "path");
}

const ObjectSchema kKeyToPath{{
    {.name = "key", .type = String, .required = true, .check = config_key},
    {.name = "path", .type = String, .required = true, .check = local_non_reserved_path},
    {.name = "mode", .type = Int, .check = file_mode},
}, finish_key_to_path};

std::optional<Problem> finish_key_selector(json& s) {
  if (auto p = required_string(s, "name")) return p;
  return required_string(s, "key");
}

const ObjectSchema kKeySelector{{
    {.name = "name", .type = String, .check = object_name},
    {.name = "key", .type = String, .required = true, .check = config_key},
    {.name = "optional", .type = Bool},
}, finish_key_selector};

std::optional<Problem> finish_object_ref(json& s) { return required_string(s, "name"); }

const ObjectSchema kObjectRef{{
    {.name = "name", .type = String, .check = object_name},
    {.name = "optional", .type = Bool},
}, finish_object_ref};

// ---- downward API ----

std::optional<Problem> finish_field_selector(json& f) {
  set_default(f, "apiVersion", "v1");
  if (f["apiVersion"] != "v1") return Problem{"apiVersion", "error converting fieldPath: unsupported apiVersion"};
  return required_string(f, "fieldPath");
}

const ObjectSchema kObjectFieldSelector{{
    {.name = "apiVersion", .type = String},
    {.name = "fieldPath", .type = String, .required = true},
}, finish_field_selector};

const ObjectSchema kResourceFieldSelector{{
    {.name = "containerName", .type = String},
    {.name = "resource", .type = String, .required = true},
    {.name = "divisor", .type = Quantity},
}};

// validateObjectFieldSelector for env (env = true) or a downwardAPI volume file; at = the path of
// the fieldRef.
std::optional<Problem> field_ref_problem(const json& ref, bool env, const std::string& at) {
  const std::string path = ref["fieldPath"].get<std::string>();
  if (auto sub = split_subscripted(path)) {
    const auto& [base, key] = *sub;
    if (base == "metadata.labels" || base == "metadata.annotations") {
      if (std::string problem = label_key(json(key)); !problem.empty()) return Problem{at + ".fieldPath", problem};
      return std::nullopt;
    }
    return Problem{at + ".fieldPath", "does not support subscript"};
  }
  const auto& allowed = env ? env_field_paths() : volume_field_paths();
  if (std::find(allowed.begin(), allowed.end(), path) == allowed.end())
    return Problem{at + ".fieldPath", quoted(allowed), ErrorType::NotSupported};
  return std::nullopt;
}

// validateContainerResourceFieldSelector.
std::optional<Problem> resource_ref_problem(const json& ref, bool volume, const std::string& at) {
  if (volume && ref.value("containerName", "").empty())
    return Problem{at + ".containerName", "", ErrorType::Required};
  const std::string resource = ref["resource"].get<std::string>();
  const auto& allowed = resource_field_paths();
  if (std::find(allowed.begin(), allowed.end(), resource) == allowed.end())
    return Problem{at + ".resource", quoted(allowed), ErrorType::NotSupported};
  if (ref.contains("divisor"))
    if (std::string problem = divisor_problem(resource, ref["divisor"].get<std::string>()); !problem.empty())
      return Problem{at + ".divisor", problem};
  return std::nullopt;
}

std::optional<Problem> finish_downward_file(json& f) {
  if (auto p = required_string(f, "path")) return p;
  const bool field = f.contains("fieldRef"), resource = f.contains("resourceFieldRef");
  if (field && resource) return Problem{"", "fieldRef and resourceFieldRef can not be specified simultaneously"};
  if (!field && !resource)
    return Problem{"", "one of fieldRef and resourceFieldRef is required", ErrorType::Required};
  return field ? field_ref_problem(f["fieldRef"], false, "fieldRef")
               : resource_ref_problem(f["resourceFieldRef"], true, "resourceFieldRef");
}

const ObjectSchema kDownwardAPIVolumeFile{{
    {.name = "path", .type = String, .required = true, .check = local_non_reserved_path},
    {.name = "fieldRef", .type = Object, .object = &kObjectFieldSelector},
    {.name = "resourceFieldRef", .type = Object, .object = &kResourceFieldSelector},
    {.name = "mode", .type = Int, .check = file_mode},
}, finish_downward_file};

// ---- volume sources ----

std::optional<Problem> finish_secret_volume(json& s) {
  if (auto p = required_string(s, "secretName")) return p;
  set_default(s, "defaultMode", kDefaultMode);
  return std::nullopt;
}

const ObjectSchema kSecretVolume{{
    {.name = "secretName", .type = String, .check = object_name},
    {.name = "items", .type = ObjectList, .object = &kKeyToPath},
    {.name = "defaultMode", .type = Int, .check = file_mode},
    {.name = "optional", .type = Bool},
}, finish_secret_volume};

std::optional<Problem> finish_config_map_volume(json& s) {
  if (auto p = required_string(s, "name")) return p;
  set_default(s, "defaultMode", kDefaultMode);
  return std::nullopt;
}

const ObjectSchema kConfigMapVolume{{
    {.name = "name", .type = String, .check = object_name},
    {.name = "items", .type = ObjectList, .object = &kKeyToPath},
    {.name = "defaultMode", .type = Int, .check = file_mode},
    {.name = "optional", .type = Bool},
}, finish_config_map_volume};

std::optional<Problem> finish_default_mode(json& s) {
  set_default(s, "defaultMode", kDefaultMode);
  return std::nullopt;
}

const ObjectSchema kDownwardAPIVolume{{
    {.name = "items", .type = ObjectList, .object = &kDownwardAPIVolumeFile},
    {.name = "defaultMode", .type = Int, .check = file_mode},
}, finish_default_mode};

// A projected source names its object `name` (secret.secretName in a volume).
const ObjectSchema kSecretProjection{{
    {.name = "name", .type = String, .check = object_name},
    {.name = "items", .type = ObjectList, .object = &kKeyToPath},
    {.name = "optional", .type = Bool},
}, finish_object_ref};

const ObjectSchema kConfigMapProjection{{
    {.name = "name", .type = String, .check = object_name},
    {.name = "items", .type = ObjectList, .object = &kKeyToPath},
    {.name = "optional", .type = Bool},
}, finish_object_ref};

const ObjectSchema kDownwardAPIProjection{{
    {.name = "items", .type = ObjectList, .object = &kDownwardAPIVolumeFile},
}};

// ValidateProjectedVolumeSource's serviceAccountToken rules; expirationSeconds defaults to an
// hour (SetDefaults_ServiceAccountTokenProjection).
std::string token_seconds(const json& v) {
  const auto n = v.get<int64_t>();
  if (n < 10 * 60) return "may not specify a duration less than 10 minutes";
  if (n > (int64_t{1} << 32)) return "may not specify a duration larger than 2^32 seconds";
  return "";
}

std::optional<Problem> finish_token_projection(json& t) {
  set_default(t, "expirationSeconds", 3600);
  return required_string(t, "path");
}

const ObjectSchema kServiceAccountTokenProjection{{
    {.name = "audience", .type = String},
    {.name = "expirationSeconds", .type = Int64, .check = token_seconds},
    {.name = "path", .type = String, .required = true, .check = local_non_reserved_path},
}, finish_token_projection};

constexpr const char* kProjectionKinds[] = {"secret", "configMap", "downwardAPI", "serviceAccountToken"};

std::optional<Problem> finish_projection(json& p) {
  int n = 0;
  for (const char* kind : kProjectionKinds) {
    if (!p.contains(kind)) continue;
    if (++n > 1) return Problem{kind, "may not specify more than 1 volume type per source", ErrorType::Forbidden};
  }
  if (n == 0) return Problem{"", "must specify exactly 1 volume type per source", ErrorType::Required};
  return std::nullopt;
}

const ObjectSchema kVolumeProjection{{
    {.name = "secret", .type = Object, .object = &kSecretProjection},
    {.name = "configMap", .type = Object, .object = &kConfigMapProjection},
    {.name = "downwardAPI", .type = Object, .object = &kDownwardAPIProjection},
    {.name = "serviceAccountToken", .type = Object, .object = &kServiceAccountTokenProjection},
    {.name = "clusterTrustBundle", .type = Unsupported, .note = "use a configMap source"},
}, finish_projection};

std::optional<Problem> finish_projected(json& p) {
  set_default(p, "sources", json::array());
  set_default(p, "defaultMode", kDefaultMode);
  return std::nullopt;
}

const ObjectSchema kProjectedVolume{{
    {.name = "sources", .type = ObjectList, .object = &kVolumeProjection},
    {.name = "defaultMode", .type = Int, .check = file_mode},
}, finish_projected};

std::string size_limit(const json& v) {
  auto q = quantity_value(v.get_ref<const std::string&>());
  return q && *q >= 0 ? "" : "must be greater than or equal to 0";
}

const ObjectSchema kEmptyDirVolume{{
    {.name = "medium", .type = String, .values = {"", "Memory"}},
    {.name = "sizeLimit", .type = Quantity, .check = size_limit},
}};

std::optional<Problem> finish_host_path(json& h) {
  if (auto p = required_string(h, "path")) return p;
  set_default(h, "type", "");
  return std::nullopt;
}

const ObjectSchema kHostPathVolume{{
    {.name = "path", .type = String, .required = true, .check = host_path},
    {.name = "type", .type = String,
     .values = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"}},
}, finish_host_path};

constexpr const char* kVolumeKinds[] = {"emptyDir", "hostPath", "secret", "configMap", "downwardAPI", "projected"};
constexpr std::string_view kOtherVolumes =
    "lab's volumes are emptyDir, hostPath, secret, configMap, downwardAPI and projected";

std::optional<Problem> finish_volume(json& v) {
  int n = 0;
  for (const char* kind : kVolumeKinds) {
    if (!v.contains(kind)) continue;
    if (++n > 1) return Problem{kind, "may not specify more than 1 volume type", ErrorType::Forbidden};
  }
  if (n == 0) return Problem{"", "must specify a volume type", ErrorType::Required};
  return std::nullopt;
}

// ---- env ----

constexpr const char* kEnvSources[] = {"fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"};

std::optional<Problem> finish_env_var_source(json& s) {
  int n = 0;
  for (const char* kind : kEnvSources) n += s.contains(kind);
  if (n == 0) return Problem{"", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"};
  if (n > 1) return Problem{"", "may not have more than one field specified at a time"};
  if (s.contains("fieldRef")) return field_ref_problem(s["fieldRef"], true, "fieldRef");
  if (s.contains("resourceFieldRef")) return resource_ref_problem(s["resourceFieldRef"], false, "resourceFieldRef");
  return std::nullopt;
}

std::optional<Problem> finish_env_from(json& s) {
  const int n = s.contains("configMapRef") + s.contains("secretRef");
  if (n == 0) return Problem{"", "must specify one of: `configMapRef` or `secretRef`"};
  if (n > 1) return Problem{"", "may not have more than one field specified at a time"};
  return std::nullopt;
}

// ---- mounts ----

std::optional<Problem> finish_volume_mount(json& m) {
  if (auto p = required_string(m, "name")) return p;
  if (auto p = required_string(m, "mountPath")) return p;
  if (m.value("subPathExpr", "") != "" && m.value("subPath", "") != "")
    return Problem{"subPathExpr", "subPathExpr and subPath are mutually exclusive"};
  set_default(m, "readOnly", false);
  return std::nullopt;
}

}  // namespace

const ObjectSchema kVolume{{
    {.name = "name", .type = String, .required = true, .check = dns_label},
    {.name = "emptyDir", .type = Object, .object = &kEmptyDirVolume},
    {.name = "hostPath", .type = Object, .object = &kHostPathVolume},
    {.name = "secret", .type = Object, .object = &kSecretVolume},
    {.name = "configMap", .type = Object, .object = &kConfigMapVolume},
    {.name = "downwardAPI", .type = Object, .object = &kDownwardAPIVolume},
    {.name = "projected", .type = Object, .object = &kProjectedVolume},
    {.name = "persistentVolumeClaim", .type = Unsupported, .note = kOtherVolumes},
    {.name = "ephemeral", .type = Unsupported, .note = kOtherVolumes},
    {.name = "image", .type = Unsupported, .note = kOtherVolumes},
    {.name = "nfs", .type = Unsupported, .note = kOtherVolumes},
    {.name = "iscsi", .type = Unsupported, .note = kOtherVolumes},
    {.name = "csi", .type = Unsupported, .note = kOtherVolumes},
    {.name = "gitRepo", .type = Unsupported, .note = kOtherVolumes},
    {.name = "glusterfs", .type = Unsupported, .note = kOtherVolumes},
    {.name = "rbd", .type = Unsupported, .note = kOtherVolumes},
    {.name = "cephfs", .type = Unsupported, .note = kOtherVolumes},
    {.name = "fc", .type = Unsupported, .note = kOtherVolumes},
    {.name = "flexVolume", .type = Unsupported, .note = kOtherVolumes},
    {.name = "flocker", .type = Unsupported, .note = kOtherVolumes},
    {.name = "cinder", .type = Unsupported, .note = kOtherVolumes},
    {.name = "gcePersistentDisk", .type = Unsupported, .note = kOtherVolumes},
    {.name = "awsElasticBlockStore", .type = Unsupported, .note = kOtherVolumes},
    {.name = "azureDisk", .type = Unsupported, .note = kOtherVolumes},
    {.name = "azureFile", .type = Unsupported, .note = kOtherVolumes},
    {.name = "vsphereVolume", .type = Unsupported, .note = kOtherVolumes},
    {.name = "quobyte", .type = Unsupported, .note = kOtherVolumes},
    {.name = "photonPersistentDisk", .type = Unsupported, .note = kOtherVolumes},
    {.name = "portworxVolume", .type = Unsupported, .note = kOtherVolumes},
    {.name = "scaleIO", .type = Unsupported, .note = kOtherVolumes},
    {.name = "storageos", .type = Unsupported, .note = kOtherVolumes},
}, finish_volume};

const ObjectSchema kVolumeMount{{
    {.name = "name", .type = String, .required = true},
    {.name = "mountPath", .type = String, .required = true, .check = mount_path},
    {.name = "readOnly", .type = Bool},
    {.name = "subPath", .type = String, .check = local_descending_path},
    {.name = "subPathExpr", .type = String, .check = local_descending_path},
    {.name = "mountPropagation", .type = Unsupported, .note = "lab's mounts are private to the container"},
    {.name = "recursiveReadOnly", .type = Unsupported, .note = "use readOnly"},
}, finish_volume_mount};

const ObjectSchema kEnvVarSource{{
    {.name = "fieldRef", .type = Object, .object = &kObjectFieldSelector},
    {.name = "resourceFieldRef", .type = Object, .object = &kResourceFieldSelector},
    {.name = "configMapKeyRef", .type = Object, .object = &kKeySelector},
    {.name = "secretKeyRef", .type = Object, .object = &kKeySelector},
}, finish_env_var_source};

const ObjectSchema kEnvFromSource{{
    {.name = "prefix", .type = String, .check = optional_env_name},
    {.name = "configMapRef", .type = Object, .object = &kObjectRef},
    {.name = "secretRef", .type = Object, .object = &kObjectRef},
}, finish_env_from};

std::optional<Problem> finish_env_var(json& e) {
  if (e.contains("valueFrom") && e.value("value", "") != "")
    return Problem{"valueFrom", "may not be specified when `value` is not empty"};
  return std::nullopt;
}

std::optional<Problem> check_pod_volumes(const json& spec) {
  std::set<std::string> volumes;
  const json none = json::array();
  const json& vs = spec.contains("volumes") ? spec["volumes"] : none;
  for (size_t i = 0; i < vs.size(); ++i)
    if (!volumes.insert(vs[i]["name"].get<std::string>()).second)
      return Problem{"volumes[" + std::to_string(i) + "].name", "", ErrorType::Duplicate};
  const json& containers = spec["containers"];
  for (size_t c = 0; c < containers.size(); ++c) {
    if (!containers[c].contains("volumeMounts")) continue;
    const json& mounts = containers[c]["volumeMounts"];
    std::set<std::string> paths;
    for (size_t i = 0; i < mounts.size(); ++i) {
      const std::string at = "containers[" + std::to_string(c) + "].volumeMounts[" + std::to_string(i) + "]";
      if (!volumes.contains(mounts[i]["name"].get<std::string>())) return Problem{at + ".name", "", ErrorType::NotFound};
      if (!paths.insert(mounts[i]["mountPath"].get<std::string>()).second)
        return Problem{at + ".mountPath", "must be unique"};
    }
  }
  return std::nullopt;
}

}  // namespace lab::api::schema
