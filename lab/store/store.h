// The object store behind the API server: Kubernetes-shaped JSON objects keyed by
// kind/namespace/name, each stamped with uid, resourceVersion and creationTimestamp; changes are
// kept as a short event log for watches, and written through to SQLite (WAL) when a file is set.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/api/labels.h"
#include "lab/base/result.h"

namespace lab::store {

using Json = nlohmann::json;

// Stored objects are shared and never changed in place: a new version is a new object. The
// store's map, its event log and every informer's cache hold the same one, so a watcher reading
// the log copies pointers, not objects.
using ObjPtr = std::shared_ptr<const Json>;

struct Event {
  std::string type;  // ADDED, MODIFIED, DELETED
  ObjPtr object;     // never null
  uint64_t version = 0;
};

// kubectl's words for a failed resourceVersion or uid precondition.
std::string conflict_message(const std::string& kind, const std::string& name);

class Store {
 public:
  Store() = default;
  ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Makes the store durable in an SQLite file (WAL mode, as k3s keeps state in place of etcd) and
  // loads what the file already holds, so a restarted daemon resumes where it was.
  Result<void> open_file(const std::string& path);

  // Adds a new object; fills metadata.uid, resourceVersion, creationTimestamp (and namespace
  // "default" for namespaced kinds). Reason::AlreadyExists if the name is taken. The store
  // checks nothing else: lab/store/registry validates before it writes. dry_run: the object as
  // it would be stored (no resourceVersion), and nothing is.
  Result<Json> create(Json obj, bool dry_run = false);
  // Replaces an existing object whole; bumps resourceVersion. If the object carries a
  // metadata.resourceVersion that is not the stored one, fails with Reason::Conflict
  // (optimistic concurrency); without one the write is unconditional.
  Result<Json> update(Json obj);
  Result<Json> get(const std::string& kind, const std::string& ns, const std::string& name) const;
  // The stored object itself, shared (never changed: a write stores a new one), for a reader that
  // needs no copy of its own.
  Result<ObjPtr> find(const std::string& kind, const std::string& ns, const std::string& name) const;
  // ns empty = all namespaces. Sorted by namespace then name, as the API server returns them.
  std::vector<Json> list(const std::string& kind, const std::string& ns,
                         const api::Selector& selector = {}) const;
  // The same objects shared, not copied, with the store version they were read at: one consistent
  // view, as the API's list answers it (a list's resourceVersion read apart from its items could
  // be newer than them, and a watch from it would miss the change in between).
  struct View {
    std::vector<ObjPtr> objects;
    uint64_t version = 0;
  };
  View view(const std::string& kind, const std::string& ns, const api::Selector& selector = {}) const;
  // Returns the removed object. A non-empty uid must match the stored one (Reason::Conflict
  // otherwise), so a delete never removes a newer object of the same name.
  Result<Json> remove(const std::string& kind, const std::string& ns, const std::string& name,
                      const std::string& uid = "");

  uint64_t version() const;
  // The version of the last write the calling thread made (0: none yet), so that a writer can
  // wait for the informers to show its own writes rather than everyone's.
  static uint64_t last_write_on_this_thread();
  std::string resource_version() const { return std::to_string(version()); }

  // Events with version > since, waiting up to timeout_ms for the first one. `expired` is set
  // when since is older than the kept log (the watcher must relist, like a 410 Gone).
  std::vector<Event> events_since(uint64_t since, int timeout_ms, bool* expired = nullptr) const;
  // The same for one kind's watchers (the API's watch): only a change of that kind wakes them,
  // and `through` is the store version the answer covers, where the watcher goes on from, so
  // that a quiet kind is never aged out of the log by the others' changes.
  struct KindEvents {
    std::vector<Event> events;
    uint64_t through = 0;
    bool expired = false;
  };
  // `cancel`, when given, ends the wait as soon as it is true and wake_watchers() was called after
  // it was set (a server stopping its watches: they need not sit out their timeout).
  KindEvents events_of_kind(const std::string& kind, uint64_t since, int timeout_ms,
                            const std::atomic<bool>* cancel = nullptr) const;
  // Wakes every events_of_kind wait to look at its cancel flag again.
  void wake_watchers() const;
  // Wakes every waiter in events_since and makes later calls return at once (daemon shutdown).
  void shutdown();

 private:
  static std::string key(const std::string& kind, const std::string& ns, const std::string& name);
  // What a write leaves for after mu_ is released (fire()): its watchers woken (woken under the
  // lock, they would only block on it again) and the event that fell off the log freed (perhaps
  // its object's last owner).
  struct Wake {
    std::condition_variable* all = nullptr;
    std::condition_variable* kind = nullptr;
    std::optional<Event> evicted;
    void fire();
  };
  [[nodiscard]] Wake record(const std::string& type, ObjPtr obj);  // under mu_
  // Under mu_, before memory changes: a write that SQLite refuses fails the request and leaves
  // the store as it was. nullptr = delete.
  Result<void> persist(const std::string& key, uint64_t version, const Json* obj);

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // any change (events_since)
  // Per kind: the version of its last change, and its watchers' wake-up (events_of_kind). A write
  // wakes the informers and that kind's watchers, not every watch the API serves.
  std::map<std::string, uint64_t> kind_version_;
  mutable std::map<std::string, std::condition_variable> kind_changed_;
  // The first kept event after since (the log is in version order).
  std::deque<Event>::const_iterator first_after(uint64_t since) const;
  std::map<std::string, ObjPtr> objects_;
  std::deque<Event> log_;
  uint64_t version_ = 1;
  bool shutting_down_ = false;
  // The database and its two write statements, prepared once (preparing them on every write was
  // near half of a write's SQLite time). The statements go before the database closes.
  struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  struct Finalize {
    void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
  };
  using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;
  std::unique_ptr<sqlite3, CloseDb> db_;
  Statement upsert_, erase_;
};

}  // namespace lab::store
