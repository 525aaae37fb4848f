// Endpoints kept from slices, slices from user Endpoints; each a reconcile per Service key.
#include "lab/controllers/endpoints_controllers.h"

#include <algorithm>

#include "lab/api/json_access.h"
#include "lab/api/labels.h"
#include "lab/api/objects.h"
#include "lab/controllers/endpoints_mirror.h"

namespace lab::controllers {

using Json = nlohmann::json;

namespace {

// The Service key "ns/name" a slice belongs to, by its kubernetes.io/service-name label.
std::string service_key_of_slice(const Json& slice) {
  const Json& meta = api::metadata_of(slice);
  const std::string svc = api::string_at(api::member(meta, "labels"), "kubernetes.io/service-name");
  return svc.empty() ? "" : api::string_at(meta, "namespace") + "/" + svc;
}

// The slices labelled as key's ("ns/name"), from the index rather than a list of the namespace:
// a pod's change reaches every Service that selects it, and each would read every slice.
std::vector<ObjPtr> slices_of_service(const store::Informer& slices, const std::string& key) {
  const size_t slash = key.find('/');
  return slices.by_index(store::kByLabel,
                         key.substr(0, slash) + "/kubernetes.io/service-name=" + key.substr(slash + 1));
}

std::string managed_by(const Json& slice) {
  return api::string_at(api::member(api::metadata_of(slice), "labels"), api::kManagedByLabel);
}

bool has_selector(const Json& svc) {
  const Json& sel = api::member(api::member(svc, "spec"), "selector");
  return sel.is_object() && !sel.empty();
}

// Delete of a named object, where not found is done.
Result<void> remove_if_there(store::Registry& reg, const std::string& kind, const std::string& ns, const std::string& name) {
  auto r = reg.remove(kind, ns, name);
  if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
  return {};
}

}  // namespace

EndpointsController::EndpointsController(Context& ctx) : Controller("endpoints-controller", ctx) {
  ctx.services.add_handler([this](const ObjPtr& old, const ObjPtr& cur) { enqueue(cur ? cur : old); });
  ctx.slices.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    // Batched as kube-controller-manager's --endpoint-updates-batch-period: a pod's change
    // rewrites the slices of every Service selecting it, and the Endpoints follow once the
    // burst is over instead of competing with it for the CPU (at 100 Services the last slice
    // came 25 ms after a readiness change with both at once, 10 ms with the Endpoints after).
    if (auto key = service_key_of_slice(cur ? *cur : *old); !key.empty()) queue_.add_after(key, kEndpointsBatch);
  });
  // A delete (as Kubernetes' endpoints controller) or a creation, which may be another writer's
  // that our create then lost to; not an update: every write of its own came back as a reconcile
  // that found nothing to do and cost as much as the write. Another writer's update stands until
  // the Service's slices or the Service change, as in Kubernetes.
  ctx.endpoints.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (!old || !cur) enqueue(cur ? cur : old);
  });
}

std::vector<std::string> EndpointsController::all_keys() const { return keys_of(ctx_.services); }

Result<void> EndpointsController::sync(const std::string& key) {
  const size_t slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  auto svc = ctx_.services.get(key);
  auto current = ctx_.endpoints.get(key);
  if (!svc) {
    // The Service is gone: so are its Endpoints (the endpoints controller deletes them).
    if (current) return remove_if_there(ctx_.registry, "Endpoints", ns, name);
    return {};
  }
  if (!has_selector(*svc)) return {};  // a user's, mirrored the other way
  const std::vector<ObjPtr> owned = slices_of_service(ctx_.slices, key);  // keeps the pointers below alive
  std::vector<const Json*> slices;
  for (const auto& s : owned)
    if (managed_by(*s) == api::kEndpointSliceController) slices.push_back(s.get());
  Json want = endpoints_from_slices(*svc, slices);
  if (!current) {
    auto r = ctx_.registry.create(std::move(want));
    if (!r && r.error().reason != Reason::AlreadyExists) return std::unexpected(r.error());
    return {};
  }
  const Json& want_labels = api::member(api::metadata_of(want), "labels");
  const Json& want_subsets = api::member(want, "subsets");
  if (api::member(api::metadata_of(*current), "labels") == want_labels && api::member(*current, "subsets") == want_subsets)
    return {};
  Json next = *current;
  next["metadata"]["labels"] = want_labels;
  if (!want_subsets.is_null()) next["subsets"] = want_subsets;
  else next.erase("subsets");
  auto r = ctx_.registry.update(std::move(next));  // carries the cached resourceVersion: 409 is retried
  if (!r) return std::unexpected(r.error());
  return {};
}

EndpointSliceMirroringController::EndpointSliceMirroringController(Context& ctx)
    : Controller("endpointslice-mirroring-controller", ctx) {
  ctx.endpoints.add_handler([this](const ObjPtr& old, const ObjPtr& cur) { enqueue(cur ? cur : old); });
  ctx.services.add_handler([this](const ObjPtr& old, const ObjPtr& cur) { enqueue(cur ? cur : old); });
  ctx.slices.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    const Json& s = cur ? *cur : *old;
    if (managed_by(s) == kMirroringManager)
      if (auto key = service_key_of_slice(s); !key.empty()) queue_.add(key);
  });
}

std::vector<std::string> EndpointSliceMirroringController::all_keys() const { return keys_of(ctx_.endpoints); }

Result<void> EndpointSliceMirroringController::sync(const std::string& key) {
  const size_t slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  auto eps = ctx_.endpoints.get(key);
  auto svc = ctx_.services.get(key);
  std::vector<Json> existing;
  for (const auto& s : slices_of_service(ctx_.slices, key))
    if (managed_by(*s) == kMirroringManager) existing.push_back(*s);
  std::vector<Json> want;
  if (eps && mirrors(*eps, svc ? &*svc : nullptr)) want = slices_from_endpoints(*eps);
  for (auto& slice : want) {
    // Owned by the Service, so the garbage collector removes them with it.
    slice["metadata"]["ownerReferences"] = Json::array({api::owner_reference(*svc)});
    const std::string slice_name = slice["metadata"]["name"];
    auto it = std::find_if(existing.begin(), existing.end(),
                           [&](const Json& e) { return api::string_at(api::metadata_of(e), "name") == slice_name; });
    if (it == existing.end()) {
      auto r = ctx_.registry.create(std::move(slice));
      if (!r && r.error().reason != Reason::AlreadyExists) return std::unexpected(r.error());
      continue;
    }
    Json next = *it;
    for (const char* f : {"endpoints", "ports", "addressType"}) next[f] = slice[f];
    next["metadata"]["labels"] = slice["metadata"]["labels"];
    next["metadata"]["ownerReferences"] = slice["metadata"]["ownerReferences"];
    const bool same = next == *it;
    existing.erase(it);
    if (same) continue;
    auto r = ctx_.registry.update(std::move(next));
    if (!r) return std::unexpected(r.error());
  }
  for (const auto& stale : existing)
    LAB_TRY(remove_if_there(ctx_.registry, "EndpointSlice", ns, api::string_at(api::metadata_of(stale), "name")));
  return {};
}

}  // namespace lab::controllers
