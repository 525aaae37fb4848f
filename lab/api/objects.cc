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

bool node_not_ready(const Json& node) {
  const Json& conditions = member(member(node, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions)
    if (string_at(c, "type") == "Ready") return string_at(c, "status") != "True";
  return false;
}

// Controllers ask this of every pod they count: it reads in place, copying nothing.
bool is_pod_ready(const Json& pod) {
  if (is_terminating(pod)) return false;
  const Json& conditions = member(member(pod, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    const Json& type = member(c, "type");
    if (type.is_string() && type.get_ref<const std::string&>() == "Ready") {
      const Json& status = member(c, "status");
      return status.is_string() && status.get_ref<const std::string&>() == "True";
    }
  }
  return false;
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
