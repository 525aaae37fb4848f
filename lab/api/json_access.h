// Reading API objects that may hold anything (they come from clients, files and SQLite): a
// lookup of the wrong type answers empty instead of throwing, as json::value() and operator[]
// would. One helper for the idea, used by every layer above lab/api.
#pragma once

#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

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

// obj[key] as a string, fallback when absent or not a string.
inline std::string string_at(const nlohmann::json& obj, const char* key, const std::string& fallback) {
  const nlohmann::json& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : fallback;
}

// obj[key] as an int, nullopt when absent, not an integer, or out of int's range.
inline std::optional<int> int_at(const nlohmann::json& obj, const char* key) {
  const nlohmann::json& v = member(obj, key);
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    return u <= static_cast<uint64_t>(INT_MAX) ? std::optional<int>(static_cast<int>(u)) : std::nullopt;
  }
  if (!v.is_number_integer()) return std::nullopt;
  const auto i = v.get<int64_t>();
  return i >= INT_MIN && i <= INT_MAX ? std::optional<int>(static_cast<int>(i)) : std::nullopt;
}

// obj[key] as a bool, fallback when absent or not a bool.
inline bool bool_at(const nlohmann::json& obj, const char* key, bool fallback) {
  const nlohmann::json& v = member(obj, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

// obj[key] when it is an array, else an empty array.
inline const nlohmann::json& array_at(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& v = member(obj, key);
  return v.is_array() ? v : empty;
}

// The strings of obj[key] when it is an array (finalizers, say); anything else in it is skipped.
inline std::vector<std::string> strings_at(const nlohmann::json& obj, const char* key) {
  std::vector<std::string> out;
  for (const auto& v : array_at(obj, key))
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// obj.metadata when it is an object, else an empty object.
inline const nlohmann::json& metadata_of(const nlohmann::json& obj) {
  static const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& meta = member(obj, "metadata");
  return meta.is_object() ? meta : empty;
}

}  // namespace lab::api
