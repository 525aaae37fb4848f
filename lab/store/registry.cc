// Per-kind write rules (kube-apiserver's strategies) over the store: PrepareForCreate,
// PrepareForUpdate, validation, status subresource, graceful pod deletion, binding, events.
#include "lab/store/registry.h"

#include <algorithm>
#include <ctime>

#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "lab/api/resources.h"
#include "lab/api/service_account_admission.h"
#include "lab/api/strategic_merge.h"
#include "lab/api/validate.h"
#include "lab/base/clock.h"
#include "lab/base/log.h"
#include "lab/base/ids.h"

namespace lab::store {

namespace {

std::unexpected<Error> conflict(const std::string& kind, const std::string& name) {
  return fail_api(Reason::Conflict, conflict_message(kind, name));
}

// Metadata only the server sets; what a client sends for these is ignored on create.
constexpr const char* kServerOwned[] = {"uid", "resourceVersion", "creationTimestamp",
                                        "deletionTimestamp", "deletionGracePeriodSeconds"};

// Kinds whose deletion waits for metadata.finalizers here. Pods have the kubelet's graceful
// deletion instead, and Namespaces (remove_namespace) the namespace controller's spec.finalizers
// as well.
bool finalizes(const std::string& kind) { return kind != "Pod"; }

// ns.spec.finalizers set to value, or left out when value is null (spec made an object if need be).
void put_spec_finalizers(Json& ns, const Json& value) {
  if (value.is_null()) {
    if (auto spec = ns.find("spec"); spec != ns.end() && spec->is_object()) spec->erase("finalizers");
    return;
  }
  if (!ns["spec"].is_object()) ns["spec"] = Json::object();
  ns["spec"]["finalizers"] = value;
}

// Whether an object being deleted may go now: no finalizer left (for a Namespace, of neither list).
bool finalized(const std::string& kind, const Json& obj) {
  return api::finalizers_of(obj).empty() && (kind != "Namespace" || api::spec_finalizers_of(obj).empty());
}

// A delete's uid precondition (DeleteOptions.preconditions.uid), in the API server's words.
Result<void> check_uid(const std::string& want, const Json& obj) {
  const std::string has = api::string_at(api::metadata_of(obj), "uid");
  if (want.empty() || want == has) return {};
  return fail_api(Reason::Conflict, "Precondition failed: UID in precondition: " + want + ", UID in object meta: " + has);
}

// The status a kind starts with when created through the main resource.
Json initial_status(const std::string& kind) {
  if (kind == "Pod") return {{"phase", "Pending"}};
  if (kind == "Service") return {{"loadBalancer", Json::object()}};
  return nullptr;
}

}  // namespace

std::optional<Json> shorten_deletion(const Json& pod, std::optional<int> grace_seconds) {
  // rest.BeforeDelete on an object already being deleted: a grace period can only be shortened,
  // the deadline moving with it (deletionTimestamp - old period + new period); one shortened to
  // 0, or an object marked without a period (a delete that failed half-way), goes at once.
  const Json& meta = api::metadata_of(pod);
  const Json& had = api::member(meta, "deletionGracePeriodSeconds");
  if (!had.is_number_integer() || had.get<int64_t>() <= 0) return Json();
  if (!grace_seconds || *grace_seconds >= had.get<int64_t>()) return std::nullopt;
  if (*grace_seconds <= 0) return Json();
  Json marked = pod;
  if (auto at = parse_rfc3339(api::string_at(meta, "deletionTimestamp")))
    marked["metadata"]["deletionTimestamp"] =
        rfc3339(std::chrono::system_clock::to_time_t(*at) - had.get<std::time_t>() + *grace_seconds);
  marked["metadata"]["deletionGracePeriodSeconds"] = *grace_seconds;
  return marked;
}

Registry::Registry(Store& st, ServiceRanges ranges) : store_(st), ranges_(std::move(ranges)) {
  for (const auto& svc : store_.list("Service", "")) taken_.add(svc);
  // The namespaces a cluster has from its start (kube-apiserver's system namespaces controller);
  // a restarted daemon finds them in its store.
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"})
    if (!store_.get("Namespace", "", ns))
      if (auto made = create(Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}); !made)
        log_line(std::string("namespace ") + ns + ": " + made.error().what());  // its writes fail alike
}

bool Registry::has_status_subresource(const std::string& kind) {
  return kind == "Pod" || kind == "Deployment" || kind == "ReplicaSet" || kind == "Service" ||
         kind == "Node" || kind == "Namespace";
}

Result<Json> Registry::validated(Json obj, const Json* old, const WriteOptions& w) {
  auto v = api::validate_object(obj, old, w.field_validation != FieldValidation::Strict);
  if (w.field_validation == FieldValidation::Warn && w.warnings)
    w.warnings->insert(w.warnings->end(), v.dropped.begin(), v.dropped.end());
  if (v.errors.empty()) {
    if (auto r = check_capacity(obj, old); !r) return std::unexpected(r.error());
    return obj;
  }
  for (const auto& e : v.errors)  // a table hook that threw: our bug, not the client's
    if (e.detail.starts_with("Internal error")) return fail_api(Reason::InternalError, e.detail);
  return fail_api(v.bad_request ? Reason::BadRequest : Reason::Invalid, api::invalid_message(obj, v.errors));
}

// A limit of this lab, not of Kubernetes: replicas beyond the pod addresses would only queue
// pods that can never run (and 100,000 of them make every list slow). Checked when replicas
// change, so an object stored before a limit existed can still be written.
Result<void> Registry::check_capacity(const Json& obj, const Json* old) const {
  if (pod_capacity_ <= 0) return {};
  const std::string kind = api::string_at(obj, "kind");
  if (kind != "Deployment" && kind != "ReplicaSet") return {};
  const Json& replicas = api::member(api::member(obj, "spec"), "replicas");
  if (!replicas.is_number_integer()) return {};  // defaulted to 1, or refused by validation
  if (old && api::member(api::member(*old, "spec"), "replicas") == replicas) return {};
  long long n = replicas.get<long long>();
  if (n <= pod_capacity_) return {};
  api::FieldError e{"spec.replicas", "Invalid value: " + std::to_string(n) + ": must be less than or equal to " +
                                         std::to_string(pod_capacity_) +
                                         ", the pods this lab's nodes have addresses for (their pod CIDRs)"};
  return fail_api(Reason::Invalid, api::invalid_message(obj, {e}));
}

Result<Json> Registry::create(Json obj, WriteOptions w) {
  if (!obj.is_object()) return fail_api(Reason::BadRequest, "the object is not a JSON object");
  const std::string kind = api::string_at(obj, "kind");
  if (!api::find_resource_by_kind(kind)) return fail_api(Reason::BadRequest, "unknown kind \"" + kind + "\"");
  if (!obj.contains("metadata") || obj["metadata"].is_null()) obj["metadata"] = Json::object();
  if (obj["metadata"].is_object()) {
    auto& meta = obj["metadata"];
    for (const char* k : kServerOwned) meta.erase(k);
    meta["generation"] = 1;
    if (has_status_subresource(kind)) {
      Json status = initial_status(kind);
      if (status.is_null()) obj.erase("status");
      else obj["status"] = status;
    }
  }
  if (kind == "Pod") {
    // The ServiceAccount admission plugin (lab/api/service_account_admission.h), before validation.
    std::string ns = obj["metadata"].is_object() ? api::string_at(obj["metadata"], "namespace") : "";
    auto account = store_.get("ServiceAccount", ns.empty() ? "default" : ns, api::service_account_name(obj));
    api::admit_service_account(obj, account ? &*account : nullptr, random_suffix(5));
  }
  auto checked = validated(std::move(obj), nullptr, w);
  if (!checked) return checked;
  obj = std::move(*checked);
  if (auto open = check_namespace_open(obj); !open) return std::unexpected(open.error());

  std::unique_lock services(services_mu_, std::defer_lock);
  if (kind == "Service") {
    services.lock();
    auto allocated = allocate_service(taken_, obj, nullptr, ranges_);
    if (!allocated) return allocated;
    obj = std::move(*allocated);
  }
  const std::string generate = api::string_at(api::metadata_of(obj), "generateName");
  const bool generated = api::string_at(api::metadata_of(obj), "name").empty() && !generate.empty();
  for (int attempt = 0;; ++attempt) {
    // A random name can collide; the API server retries generateName collisions too.
    if (generated) obj["metadata"]["name"] = generate + random_suffix();
    auto created = store_.create(obj, w.dry_run);
    if (created && kind == "Service" && !w.dry_run) taken_.add(*created);
    if (created || !generated || created.error().reason != Reason::AlreadyExists || attempt >= 8)
      return created;
  }
}

// NamespaceLifecycle, for every writer (the API's clients, controllers, the kubelet's events): no
// new object in a namespace being deleted, which the namespace controller is emptying.
Result<void> Registry::check_namespace_open(const Json& obj) const {
  auto type = api::find_resource_by_kind(api::string_at(obj, "kind"));
  if (!type || !type->namespaced) return {};
  const Json& meta = api::metadata_of(obj);
  const std::string ns = api::string_at(meta, "namespace", "default");
  auto found = store_.find("Namespace", "", ns);
  if (!found || !api::is_terminating(**found)) return {};
  return fail_api(Reason::Forbidden, type->plural + " \"" + api::string_at(meta, "name") +
                                         "\" is forbidden: unable to create new content in namespace " + ns +
                                         " because it is being terminated");
}

Result<Json> Registry::write_update(Json obj, const Json& old, WriteOptions w) {
  const std::string kind = api::string_at(obj, "kind");
  auto checked = validated(std::move(obj), &old, w);
  if (!checked) return checked;
  obj = std::move(*checked);
  // The version read is the precondition: nothing written between our read and this write is
  // overwritten.
  obj["metadata"]["resourceVersion"] = api::metadata_of(old)["resourceVersion"];
  if (finalizes(kind) && api::is_terminating(old)) {
    // An object being deleted takes no new finalizer, and goes once its last one is removed (as
    // the API server's deleteForEmptyFinalizers).
    const auto had = api::finalizers_of(old), has = api::finalizers_of(obj);
    std::vector<std::string> added;
    for (const auto& f : has)
      if (std::find(had.begin(), had.end(), f) == had.end()) added.push_back("\"" + f + "\"");
    if (!added.empty()) {
      std::string list;
      for (const auto& f : added) list += (list.empty() ? "" : ", ") + f;
      return fail_api(Reason::Invalid, "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{" + list + "}");
    }
    if (finalized(kind, obj)) {
      if (w.dry_run) return obj;
      std::unique_lock services(services_mu_, std::defer_lock);
      if (kind == "Service") services.lock();
      const Json& meta = obj["metadata"];
      auto removed = store_.remove(kind, api::string_at(meta, "namespace"), api::string_at(meta, "name"),
                                   api::string_at(meta, "uid"));
      if (!removed) return removed;
      if (kind == "Service") taken_.remove(*removed);
      return obj;
    }
  }
  if (kind != "Service") return w.dry_run ? Result<Json>(std::move(obj)) : store_.update(std::move(obj));
  std::lock_guard services(services_mu_);
  auto allocated = allocate_service(taken_, std::move(obj), old, ranges_);
  if (!allocated || w.dry_run) return allocated;
  auto updated = store_.update(std::move(*allocated));
  if (updated) {
    taken_.remove(old);
    taken_.add(*updated);
  }
  return updated;
}

// PrepareForUpdate of the main resource: what the server owns comes from the stored object, and
// so does status for kinds with a status subresource; generation counts spec changes.
Json Registry::prepare_spec_update(Json next, const Json& old) {
  Json& meta = next["metadata"];
  const Json& old_meta = api::metadata_of(old);
  for (const char* k : kServerOwned) {
    if (old_meta.contains(k)) meta[k] = old_meta[k];
    else meta.erase(k);
  }
  for (const char* k : {"ownerReferences", "generateName"})
    if (old_meta.contains(k) && !meta.contains(k)) meta[k] = old_meta[k];
  const std::string kind = api::string_at(next, "kind");
  if (has_status_subresource(kind)) {
    if (old.contains("status")) next["status"] = old["status"];
    else next.erase("status");
  }
  // A namespace's spec.finalizers change through its finalize subresource only.
  if (kind == "Namespace" && (!next.contains("spec") || next["spec"].is_object()))
    put_spec_finalizers(next, api::member(api::member(old, "spec"), "finalizers"));
  int generation = old_meta.contains("generation") && old_meta["generation"].is_number_integer()
                       ? old_meta["generation"].get<int>() : 1;
  auto spec = next.find("spec");
  bool spec_changed = (spec == next.end() ? Json() : *spec) != old.value("spec", Json());
  meta["generation"] = spec_changed ? generation + 1 : generation;
  return next;
}

// PrepareForUpdate of the status subresource: only status is taken from the request.
Json Registry::prepare_status_update(const Json& obj, const Json& old) {
  Json next = old;
  if (obj.contains("status")) next["status"] = obj["status"];
  else next.erase("status");
  return next;
}

Result<Json> Registry::guaranteed_update(const std::string& kind, const std::string& ns, const std::string& name,
                                         const std::string& client_rv,
                                         const std::function<Result<Json>(const Json& old)>& prepare,
                                         WriteOptions w) {
  // As the API server's GuaranteedUpdate: a write whose client named no resourceVersion applies to
  // whatever is current, so a conflict with a concurrent write is retried on a fresh read; one
  // that named a version fails with 409 when that version is gone.
  for (int attempt = 0;; ++attempt) {
    auto found = store_.find(kind, ns, name);
    if (!found) return std::unexpected(found.error());
    const Json& old = **found;
    if (!client_rv.empty() && client_rv != api::string_at(api::metadata_of(old), "resourceVersion")) return conflict(kind, name);
    auto obj = prepare(old);
    if (!obj) return obj;
    auto r = write_update(std::move(*obj), old, w);
    if (r || !client_rv.empty() || r.error().reason != Reason::Conflict || attempt >= 16) return r;
  }
}

Result<Json> Registry::update(Json obj, WriteOptions w) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object())
    return fail_api(Reason::BadRequest, "the object has no metadata");
  const std::string kind = api::string_at(obj, "kind"), ns = api::string_at(obj["metadata"], "namespace"),
                    name = api::string_at(obj["metadata"], "name");
  const std::string rv = api::string_at(obj["metadata"], "resourceVersion");
  // A write that names its version is prepared once (a conflict is the client's to retry), so
  // the request's object is moved in rather than copied.
  return guaranteed_update(kind, ns, name, rv, [&](const Json& old) -> Result<Json> {
    return prepare_spec_update(rv.empty() ? Json(obj) : std::move(obj), old);
  }, w);
}

Result<Json> Registry::update_status(Json obj, WriteOptions w) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object())
    return fail_api(Reason::BadRequest, "the object has no metadata");
  const std::string kind = api::string_at(obj, "kind"), ns = api::string_at(obj["metadata"], "namespace"),
                    name = api::string_at(obj["metadata"], "name");
  return guaranteed_update(kind, ns, name, api::string_at(obj["metadata"], "resourceVersion"),
                           [&](const Json& old) -> Result<Json> { return prepare_status_update(obj, old); }, w);
}

Result<Json> Registry::patch(const std::string& kind, const std::string& ns, const std::string& name,
                             const Json& patch, bool status, PatchType type, bool* created, WriteOptions w) {
  if (type == PatchType::Json ? !patch.is_array() : !patch.is_object())
    return fail_api(Reason::BadRequest, type == PatchType::Json ? "the JSON patch is not a list of operations"
                                                                : "the patch is not a JSON object");
  if (type == PatchType::Apply && !status && !store_.get(kind, ns, name)) {
    // Server-side apply of an object that does not exist creates it from the configuration.
    Json obj = patch;
    if (!obj.contains("metadata") || obj["metadata"].is_null()) obj["metadata"] = Json::object();
    if (!obj["metadata"].is_object()) return fail_api(Reason::BadRequest, "metadata: must be an object");
    obj["metadata"]["name"] = name;
    if (!ns.empty()) obj["metadata"]["namespace"] = ns;
    auto made = create(std::move(obj), w);
    if (made && created) *created = true;
    if (made || made.error().reason != Reason::AlreadyExists) return made;
    // Created by someone else meanwhile: merged as for an existing object.
  }
  std::string rv;
  if (patch.is_object())
    if (auto meta = patch.find("metadata"); meta != patch.end() && meta->is_object())
      if (auto v = meta->find("resourceVersion"); v != meta->end() && !v->is_null()) rv = v->is_string() ? v->get<std::string>() : v->dump();
  return guaranteed_update(kind, ns, name, rv, [&](const Json& old) -> Result<Json> {
    Json obj = old;
    if (type == PatchType::Merge) {
      obj.merge_patch(patch);
    } else {
      auto patched = type == PatchType::Json ? api::json_patch(old, patch) : api::strategic_merge(kind, old, patch);
      if (!patched) return std::unexpected(patched.error());
      obj = std::move(*patched);
    }
    if (!obj.is_object()) return fail_api(Reason::BadRequest, "the patched object is not a JSON object");
    // What the patch made of metadata cannot be decoded as ObjectMeta: refused, not repaired.
    if (!obj.contains("metadata") || !obj["metadata"].is_object())
      return fail_api(Reason::BadRequest, "metadata: the patched object's metadata is not an object");
    obj["kind"] = kind;
    obj["apiVersion"] = old["apiVersion"];
    obj["metadata"]["name"] = name;
    if (!ns.empty()) obj["metadata"]["namespace"] = ns;
    return status ? prepare_status_update(obj, old) : prepare_spec_update(std::move(obj), old);
  }, w);
}

Result<Json> Registry::remove(const std::string& kind, const std::string& ns, const std::string& name,
                              const DeleteOptions& opts) {
  if (opts.dry_run) {
    // Found and matching its precondition, as the deletion would find it; nothing goes.
    auto obj = store_.get(kind, ns, name);
    if (!obj) return obj;
    if (auto c = check_uid(opts.uid, *obj); !c) return std::unexpected(c.error());
    return obj;
  }
  // An object with finalizers is only marked as being deleted: their owners clean up and remove
  // them, and the last one's removal deletes it (write_update). A namespace, as the namespace
  // REST storage: the first delete marks it Terminating, for the namespace controller to empty
  // and finalize; another while its spec.finalizers remain is refused.
  if (finalizes(kind)) {
    for (int attempt = 0;; ++attempt) {
      auto obj = store_.get(kind, ns, name);
      if (!obj) return obj;
      if (auto c = check_uid(opts.uid, *obj); !c) return std::unexpected(c.error());
      if (finalized(kind, *obj)) break;
      if (api::is_terminating(*obj)) {
        if (kind == "Namespace" && !api::spec_finalizers_of(*obj).empty())
          return fail_api(Reason::Conflict, "Operation cannot be fulfilled on namespaces \"" + name +
                                                "\": The system is ensuring all content is removed from this "
                                                "namespace.  Upon completion, this namespace will automatically be "
                                                "purged by the system.");
        return obj;  // marked already
      }
      Json marked = *obj;
      marked["metadata"]["deletionTimestamp"] = now_rfc3339();
      if (kind == "Namespace") {
        if (!marked["status"].is_object()) marked["status"] = Json::object();
        marked["status"]["phase"] = "Terminating";
      } else {
        marked["metadata"]["deletionGracePeriodSeconds"] = 0;
      }
      auto r = store_.update(std::move(marked));
      if (r || r.error().reason != Reason::Conflict || attempt >= 10) return r;
    }
  }
  if (kind == "Service") {
    std::lock_guard services(services_mu_);
    auto removed = store_.remove(kind, ns, name, opts.uid);
    if (removed) taken_.remove(*removed);
    return removed;
  }
  if (kind != "Pod") return store_.remove(kind, ns, name, opts.uid);
  for (int attempt = 0;; ++attempt) {
    auto pod = store_.get(kind, ns, name);
    if (!pod) return pod;
    if (auto c = check_uid(opts.uid, *pod); !c) return std::unexpected(c.error());
    const Json& spec = pod->value("spec", Json::object());
    if (api::is_terminating(*pod)) {
      auto shortened = shorten_deletion(*pod, opts.grace_seconds);
      if (!shortened) return pod;  // deletion pending: nothing to change
      if (shortened->is_null()) return store_.remove(kind, ns, name, api::string_at(api::metadata_of(*pod), "uid"));
      auto r = store_.update(std::move(*shortened));
      if (r || r.error().reason != Reason::Conflict || attempt >= 10) return r;
      continue;
    }
    int grace = 30;
    if (opts.grace_seconds) grace = *opts.grace_seconds;
    else if (auto g = spec.find("terminationGracePeriodSeconds"); g != spec.end() && g->is_number_integer())
      grace = g->get<int>();
    if (grace <= 0 || api::string_at(spec, "nodeName").empty())
      return store_.remove(kind, ns, name, api::string_at(api::metadata_of(*pod), "uid"));
    // Graceful: the kubelet stops the pod and removes the object when it is gone.
    Json marked = *pod;
    marked["metadata"]["deletionTimestamp"] = now_rfc3339();
    marked["metadata"]["deletionGracePeriodSeconds"] = grace;
    auto r = store_.update(std::move(marked));
    if (r || r.error().reason != Reason::Conflict || attempt >= 10) return r;
  }
}

Result<Json> Registry::finalize_namespace(Json obj, WriteOptions w) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object())
    return fail_api(Reason::BadRequest, "the object has no metadata");
  const std::string name = api::string_at(obj["metadata"], "name");
  return guaranteed_update("Namespace", "", name, api::string_at(obj["metadata"], "resourceVersion"),
                           [&](const Json& old) -> Result<Json> {
    Json next = old;
    put_spec_finalizers(next, api::member(api::member(obj, "spec"), "finalizers"));
    return next;
  }, w);
}

Result<Json> Registry::bind(const std::string& ns, const std::string& name, const std::string& uid,
                            const std::string& node) {
  auto pod = store_.get("Pod", ns, name);
  if (!pod) return pod;
  if (!uid.empty() && api::string_at(api::metadata_of(*pod), "uid") != uid)
    return fail_api(Reason::Conflict, "Operation cannot be fulfilled on pods/binding \"" + name +
                                          "\": the pod has been replaced");
  std::string bound = api::string_at(pod->value("spec", Json::object()), "nodeName");
  if (!bound.empty())
    return fail_api(Reason::Conflict, "Operation cannot be fulfilled on pods/binding \"" + name +
                                          "\": pod " + name + " is already assigned to node \"" + bound + "\"");
  if (api::is_terminating(*pod))
    return fail_api(Reason::Conflict, "Operation cannot be fulfilled on pods/binding \"" + name +
                                          "\": pod " + name + " is being deleted, cannot be assigned to a host");
  Json obj = *pod;
  obj["spec"]["nodeName"] = node;
  auto checked = validated(std::move(obj), nullptr, WriteOptions{});
  if (!checked) return checked;
  return store_.update(std::move(*checked));  // carries the read version: a precondition
}

Result<Json> Registry::retry_update(const std::string& kind, const std::string& ns, const std::string& name,
                                    const std::function<bool(Json&)>& mutate, bool status) {
  for (int attempt = 0;; ++attempt) {
    auto cur = store_.get(kind, ns, name);
    if (!cur) return cur;
    Json obj = *cur;
    if (!mutate(obj)) return cur;
    auto r = status ? update_status(std::move(obj)) : update(std::move(obj));
    if (r || r.error().reason != Reason::Conflict || attempt >= 10) return r;
  }
}

void Registry::record_event(const Json& object, const std::string& type, const std::string& reason,
                            const std::string& message, const api::EventSource& source) {
  std::string ns = api::string_at(api::metadata_of(object), "namespace");
  if (ns.empty()) ns = "default";
  const std::string name = api::event_name(object, reason, message);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto ev = store_.get("Event", ns, name);
    if (!ev) {
      auto created = create(api::make_event(object, type, reason, message, source));
      if (created || created.error().reason != Reason::AlreadyExists) return;
      continue;
    }
    Json bumped = *ev;
    const Json& count = bumped["count"];
    bumped["count"] = (count.is_number_integer() ? count.get<int64_t>() : 1) + 1;
    bumped["lastTimestamp"] = now_rfc3339();
    auto r = update(std::move(bumped));
    if (r || r.error().reason != Reason::Conflict) return;
  }
}

}  // namespace lab::store
