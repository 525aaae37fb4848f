// The object store behind the API server: Kubernetes-shaped JSON objects keyed by
// kind/namespace/name, each stamped with uid, resourceVersion and creationTimestamp.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/api/labels.h"
#include "lab/base/result.h"

namespace lab::store {

using Json = nlohmann::json;

// Errors the API turns into Status objects: AlreadyExists (409), NotFound (404).
inline constexpr int kNotFound = 404;
inline constexpr int kAlreadyExists = 409;

class Store {
 public:
  // Adds a new object; fills metadata.uid, resourceVersion, creationTimestamp (and namespace
  // "default" for namespaced kinds). Error code kAlreadyExists if the name is taken.
  Result<Json> create(Json obj);
  // Replaces an existing object (status updates included); bumps resourceVersion.
  Result<Json> update(Json obj);
  Result<Json> get(const std::string& kind, const std::string& ns, const std::string& name) const;
  // ns empty = all namespaces. Sorted by namespace then name, as the API server returns them.
  std::vector<Json> list(const std::string& kind, const std::string& ns,
                         const api::Selector& selector = {}) const;
  Result<void> remove(const std::string& kind, const std::string& ns, const std::string& name);

  std::string resource_version() const;

 private:
  static std::string key(const std::string& kind, const std::string& ns, const std::string& name);
  mutable std::mutex mu_;
  std::map<std::string, Json> objects_;
  uint64_t version_ = 1;
};

// "2026-11-26T09:40:00Z" for now.
std::string now_rfc3339();
// A random RFC 4122 v4 uid.
std::string new_uid();

}  // namespace lab::store
