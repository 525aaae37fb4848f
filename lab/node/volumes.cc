// The kubelet's volume plugins in small (see volumes.h): secret.go, configmap.go, downwardapi.go
// and projected.go's payloads, hostpath.go's type checks, empty_dir.go's directories.
#include "lab/node/volumes.h"

#include <sys/stat.h>

#include <filesystem>

#include "lab/api/json_access.h"
#include "lab/base/unique_fd.h"

namespace lab::node {

namespace {

using api::member;
using api::string_at;

constexpr const char* kContentKinds[] = {"secret", "configMap", "downwardAPI", "projected"};

const Json& volumes_of(const Json& pod) { return member(member(pod, "spec"), "volumes"); }

// The kind of a volume ("emptyDir", "secret", ...), "" when it has none lab knows.
std::string kind_of(const Json& volume) {
  for (const char* k : {"emptyDir", "hostPath", "secret", "configMap", "downwardAPI", "projected"})
    if (member(volume, k).is_object()) return k;
  return "";
}

bool is_content_kind(const std::string& kind) {
  for (const char* k : kContentKinds)
    if (kind == k) return true;
  return false;
}

mode_t mode_of(const Json& item, int default_mode) {
  const Json& m = member(item, "mode");
  return static_cast<mode_t>(m.is_number_integer() ? m.get<int>() : default_mode);
}

int default_mode_of(const Json& source) {
  const Json& m = member(source, "defaultMode");
  return m.is_number_integer() ? m.get<int>() : 0644;
}

// secret.go's and configmap.go's MakePayload: every key, or the items asked for.
Result<void> object_payload(const Json& obj, const std::string& kind, const Json& items, bool optional,
                            int default_mode, Payload& out) {
  if (!items.is_array() || items.empty()) {
    for (auto& [k, v] : api::object_values(obj, kind)) out[k] = FileProjection{std::move(v), static_cast<mode_t>(default_mode)};
    return {};
  }
  for (const auto& item : items) {
    const std::string key = string_at(item, "key");
    auto v = api::object_value(obj, kind, key);
    if (!v) {
      if (optional) continue;
      return fail(kind == "Secret" ? "references non-existent secret key: " + key
                                   : "configmap references non-existent config key: " + key);
    }
    out[string_at(item, "path")] = FileProjection{std::move(*v), mode_of(item, default_mode)};
  }
  return {};
}

// A secret or configMap source: the object, or nothing when it is optional and missing.
Result<void> source_payload(const std::string& kind, const std::string& name, const Json& source, int default_mode,
                            const VolumeInputs& in, Payload& out) {
  const bool optional = member(source, "optional") == true;
  auto obj = in.lookup ? in.lookup(kind, name) : nullptr;
  if (!obj) {
    if (optional) return {};
    return fail(api::not_found_message(kind, name));
  }
  return object_payload(*obj, kind, member(source, "items"), optional, default_mode, out);
}

// downwardapi.go's CollectData.
Result<void> downward_payload(const Json& pod, const Json& items, int default_mode, const VolumeInputs& in,
                              Payload& out) {
  if (!items.is_array()) return {};
  for (const auto& item : items) {
    Result<std::string> value;
    if (const Json& f = member(item, "fieldRef"); f.is_object()) {
      value = api::field_path_value(pod, string_at(f, "fieldPath"), {});
    } else {
      const Json& r = member(item, "resourceFieldRef");
      value = api::resource_field_value(member(pod, "spec"), string_at(r, "containerName"), string_at(r, "resource"),
                                        string_at(r, "divisor"), in.node);
    }
    if (!value) return std::unexpected(value.error());
    out[string_at(item, "path")] = FileProjection{std::move(*value), mode_of(item, default_mode)};
  }
  return {};
}

// projected.go's serviceAccountToken source: the pod's token, from the kubelet's token manager.
Result<void> token_payload(const Json& pod, const Json& source, int default_mode, const VolumeInputs& in, Payload& out) {
  if (!in.service_account_token) return fail("cannot get a service account token: the node has no token source");
  const Json& exp = member(source, "expirationSeconds");
  const int64_t seconds = exp.is_number_integer() ? exp.get<int64_t>() : 3600;
  auto token = in.service_account_token(pod, string_at(source, "audience"), seconds);
  if (!token) return std::unexpected(token.error());
  out[string_at(source, "path")] = FileProjection{std::move(*token), static_cast<mode_t>(default_mode)};
  return {};
}

std::string file_type_problem(const std::string& path, const std::string& type) {
  struct stat st{};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  auto not_a = [&](const char* what) { return "hostPath type check failed: " + path + " is not " + what; };
  if (type == "Directory" || type == "DirectoryOrCreate") return exists && S_ISDIR(st.st_mode) ? "" : not_a("a directory");
  if (type == "File" || type == "FileOrCreate") return exists && S_ISREG(st.st_mode) ? "" : not_a("a file");
  if (type == "Socket") return exists && S_ISSOCK(st.st_mode) ? "" : not_a("a socket file");
  if (type == "CharDevice") return exists && S_ISCHR(st.st_mode) ? "" : not_a("a character device");
  if (type == "BlockDevice") return exists && S_ISBLK(st.st_mode) ? "" : not_a("a block device");
  return "";
}

// hostpath.go's checkType, with the OrCreate types' making; a path of no type that is missing is
// made a directory, as the container runtime does for a bind source.
Result<void> set_up_host_path(const Json& host_path) {
  const std::string path = string_at(host_path, "path"), type = string_at(host_path, "type");
  struct stat st{};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  std::error_code ec;
  if (!exists && (type == "DirectoryOrCreate" || type.empty())) {
    std::filesystem::create_directories(path, ec);
    if (ec) return fail("hostPath " + path + ": " + ec.message());
  } else if (!exists && type == "FileOrCreate") {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) return fail_errno("hostPath " + path);
  }
  if (std::string problem = file_type_problem(path, type); !problem.empty()) return fail(problem);
  return {};
}

Result<void> make_dir(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail("mkdir " + path + ": " + ec.message());
  if (::chmod(path.c_str(), mode) != 0) return fail_errno("chmod " + path);
  return {};
}

const Json* volume_named(const Json& pod, const std::string& name) {
  const Json& vs = volumes_of(pod);
  if (vs.is_array())
    for (const auto& v : vs)
      if (string_at(v, "name") == name) return &v;
  return nullptr;
}

bool has_dot_dot(const std::string& path) {
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    if (path.substr(start, slash == std::string::npos ? std::string::npos : slash - start) == "..") return true;
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

}  // namespace

std::string volume_dir(const std::string& state_dir, const std::string& name) {
  return state_dir + "/volumes/" + name;
}

Result<std::optional<Payload>> volume_payload(const Json& pod, const Json& volume, const VolumeInputs& in) {
  const std::string kind = kind_of(volume);
  if (!is_content_kind(kind)) return std::nullopt;
  Payload out;
  const Json& source = member(volume, kind.c_str());
  const int mode = default_mode_of(source);
  if (kind == "secret") {
    LAB_TRY(source_payload("Secret", string_at(source, "secretName"), source, mode, in, out));
  } else if (kind == "configMap") {
    LAB_TRY(source_payload("ConfigMap", string_at(source, "name"), source, mode, in, out));
  } else if (kind == "downwardAPI") {
    LAB_TRY(downward_payload(pod, member(source, "items"), mode, in, out));
  } else {
    const Json& sources = member(source, "sources");
    if (sources.is_array())
      for (const auto& s : sources) {
        if (const Json& sec = member(s, "secret"); sec.is_object())
          LAB_TRY(source_payload("Secret", string_at(sec, "name"), sec, mode, in, out));
        else if (const Json& cm = member(s, "configMap"); cm.is_object())
          LAB_TRY(source_payload("ConfigMap", string_at(cm, "name"), cm, mode, in, out));
        else if (const Json& d = member(s, "downwardAPI"); d.is_object())
          LAB_TRY(downward_payload(pod, member(d, "items"), mode, in, out));
        else if (const Json& t = member(s, "serviceAccountToken"); t.is_object())
          LAB_TRY(token_payload(pod, t, mode, in, out));
      }
  }
  for (const auto& [path, f] : out)
    if (std::string problem = payload_path_problem(path); !problem.empty()) return fail(problem);
  return out;
}

std::optional<MountFailure> set_up_volumes(const Json& pod, const std::string& state_dir, const VolumeInputs& in,
                                           std::map<std::string, Payload>& written, bool content_only) {
  const Json& vs = volumes_of(pod);
  if (!vs.is_array()) return std::nullopt;
  for (const auto& v : vs) {
    const std::string name = string_at(v, "name"), kind = kind_of(v);
    const std::string dir = volume_dir(state_dir, name);
    auto failed = [&](const Error& e) { return MountFailure{name, e.what()}; };
    if (kind == "emptyDir" || kind == "hostPath") {
      if (content_only) continue;
      auto r = kind == "hostPath" ? set_up_host_path(member(v, "hostPath")) : make_dir(dir, 0777);
      if (!r) return failed(r.error());
      continue;
    }
    if (!is_content_kind(kind)) continue;
    auto payload = volume_payload(pod, v, in);
    if (!payload) return failed(payload.error());
    auto it = written.find(name);
    if (it != written.end() && it->second == **payload) continue;
    // Secrets live on a tmpfs in Kubernetes (drwxrwxrwt); configMap volumes are an emptyDir (0777).
    if (auto r = make_dir(dir, kind == "secret" ? 01777 : 0777); !r) return failed(r.error());
    AtomicWriter writer(dir, in.gid);
    if (auto r = writer.write(**payload); !r) return failed(r.error());
    written[name] = std::move(**payload);
  }
  return std::nullopt;
}

void remove_volumes(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::remove_all(state_dir + "/volumes", ec);
}

Result<std::vector<runtime::VolumeMount>> container_mounts(const Json& pod, const Json& container,
                                                           const std::string& state_dir, const api::EnvList& env) {
  std::vector<runtime::VolumeMount> out;
  const Json& mounts = member(container, "volumeMounts");
  if (!mounts.is_array()) return out;
  api::EnvMap vars;
  for (const auto& [k, v] : env) vars[k] = v;
  for (const auto& m : mounts) {
    const std::string name = string_at(m, "name");
    const Json* volume = volume_named(pod, name);
    if (!volume) return fail("volume " + name + " not found");  // validation makes this impossible
    const std::string kind = kind_of(*volume);
    runtime::VolumeMount rm;
    rm.source = kind == "hostPath" ? string_at(member(*volume, "hostPath"), "path") : volume_dir(state_dir, name);
    rm.target = string_at(m, "mountPath");
    // Kubernetes mounts the content kinds read-only whatever the mount says.
    rm.read_only = member(m, "readOnly") == true || is_content_kind(kind);
    rm.sub_path = string_at(m, "subPath");
    if (const std::string expr = string_at(m, "subPathExpr"); !expr.empty()) {
      rm.sub_path = api::expand_env(expr, {&vars});
      if (rm.sub_path.starts_with('/') || has_dot_dot(rm.sub_path))
        return fail("failed to prepare subPath for volumeMount \"" + name + "\" of container \"" +
                    string_at(container, "name") + "\"");
    }
    out.push_back(std::move(rm));
  }
  return out;
}

std::vector<runtime::MemoryVolume> memory_volumes(const Json& pod, const std::string& state_dir) {
  std::vector<runtime::MemoryVolume> out;
  const Json& vs = volumes_of(pod);
  if (!vs.is_array()) return out;
  for (const auto& v : vs) {
    const Json& e = member(v, "emptyDir");
    if (string_at(e, "medium") != "Memory") continue;
    runtime::MemoryVolume mv{volume_dir(state_dir, string_at(v, "name")), 0};
    if (auto q = api::quantity_value(string_at(e, "sizeLimit")); q && *q > 0)
      mv.size_bytes = static_cast<uint64_t>(*q);
    out.push_back(std::move(mv));
  }
  return out;
}

bool pod_references(const Json& pod, const std::string& kind, const std::string& name) {
  const bool secret = kind == "Secret";
  auto names = [&](const Json& source, const char* field) { return string_at(source, field) == name; };
  const Json& vs = volumes_of(pod);
  if (vs.is_array())
    for (const auto& v : vs) {
      if (secret ? names(member(v, "secret"), "secretName") : names(member(v, "configMap"), "name")) return true;
      const Json& sources = member(member(v, "projected"), "sources");
      if (sources.is_array())
        for (const auto& s : sources)
          if (names(member(s, secret ? "secret" : "configMap"), "name")) return true;
    }
  const Json& cs = member(member(pod, "spec"), "containers");
  if (cs.is_array())
    for (const auto& c : cs) {
      const Json& env = member(c, "env");
      if (env.is_array())
        for (const auto& e : env)
          if (names(member(member(e, "valueFrom"), secret ? "secretKeyRef" : "configMapKeyRef"), "name")) return true;
      const Json& from = member(c, "envFrom");
      if (from.is_array())
        for (const auto& f : from)
          if (names(member(f, secret ? "secretRef" : "configMapRef"), "name")) return true;
    }
  return false;
}

bool has_downward_volumes(const Json& pod) {
  const Json& vs = volumes_of(pod);
  if (!vs.is_array()) return false;
  for (const auto& v : vs) {
    if (member(v, "downwardAPI").is_object()) return true;
    const Json& sources = member(member(v, "projected"), "sources");
    if (sources.is_array())
      for (const auto& s : sources)
        if (member(s, "downwardAPI").is_object()) return true;
  }
  return false;
}

}  // namespace lab::node
