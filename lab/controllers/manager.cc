// Controller wiring and the worker loop every controller shares.
#include "lab/base/log.h"
#include "lab/controllers/manager.h"

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <thread>

#include "lab/api/json_access.h"
#include "lab/base/clock.h"
#include "lab/base/thread_name.h"
#include "lab/controllers/deployment.h"
#include "lab/controllers/endpoints_controllers.h"
#include "lab/controllers/endpointslice.h"
#include "lab/controllers/garbage_collector.h"
#include "lab/controllers/kubernetes_service.h"
#include "lab/controllers/namespace.h"
#include "lab/controllers/node_lifecycle.h"
#include "lab/controllers/replicaset.h"
#include "lab/controllers/scheduler.h"
#include "lab/controllers/service_accounts.h"
#include "lab/controllers/service_lb.h"

namespace lab::controllers {


Context::Context(store::Registry& reg, store::InformerFactory& f, ClusterInfo info)
    : registry(reg),
      informers(f),
      deployments(f.informer("Deployment")),
      replicasets(f.informer("ReplicaSet")),
      pods(f.informer("Pod")),
      services(f.informer("Service")),
      slices(f.informer("EndpointSlice")),
      events(f.informer("Event")),
      nodes(f.informer("Node")),
      endpoints(f.informer("Endpoints")),
      cluster(std::move(info)) {
  for (auto* inf : {&deployments, &replicasets, &pods, &services, &slices}) {
    inf->add_index(store::kByController, store::index_by_controller);
    inf->add_index(store::kByUid, store::index_by_uid);
  }
  pods.add_index(store::kByNode, store::index_by_node);
  pods.add_index(store::kByControllerNode, store::index_by_controller_node);
  pods.add_index(store::kByLabel, store::index_by_labels);
  slices.add_index(store::kByLabel, store::index_by_labels);  // a Service's: kubernetes.io/service-name
}

namespace {

// a and b equal as objects, apart from the members named in skip.
bool equal_except(const Json& a, const Json& b, std::initializer_list<std::string_view> skip) {
  if (!a.is_object() || !b.is_object()) return a == b;
  auto skipped = [&](const std::string& k) { return std::find(skip.begin(), skip.end(), k) != skip.end(); };
  size_t na = 0, nb = 0;
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (skipped(it.key())) continue;
    ++na;
    auto jt = b.find(it.key());
    if (jt == b.end() || *it != *jt) return false;
  }
  for (auto it = b.begin(); it != b.end(); ++it)
    if (!skipped(it.key())) ++nb;
  return na == nb;
}

}  // namespace

bool status_only_change(const ObjPtr& old, const ObjPtr& cur) {
  if (!old || !cur) return false;
  return equal_except(*old, *cur, {"status", "metadata"}) &&
         equal_except(api::member(*old, "metadata"), api::member(*cur, "metadata"), {"resourceVersion"});
}

std::string owner_key(const Json& obj, const std::string& kind) {
  const Json& meta = api::metadata_of(obj);
  const Json& refs = api::member(meta, "ownerReferences");
  if (!refs.is_array()) return "";
  for (const auto& ref : refs) {
    if (api::member(ref, "controller") != true) continue;
    if (api::string_at(ref, "kind") != kind) return "";
    std::string ns = api::string_at(meta, "namespace");
    return (ns.empty() ? "" : ns + "/") + api::string_at(ref, "name");
  }
  return "";
}

std::vector<std::string> keys_of(const store::Informer& informer, bool (*keep)(const Json&)) {
  std::vector<std::string> keys;
  for (const auto& obj : informer.list())
    if (!keep || keep(*obj)) keys.push_back(store::Informer::key_of(*obj));
  return keys;
}

void Controller::process(const std::string& key) {
  // Read our own writes: the caches catch up with the store (or with this key's writes) before
  // the reconcile reads them.
  const bool per_key = own_writes_per_key();
  uint64_t need = 0;
  if (!per_key) {
    need = ctx_.registry.store().version();
  } else {
    std::lock_guard lock(written_mu_);
    // Taken: the queue never hands one key to two workers at once.
    if (auto it = written_versions_.find(key); it != written_versions_.end()) {
      need = it->second;
      written_versions_.erase(it);
    }
  }
  ctx_.informers.wait_synced(need, 1000);
  const uint64_t written_before = store::Store::last_write_on_this_thread();
  try {
    if (auto r = sync(key); !r) {
      // A conflict only means the cache was behind a newer write, and Forbidden that the object's
      // namespace is being emptied (its objects go soon, and the key with them): retry without
      // noise, as kube-controller-manager ignores NamespaceTerminatingCause.
      if (r.error().reason != Reason::Conflict && r.error().reason != Reason::Forbidden)
        log_line(name_ + " " + key + ": " + r.error().what());
      queue_.add_rate_limited(key);
    } else {
      queue_.forget(key);
    }
  } catch (const std::exception& e) {
    // A stored object the reconcile cannot read: skip it rather than die; a new version of it
    // queues the key again.
    log_line(name_ + " " + key + ": skipped, cannot process the object: " + e.what());
    queue_.forget(key);
  }
  // Noted before done(key): from then on another worker may take the key.
  if (const uint64_t written = store::Store::last_write_on_this_thread(); per_key && written != written_before) {
    std::lock_guard lock(written_mu_);
    written_versions_[key] = written;
  }
  queue_.done(key);
}

void Controller::run() {
  // "endpointslice" for endpointslice-controller: the kernel keeps 15 bytes of a thread's name.
  std::string_view short_name = name_;
  if (short_name.ends_with("-controller")) short_name.remove_suffix(std::string_view("-controller").size());
  name_this_thread(short_name);
  while (auto key = queue_.get()) process(*key);
}

size_t Controller::drain() {
  size_t n = 0;
  for (; auto key = queue_.try_get(); ++n) process(*key);
  return n;
}

ControllerManager::ControllerManager(store::Registry& reg, store::InformerFactory& f, ClusterInfo cluster)
    : ctx_(reg, f, std::move(cluster)) {
  controllers_.push_back(std::make_unique<DeploymentController>(ctx_));
  controllers_.push_back(std::make_unique<ReplicaSetController>(ctx_));
  controllers_.push_back(std::make_unique<GarbageCollector>(ctx_));
  controllers_.push_back(std::make_unique<Scheduler>(ctx_));
  controllers_.push_back(std::make_unique<EndpointSliceController>(ctx_));
  controllers_.push_back(std::make_unique<EndpointsController>(ctx_));
  controllers_.push_back(std::make_unique<EndpointSliceMirroringController>(ctx_));
  controllers_.push_back(std::make_unique<LoadBalancerController>(ctx_));
  controllers_.push_back(std::make_unique<NodeLifecycleController>(ctx_));
  controllers_.push_back(std::make_unique<KubernetesServiceController>(ctx_));
  controllers_.push_back(std::make_unique<ServiceAccountsController>(ctx_));
  controllers_.push_back(std::make_unique<RootCaPublisher>(ctx_));
  controllers_.push_back(std::make_unique<NamespaceController>(ctx_));
}

ControllerManager::~ControllerManager() { stop(); }

void ControllerManager::start() {
  for (auto& c : controllers_)
    for (const auto& key : c->all_keys()) c->queue().add(key);
  for (auto& c : controllers_)
    for (size_t i = 0; i < std::max<size_t>(1, c->workers()); ++i) threads_.emplace_back([c = c.get()] { c->run(); });
}

void ControllerManager::stop() {
  for (auto& c : controllers_) c->queue().shut_down();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool ControllerManager::settled(uint64_t v) const {
  if (ctx_.informers.synced_version() < v) return false;
  for (const auto& c : controllers_)
    if (c->queue().pending() > 0) return false;
  return true;
}

void ControllerManager::run_until_idle() {
  for (auto& c : controllers_)
    for (const auto& key : c->all_keys()) c->queue().add(key);
  for (bool busy = true; busy;) {
    busy = false;
    size_t handled = 0;
    for (auto& c : controllers_) {
      if (c->queue().pending() == 0) continue;
      handled += c->drain();
      busy = true;
    }
    if (busy) ctx_.informers.wait_synced(ctx_.registry.store().version(), 1000);
    // Only delayed keys left (a batch, a back-off): wait for them rather than spin.
    if (busy && handled == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace lab::controllers
