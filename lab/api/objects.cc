// Helpers over Kubernetes-shaped JSON objects shared by controllers, kubelet and API server.
#include "lab/api/objects.h"

#include <cmath>

#include "lab/api/json_access.h"
#include "lab/base/parse.h"

namespace lab::api {

Json owner_reference(const Json& owner) {
  const Json& meta = metadata_of(owner);
  return {{"apiVersion", string_at(owner, "apiVersion")}, {"kind", string_at(owner, "kind")},
          {"name", string_at(meta, "name")}, {"uid", string_at(meta, "uid")},
          {"controller", true}, {"blockOwnerDeletion", true}};
}

std::string controller_uid(const Json& obj) {
  const Json& refs = member(metadata_of(obj), "ownerReferences");
  if (!refs.is_array()) return "";
  for (const auto& ref : refs)
    if (bool_at(ref, "controller", false)) return string_at(ref, "uid");
  return "";
}

bool owned_by(const Json& obj, const Json& owner) {
  std::string uid = string_at(metadata_of(owner), "uid");
  return !uid.empty() && controller_uid(obj) == uid;
}

bool is_terminating(const Json& obj) {
  const Json& meta = member(obj, "metadata");
  return meta.is_object() && meta.contains("deletionTimestamp");
}

std::vector<std::string> finalizers_of(const Json& obj) { return strings_at(metadata_of(obj), "finalizers"); }

std::vector<std::string> spec_finalizers_of(const Json& ns) { return strings_at(member(ns, "spec"), "finalizers"); }

namespace {

// obj[key] == text, read in place (no copy: controllers ask this of every pod they count).
bool string_is(const Json& obj, const char* key, std::string_view text) {
  const Json& v = member(obj, key);
  return v.is_string() && v.get_ref<const std::string&>() == text;
}

}  // namespace

const Json* find_condition(const Json& obj, const std::string& type) {
  for (const auto& c : array_at(member(obj, "status"), "conditions"))
    if (string_is(c, "type", type)) return &c;
  return nullptr;
}

bool condition_true(const Json& obj, const std::string& type) {
  const Json* c = find_condition(obj, type);
  return c && string_is(*c, "status", "True");
}

bool node_not_ready(const Json& node) {
  const Json* c = find_condition(node, "Ready");
  return c && !string_is(*c, "status", "True");
}

bool is_pod_ready(const Json& pod) { return !is_terminating(pod) && condition_true(pod, "Ready"); }

std::vector<std::string> ingress_ips(const Json& svc) {
  std::vector<std::string> ips;
  for (const auto& ing : array_at(member(member(svc, "status"), "loadBalancer"), "ingress"))
    if (std::string ip = string_at(ing, "ip"); !ip.empty()) ips.push_back(std::move(ip));
  return ips;
}

int resolve_int_or_percent(const Json& value, int total, bool round_up, int fallback) {
  if (value.is_number_integer()) {
    auto n = parse_int(value.dump());  // in int's range, or the fallback
    return n ? *n : fallback;
  }
  if (!value.is_string()) return fallback;
  std::string_view s = value.get_ref<const std::string&>();
  if (!s.ends_with('%')) {
    auto n = parse_int(s);
    return n ? *n : fallback;
  }
  auto pct = parse_int(s.substr(0, s.size() - 1), 0);
  if (!pct) return fallback;
  double part = static_cast<double>(*pct) * total / 100.0;
  return static_cast<int>(round_up ? std::ceil(part) : std::floor(part));
}

}  // namespace lab::api
