// The object store behind the API server: Kubernetes-shaped JSON objects keyed by
// kind/namespace/name, each stamped with uid, resourceVersion and creationTimestamp; changes are
// kept as a short event log for watches, and written through to SQLite (WAL) when a file is set.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/api/labels.h"
#include "lab/base/result.h"

namespace lab::store {

using Json = nlohmann::json;

// Errors the API turns into Status objects.
inline constexpr int kNotFound = 404;
inline constexpr int kAlreadyExists = 409;
inline constexpr int kConflict = 4090;  // resourceVersion precondition failed (HTTP 409 too)

struct Event {
  std::string type;  // ADDED, MODIFIED, DELETED
  Json object;
  uint64_t version = 0;
};

class Store {
 public:
  Store() = default;
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Makes the store durable in an SQLite file (WAL mode, as k3s keeps state in place of etcd) and
  // loads what the file already holds, so a restarted daemon resumes where it was.
  Result<void> open_file(const std::string& path);

  // Adds a new object; fills metadata.uid, resourceVersion, creationTimestamp (and namespace
  // "default" for namespaced kinds). Error code kAlreadyExists if the name is taken.
  Result<Json> create(Json obj);
  // Replaces an existing object (status included); bumps resourceVersion. If the object carries
  // metadata.resourceVersion and it is stale, fails with kConflict (optimistic concurrency).
  Result<Json> update(Json obj, bool check_version = false);
  Result<Json> get(const std::string& kind, const std::string& ns, const std::string& name) const;
  // ns empty = all namespaces. Sorted by namespace then name, as the API server returns them.
  std::vector<Json> list(const std::string& kind, const std::string& ns,
                         const api::Selector& selector = {}) const;
  // Returns the removed object.
  Result<Json> remove(const std::string& kind, const std::string& ns, const std::string& name);

  uint64_t version() const;
  std::string resource_version() const { return std::to_string(version()); }

  // Events with version > since, waiting up to timeout_ms for the first one. `expired` is set
  // when since is older than the kept log (the watcher must relist, like a 410 Gone).
  std::vector<Event> events_since(uint64_t since, int timeout_ms, bool* expired = nullptr) const;
  // Wakes every waiter in events_since and makes later calls return at once (daemon shutdown).
  void shutdown();

 private:
  static std::string key(const std::string& kind, const std::string& ns, const std::string& name);
  void record(const std::string& type, const Json& obj);  // under mu_
  void persist(const std::string& key, const Json* obj);  // under mu_; nullptr = delete

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, Json> objects_;
  std::deque<Event> log_;
  uint64_t version_ = 1;
  bool shutting_down_ = false;
  sqlite3* db_ = nullptr;
};

// "2026-11-26T09:40:00Z" for now.
std::string now_rfc3339();
// A random RFC 4122 v4 uid.
std::string new_uid();

}  // namespace lab::store
