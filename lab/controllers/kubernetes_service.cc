// Watch-driven instead of upstream's 10-second loop: a delete wakes the controller at once.
#include "lab/controllers/kubernetes_service.h"

#include "lab/api/json_access.h"

namespace lab::controllers {

KubernetesServiceController::KubernetesServiceController(Context& ctx)
    : Controller("kubernetes-service-controller", ctx) {
  const Json& want = ctx.cluster.kubernetes_service;
  if (!want.is_object()) return;
  key_ = store::Informer::key_of(want);
  ctx.services.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (old && !cur && store::Informer::key_of(*old) == key_) queue_.add(key_);
  });
}

std::vector<std::string> KubernetesServiceController::all_keys() const {
  if (key_.empty()) return {};
  return {key_};
}

Result<void> KubernetesServiceController::sync(const std::string& key) {
  if (key != key_ || key_.empty()) return {};
  const Json& want = ctx_.cluster.kubernetes_service;
  auto cached = ctx_.services.get(key);
  if (!cached) {
    auto created = ctx_.registry.create(want);
    if (!created && created.error().reason != Reason::AlreadyExists) return std::unexpected(created.error());
    reconciled_ = true;
    return {};
  }
  if (reconciled_) return {};
  // getMasterServiceUpdateIfNeeded: only ports and type are put back.
  const Json& want_spec = api::member(want, "spec");
  auto fixed = ctx_.registry.retry_update("Service", "default", api::string_at(api::metadata_of(want), "name"),
                                          [&](Json& svc) {
                                            Json& spec = svc["spec"];
                                            bool same = spec.is_object() && spec.value("ports", Json()) == want_spec["ports"] &&
                                                        spec.value("type", Json()) == want_spec["type"];
                                            if (same) return false;
                                            spec["ports"] = want_spec["ports"];
                                            spec["type"] = want_spec["type"];
                                            return true;
                                          });
  if (!fixed && fixed.error().reason != Reason::NotFound) return std::unexpected(fixed.error());
  reconciled_ = true;
  return {};
}

}  // namespace lab::controllers
