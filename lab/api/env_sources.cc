// The kubelet's makeEnvironmentVariables (see env_sources.h).
#include "lab/api/env_sources.h"

#include <algorithm>

#include "lab/api/json_access.h"
#include "lab/base/base64.h"

namespace lab::api {

namespace {

using nlohmann::json;

// IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*
bool is_env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

bool optional_ref(const json& ref) { return member(ref, "optional") == true; }

// An environment in the making: a name keeps the place it was first set, a later value wins.
struct Env {
  EnvMap values;
  std::vector<std::string> order;
  void set(const std::string& name, std::string value) {
    if (values.insert_or_assign(name, std::move(value)).second) order.push_back(name);
  }
};

}  // namespace

std::string not_found_message(const std::string& kind, const std::string& name) {
  // The kubelet's object managers say the resource in the singular (corev1.Resource("configmap")).
  return (kind == "Secret" ? "secret" : "configmap") + std::string(" \"") + name + "\" not found";
}

std::optional<std::string> object_value(const json& obj, const std::string& kind, const std::string& key,
                                        bool binary) {
  const json& data = member(obj, "data");
  const json& v = member(data, key.c_str());
  if (kind == "Secret") {
    if (!v.is_string()) return std::nullopt;
    auto bytes = base64_decode(v.get<std::string>());
    if (!bytes) return std::nullopt;
    return *bytes;
  }
  if (v.is_string()) return v.get<std::string>();
  if (!binary) return std::nullopt;
  const json& b = member(member(obj, "binaryData"), key.c_str());
  if (!b.is_string()) return std::nullopt;
  auto bytes = base64_decode(b.get<std::string>());
  if (!bytes) return std::nullopt;
  return *bytes;
}

std::vector<std::pair<std::string, std::string>> object_values(const json& obj, const std::string& kind, bool binary) {
  std::vector<std::string> keys;
  for (const char* field : {"data", "binaryData"}) {
    if (std::string(field) == "binaryData" && (!binary || kind == "Secret")) continue;
    const json& m = member(obj, field);
    if (m.is_object())
      for (const auto& [k, v] : m.items()) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys)
    if (auto v = object_value(obj, kind, k, binary)) out.emplace_back(k, std::move(*v));
  return out;
}

Result<ContainerEnv> container_env_from_sources(const json& pod, const json& container, const EnvInputs& in) {
  ContainerEnv out;
  Env env;
  const std::string ns = [&] {
    std::string n = string_at(metadata_of(pod), "namespace");
    return n.empty() ? std::string("default") : n;
  }();
  auto lookup = [&](const std::string& kind, const std::string& name) {
    return in.lookup ? (*in.lookup)(kind, name) : nullptr;
  };

  // envFrom first; env replaces what it sets.
  const json& env_from = member(container, "envFrom");
  if (env_from.is_array())
    for (const auto& source : env_from) {
      const bool secret = member(source, "secretRef").is_object();
      const std::string kind = secret ? "Secret" : "ConfigMap";
      const json& ref = member(source, secret ? "secretRef" : "configMapRef");
      const std::string name = string_at(ref, "name"), prefix = string_at(source, "prefix");
      auto obj = lookup(kind, name);
      if (!obj) {
        if (optional_ref(ref)) continue;
        return fail(not_found_message(kind, name));
      }
      std::vector<std::string> invalid;
      for (auto& [k, v] : object_values(*obj, kind, /*binary=*/false)) {
        std::string var = prefix + k;
        if (!is_env_name(var)) {
          invalid.push_back(var);
          continue;
        }
        env.set(var, std::move(v));
      }
      if (!invalid.empty()) {
        std::string keys;
        for (const auto& k : invalid) keys += (keys.empty() ? "" : ", ") + k;
        out.warnings.push_back("Keys [" + keys + "] from the EnvFrom " + (secret ? "secret " : "configMap ") + ns +
                               "/" + name + " were skipped since they are considered invalid environment variable "
                               "names.");
      }
    }

  const EnvMap empty;
  const EnvMap& services = in.service_env ? *in.service_env : empty;
  const json& declared = member(container, "env");
  if (declared.is_array())
    for (const auto& e : declared) {
      const std::string name = string_at(e, "name");
      std::string value = string_at(e, "value");
      const json& from = member(e, "valueFrom");
      if (!value.empty()) {
        // Against what is set so far (envFrom and earlier entries), then the Service variables.
        value = expand_env(value, {&env.values, &services});
      } else if (from.is_object()) {
        if (const json& f = member(from, "fieldRef"); f.is_object()) {
          auto v = field_path_value(pod, string_at(f, "fieldPath"), in.addresses);
          if (!v) return std::unexpected(v.error());
          value = std::move(*v);
        } else if (const json& r = member(from, "resourceFieldRef"); r.is_object()) {
          std::string c = string_at(r, "containerName");
          if (c.empty()) c = string_at(container, "name");
          auto v = resource_field_value(member(pod, "spec"), c, string_at(r, "resource"), string_at(r, "divisor"),
                                        in.node);
          if (!v) return std::unexpected(v.error());
          value = std::move(*v);
        } else {
          const bool secret = member(from, "secretKeyRef").is_object();
          const std::string kind = secret ? "Secret" : "ConfigMap";
          const json& ref = member(from, secret ? "secretKeyRef" : "configMapKeyRef");
          const std::string obj_name = string_at(ref, "name"), key = string_at(ref, "key");
          auto obj = lookup(kind, obj_name);
          if (!obj) {
            if (optional_ref(ref)) continue;
            return fail(not_found_message(kind, obj_name));
          }
          auto v = object_value(*obj, kind, key, /*binary=*/false);
          if (!v) {
            if (optional_ref(ref)) continue;
            return fail("couldn't find key " + key + " in " + kind + " " + ns + "/" + obj_name);
          }
          value = std::move(*v);
        }
      }
      env.set(name, std::move(value));
    }

  for (const auto& name : env.order) out.env.emplace_back(name, env.values.find(name)->second);
  for (const auto& [k, v] : services)
    if (!env.values.contains(k)) out.env.emplace_back(k, v);
  return out;
}

}  // namespace lab::api
