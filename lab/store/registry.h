// The API server's core, as kube-apiserver's generic registry and its per-kind strategies: every
// write, whatever its source (HTTP, the scenario, controllers, the kubelet), is validated and
// defaulted here (lab/api/validate), carries resourceVersion preconditions, and keeps spec and
// status apart (the status subresource). There is no other way into the store.
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/api/event_object.h"
#include "lab/base/result.h"
#include "lab/store/service_alloc.h"
#include "lab/store/store.h"

namespace lab::store {

struct DeleteOptions {
  std::optional<int> grace_seconds;  // pods: nullopt = spec.terminationGracePeriodSeconds
  std::string uid;                   // precondition: delete only this incarnation
  bool dry_run = false;              // as WriteOptions::dry_run: the object is answered, not deleted
};

// dry_run (the API's ?dryRun=All, which `kubectl diff` and `--dry-run=server` send): the write is
// decoded, admitted, defaulted and validated as any other, and answered with the object it would
// store; nothing is stored and nothing is allocated.
// field_validation (the API's ?fieldValidation=): what a field the object's type does not have
// does to the write: Strict refuses it (400, "strict decoding error"), Warn drops it and names it
// in *warnings (the API's Warning headers), Ignore drops it silently. Writes of the lab's own
// controllers are Strict; the API's default is Warn, as kube-apiserver's.
enum class FieldValidation { Strict, Warn, Ignore };
struct WriteOptions {
  bool dry_run = false;
  FieldValidation field_validation = FieldValidation::Strict;
  std::vector<std::string>* warnings = nullptr;
};

// A delete of a pod already being deleted (rest.BeforeDelete): nullopt when nothing changes (no
// shorter grace period asked for), null when the pod is to be removed at once (shortened to 0),
// else the pod with the shorter deletionGracePeriodSeconds and its deadline moved accordingly.
std::optional<nlohmann::json> shorten_deletion(const nlohmann::json& pod, std::optional<int> grace_seconds);

// The Content-Types of a PATCH: application/merge-patch+json, strategic-merge-patch+json,
// json-patch+json, apply-patch+yaml.
enum class PatchType { Merge, Strategic, Json, Apply };

class Registry {
 public:
  Registry(Store& st, ServiceRanges ranges);

  // The most pods the lab has addresses for: a Deployment or ReplicaSet asking for more replicas
  // is refused (422 on spec.replicas). 0: no limit.
  void set_pod_capacity(int pods) { pod_capacity_ = pods; }

  Store& store() { return store_; }
  const Store& store() const { return store_; }

  // POST. The server fills what it owns: uid, resourceVersion, creationTimestamp, generation 1,
  // a name from metadata.generateName, a Pod's status (phase Pending), a Service's ClusterIP and
  // NodePorts; status sent with a create is dropped for kinds with a status subresource.
  Result<Json> create(Json obj, WriteOptions w = {});
  // PUT of the main resource. metadata.resourceVersion, when set, is a precondition (409). The
  // stored status is kept (the body's is ignored) for kinds with a status subresource, and so is
  // metadata the server owns; generation counts spec changes.
  Result<Json> update(Json obj, WriteOptions w = {});
  // PUT .../status: only status is taken from obj; spec and metadata stay as stored. Without a
  // resourceVersion in obj, a concurrent write is no conflict: it applies to the current object.
  Result<Json> update_status(Json obj, WriteOptions w = {});
  // PATCH of the main resource or (status = true) of status, by the patch's type: an RFC 7386
  // merge patch, a strategic-merge patch, an RFC 6902 JSON patch, or server-side apply's
  // configuration (merged as a strategic-merge patch; it creates the object when there is none,
  // with `created` set). metadata.resourceVersion in a merge or strategic patch is a precondition.
  Result<Json> patch(const std::string& kind, const std::string& ns, const std::string& name,
                     const Json& patch, bool status = false, PatchType type = PatchType::Merge,
                     bool* created = nullptr, WriteOptions w = {});
  // DELETE. A Pod bound to a node is marked (deletionTimestamp, deletionGracePeriodSeconds) and
  // the kubelet removes it once its processes are gone; a grace period of 0, or an unbound pod,
  // removes it at once. A Namespace is marked (status.phase Terminating) for the namespace
  // controller to empty, and goes when its finalizers are done; deleting it again meanwhile is a
  // Conflict. An object with metadata.finalizers is marked and goes with its last finalizer.
  // Other kinds go at once (their dependents by the garbage collector).
  Result<Json> remove(const std::string& kind, const std::string& ns, const std::string& name,
                      const DeleteOptions& opts = {});
  // PUT namespaces/NAME/finalize: only spec.finalizers is taken from obj; a namespace being
  // deleted goes once no finalizer of either list is left.
  Result<Json> finalize_namespace(Json obj, WriteOptions w = {});
  // The scheduler's binding (pods/binding): sets spec.nodeName of an unbound pod.
  Result<Json> bind(const std::string& ns, const std::string& name, const std::string& uid,
                    const std::string& node);

  // A read-modify-write that re-reads and retries on Conflict, as client-go's RetryOnConflict:
  // mutate gets the current object and returns false when nothing needs writing.
  Result<Json> retry_update(const std::string& kind, const std::string& ns, const std::string& name,
                            const std::function<bool(Json&)>& mutate, bool status = false);

  // The event recorder: the same (object, reason, message) again bumps count and lastTimestamp.
  void record_event(const Json& object, const std::string& type, const std::string& reason,
                    const std::string& message, const api::EventSource& source);

  Result<Json> get(const std::string& kind, const std::string& ns, const std::string& name) const {
    return store_.get(kind, ns, name);
  }

 private:
  Result<Json> write_update(Json obj, const Json& old, WriteOptions w);
  Result<Json> guaranteed_update(const std::string& kind, const std::string& ns, const std::string& name,
                                 const std::string& client_rv,
                                 const std::function<Result<Json>(const Json& old)>& prepare, WriteOptions w = {});
  static Json prepare_spec_update(Json next, const Json& old);
  static Json prepare_status_update(const Json& obj, const Json& old);
  Result<Json> validated(Json obj, const Json* old, const WriteOptions& w);
  Result<void> check_capacity(const Json& obj, const Json* old) const;
  Result<void> check_namespace_open(const Json& obj) const;
  static bool has_status_subresource(const std::string& kind);

  Store& store_;
  ServiceRanges ranges_;
  int pod_capacity_ = 0;
  std::mutex services_mu_;  // Service writes allocate from shared ranges: one at a time
  ServiceAllocations taken_;
};

}  // namespace lab::store
