// Reading API objects that may hold anything (they come from clients, files and SQLite): a
// lookup of the wrong type answers empty instead of throwing, as json::value() and operator[]
// would. One helper for the idea, used by every layer above lab/api.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lab::api {

// obj[key] when obj is an object holding it, else null.
inline const nlohmann::json& member(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json null;
  if (!obj.is_object()) return null;
  auto it = obj.find(key);
  return it == obj.end() ? null : *it;
}

// obj[key] as a string, "" when absent or not a string.
inline std::string string_at(const nlohmann::json& obj, const char* key) {
  const nlohmann::json& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// obj.metadata when it is an object, else an empty object.
inline const nlohmann::json& metadata_of(const nlohmann::json& obj) {
  static const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& meta = member(obj, "metadata");
  return meta.is_object() ? meta : empty;
}

}  // namespace lab::api
