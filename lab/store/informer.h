// Shared informers, as client-go's: one in-memory cache per kind, fed by the store's event log,
// with indexes (by namespace, owner uid, node, label) and handlers that turn each change into
// keys on the controllers' work queues. Every controller and the kubelet read from these caches;
// nobody lists the store on every change.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "lab/store/store.h"

namespace lab::store {

class Informer {
 public:
  // The index values of an object ("uid-of-owner", "node-1", "default/app=web").
  using IndexFunc = std::function<std::vector<std::string>(const Json&)>;
  // old is null for an add, cur is null for a delete. Called on the factory's thread, after the
  // cache holds cur: keep it short (enqueue keys).
  using Handler = std::function<void(const ObjPtr& old, const ObjPtr& cur)>;

  explicit Informer(std::string kind) : kind_(std::move(kind)) {}
  const std::string& kind() const { return kind_; }

  // Before the factory starts.
  void add_index(const std::string& name, IndexFunc f);
  void add_handler(Handler h);

  ObjPtr get(const std::string& ns, const std::string& name) const;
  ObjPtr get(const std::string& key) const;  // "ns/name" ("name" for cluster-scoped kinds)
  // ns empty = all namespaces; sorted by namespace then name.
  std::vector<ObjPtr> list(const std::string& ns = "") const;
  std::vector<ObjPtr> by_index(const std::string& index, const std::string& value) const;
  size_t count_index(const std::string& index, const std::string& value) const;
  size_t size() const;

  // "ns/name", the key of an object in queues and in this cache.
  static std::string key_of(const Json& obj);

 private:
  friend class InformerFactory;
  // Applies one change; true when the cache changed (an event older than the cached object,
  // seen again after a relist, is skipped).
  void apply(const std::string& type, const ObjPtr& obj);
  // Replaces the whole cache (a relist), telling handlers what differs.
  void replace(const std::vector<Json>& objs);
  void index_locked(const std::string& key, const Json& obj, bool add);
  void notify(const ObjPtr& old, const ObjPtr& cur) const;

  std::string kind_;
  mutable std::shared_mutex mu_;
  std::map<std::string, ObjPtr> items_;
  std::map<std::string, IndexFunc> index_funcs_;
  std::map<std::string, std::map<std::string, std::set<std::string>>> indexes_;
  std::vector<Handler> handlers_;
};

// Index functions every informer may use.
std::vector<std::string> index_by_namespace(const Json& obj);
std::vector<std::string> index_by_controller(const Json& obj);  // the controlling owner's uid
std::vector<std::string> index_by_uid(const Json& obj);
std::vector<std::string> index_by_node(const Json& obj);        // a pod's spec.nodeName
std::vector<std::string> index_by_labels(const Json& obj);      // "ns/key=value" per label
// "owner-uid/node" of a bound pod with a controller: the scheduler's spread count per node.
std::vector<std::string> index_by_controller_node(const Json& obj);
inline constexpr const char* kByNamespace = "namespace";
inline constexpr const char* kByController = "controller";
inline constexpr const char* kByUid = "uid";
inline constexpr const char* kByNode = "node";
inline constexpr const char* kByLabel = "label";
inline constexpr const char* kByControllerNode = "controller-node";

class InformerFactory {
 public:
  explicit InformerFactory(Store& st) : store_(st) {}
  ~InformerFactory() { stop(); }
  InformerFactory(const InformerFactory&) = delete;
  InformerFactory& operator=(const InformerFactory&) = delete;

  // The one informer of kind (made on first call; call before start()).
  Informer& informer(const std::string& kind);
  // Lists each kind once, then follows the event log on a thread of its own until stop().
  void start();
  void stop();
  // The store version the caches reflect. wait_synced blocks until they reflect at least v, so a
  // controller reads its own writes (the store is local: this takes microseconds).
  uint64_t synced_version() const { return synced_.load(); }
  bool wait_synced(uint64_t v, int timeout_ms) const;

 private:
  void relist();
  void run();

  Store& store_;
  std::map<std::string, std::unique_ptr<Informer>> informers_;
  std::atomic<uint64_t> synced_{0};
  mutable std::mutex sync_mu_;
  mutable std::condition_variable synced_cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lab::store
