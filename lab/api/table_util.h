// Small JSON readers and string helpers shared by the table printers' source files (internal to
// lab/api's table*.cc and lab/cli's printers). A missing key or a value of another type reads as
// empty: stored objects may hold anything, and a printer never throws.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lab/api/table.h"

namespace lab::api::table_detail {

using Json = nlohmann::json;

// The value at a path of keys, or null when a key is missing or a step is not an object.
inline const Json* get(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// The string, number or array at a path; "", `def` or [] when missing or of another type.
inline std::string str(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = get(j, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

inline long long num(const Json& j, std::initializer_list<const char*> path, long long def = 0) {
  const Json* v = get(j, path);
  return v && v->is_number() ? v->get<long long>() : def;
}

inline const Json& arr(const Json& j, std::initializer_list<const char*> path) {
  static const Json empty = Json::array();
  const Json* v = get(j, path);
  return v && v->is_array() ? *v : empty;
}

// The Age cell of an object: its metadata.creationTimestamp's age at `now`.
inline std::string age(const Json& obj, Clock::time_point now) {
  return age_of(str(obj, {"metadata", "creationTimestamp"}), now);
}

inline std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

inline std::string or_none(std::string s) { return s.empty() ? "<none>" : s; }

// The cells of one kind's row (all of them when wide), and the kinds that have them.
using CellsFn = Json (*)(const Json& obj, bool wide, Clock::time_point now);
struct KindPrinter {
  const char* kind;
  const std::vector<TableColumn>* columns;
  CellsFn cells;
};
// table_workloads.cc: Pod, Node, Deployment, ReplicaSet; table_network.cc: Service,
// EndpointSlice, Event, Secret, ConfigMap, Namespace.
const std::vector<KindPrinter>& workload_printers();
const std::vector<KindPrinter>& network_printers();

// Descriptions several kinds' columns share (metav1.ObjectMeta's swagger docs).
extern const char* const kNameDescription;
extern const char* const kAgeDescription;

}  // namespace lab::api::table_detail
