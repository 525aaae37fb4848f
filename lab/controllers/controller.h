// The shape every controller has, as in kube-controller-manager: informer handlers turn changes
// into keys on a work queue, and a worker reconciles one key at a time from the caches, writing
// through the registry. A failed key is retried with back-off; an object that makes the
// reconcile throw is logged and skipped, never fatal.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/work_queue.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"
#include "netns/cidr.h"

namespace lab::controllers {

using Json = nlohmann::json;
using store::ObjPtr;

// Pod changes reach the ReplicaSet and the Services that concern them through
// WorkQueue::add_batched: at once while a reconcile of the key is cheap, and for an expensive
// one (each reads every pod of its object) at most once per ten times its cost, and never less
// often than once per this interval in a burst. 1,000 pods starting cost 1,000^2 reads when each
// pod's change was a reconcile of its own. (Kubernetes' EndpointSlice controller has a fixed
// knob for this, --endpointslice-updates-batch-period.)
inline constexpr std::chrono::milliseconds kPodBatch{100};

// What the controllers need to know of the lab.
struct ClusterInfo {
  std::vector<std::string> nodes;
  net::Ipv4Range lb_pool{};
  int pods_per_node = 0;  // the addresses of a node's pod CIDR; 0: no limit
  // How long a node may be NotReady before its pods are evicted: the Lab document's
  // spec.podEvictionTimeoutSeconds (Kubernetes: 300 s, the default toleration of
  // node.kubernetes.io/not-ready; a lab wants to see it happen, so 20 s by default).
  std::chrono::milliseconds eviction_timeout{std::chrono::seconds(20)};
  // The `kubernetes` Service the lab keeps (recreated when deleted); null: none.
  Json kubernetes_service = nullptr;
  // The API's address on the lab fabric (the host's, FabricPlan::host_ip) and its port: the
  // `kubernetes` Service's endpoints, written by the kubernetes-service controller ("": none).
  std::string apiserver_ip = "";
  int apiserver_port = 6443;
  // The lab CA (PEM), which the root-ca-cert-publisher puts in ConfigMap kube-root-ca.crt of
  // every namespace. "": the lab has no PKI, and then no ServiceAccounts either (tests).
  std::string root_ca_pem = "";
};

// The informers and the write path every controller shares.
struct Context {
  Context(store::Registry& reg, store::InformerFactory& f, ClusterInfo info);
  store::Registry& registry;
  store::InformerFactory& informers;
  store::Informer &deployments, &replicasets, &pods, &services, &slices, &events, &nodes, &endpoints;
  ClusterInfo cluster;

  void event(const Json& obj, const std::string& type, const std::string& reason, const std::string& message,
             const std::string& component) {
    registry.record_event(obj, type, reason, message, {component, ""});
  }
};

class Controller {
 public:
  Controller(std::string name, Context& ctx) : name_(std::move(name)), ctx_(ctx) {}
  virtual ~Controller() = default;
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }
  WorkQueue& queue() { return queue_; }
  // Every key this controller owns, for the first pass after start.
  virtual std::vector<std::string> all_keys() const = 0;
  // One reconcile of one key, reading the caches.
  virtual Result<void> sync(const std::string& key) = 0;
  // Worker threads (the queue never hands one key to two at once). One unless the controller's
  // keys come in bursts whose reconciles each wait for the caches to show their write.
  virtual size_t workers() const { return 1; }
  // True when what a reconcile of a key writes is read back only by later reconciles of the same
  // key (a Service's own slices): each then waits for the caches to show its key's earlier
  // writes, not every write in the store. With several workers writing, waiting for the whole
  // store cost each reconcile the others' writes too (2 ms of every 3 for 100 Services).
  virtual bool own_writes_per_key() const { return false; }

  // The worker loop, until the queue shuts down.
  void run();
  // Handles the keys that are ready until there are none (tests drive controllers this way,
  // without threads); returns how many. Delayed keys (back-off, batches) are left waiting.
  size_t drain();

 protected:
  void process(const std::string& key);
  void enqueue(const ObjPtr& obj) {
    if (obj) queue_.add(store::Informer::key_of(*obj));
  }

  std::string name_;
  Context& ctx_;
  WorkQueue queue_;

 private:
  // own_writes_per_key: the store version of each key's last write not yet seen by the caches.
  std::mutex written_mu_;
  std::map<std::string, uint64_t> written_versions_;
};

// The keys of every cached object, or of those that pass keep (a controller's first pass).
std::vector<std::string> keys_of(const store::Informer& informer, bool (*keep)(const Json&) = nullptr);
// True when old and cur (both present) differ in status and resourceVersion only: a
// controller's own status write, which needs no reconcile of the object itself.
bool status_only_change(const ObjPtr& old, const ObjPtr& cur);
// "ns/name" of obj's controlling owner when it is of kind, "" otherwise.
std::string owner_key(const Json& obj, const std::string& kind);

}  // namespace lab::controllers
