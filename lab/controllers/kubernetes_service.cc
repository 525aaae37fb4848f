// Watch-driven instead of upstream's 10-second loops: a delete or change wakes the controller at
// once.
#include "lab/controllers/kubernetes_service.h"

#include "lab/api/json_access.h"

namespace lab::controllers {
namespace {

constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";
constexpr const char* kSkipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";

}  // namespace

Json kubernetes_endpoints(const std::string& ip, int port) {
  return {{"apiVersion", "v1"},
          {"kind", "Endpoints"},
          {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", {{kSkipMirrorLabel, "true"}}}}},
          {"subsets",
           Json::array({{{"addresses", Json::array({{{"ip", ip}}})},
                         {"ports", Json::array({{{"name", "https"}, {"port", port}, {"protocol", "TCP"}}})}}})}};
}

Json kubernetes_endpoint_slice(const std::string& ip, int port) {
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", {{kServiceNameLabel, "kubernetes"}}}}},
          {"addressType", "IPv4"},
          {"endpoints", Json::array({{{"addresses", Json::array({ip})}, {"conditions", {{"ready", true}}}}})},
          {"ports", Json::array({{{"name", "https"}, {"port", port}, {"protocol", "TCP"}}})}};
}

KubernetesServiceController::KubernetesServiceController(Context& ctx)
    : Controller("kubernetes-service-controller", ctx) {
  const Json& want = ctx.cluster.kubernetes_service;
  if (!want.is_object()) return;
  key_ = store::Informer::key_of(want);
  ctx.services.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (old && !cur && store::Informer::key_of(*old) == key_) queue_.add(key_);
  });
  if (ctx.cluster.apiserver_ip.empty()) return;
  // Any change of the Endpoints, or of a slice of the Service, that is not ours already.
  ctx.endpoints.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    const ObjPtr& o = cur ? cur : old;
    if (o && store::Informer::key_of(*o) == key_) queue_.add(key_);
  });
  ctx.slices.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    for (const ObjPtr& o : {old, cur}) {
      if (!o || api::string_at(api::metadata_of(*o), "namespace") != "default") continue;
      const Json& labels = api::member(api::metadata_of(*o), "labels");
      if (api::string_at(labels, kServiceNameLabel) == "kubernetes" ||
          api::string_at(api::metadata_of(*o), "name") == "kubernetes")
        queue_.add(key_);
    }
  });
}

std::vector<std::string> KubernetesServiceController::all_keys() const {
  if (key_.empty()) return {};
  return {key_};
}

Result<void> KubernetesServiceController::sync(const std::string& key) {
  if (key != key_ || key_.empty()) return {};
  LAB_TRY(sync_service());
  if (ctx_.cluster.apiserver_ip.empty()) return {};
  LAB_TRY(sync_endpoints());
  return sync_slices();
}

Result<void> KubernetesServiceController::sync_service() {
  const Json& want = ctx_.cluster.kubernetes_service;
  auto cached = ctx_.services.get(key_);
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

// EndpointsAdapter.Sync's Endpoints half: labels and subsets are the reconciler's, the rest of
// the object (annotations a user added) stays.
Result<void> KubernetesServiceController::sync_endpoints() {
  const Json want = kubernetes_endpoints(ctx_.cluster.apiserver_ip, ctx_.cluster.apiserver_port);
  if (!ctx_.endpoints.get(key_)) {
    auto created = ctx_.registry.create(want);
    if (!created && created.error().reason != Reason::AlreadyExists) return std::unexpected(created.error());
    if (created) return {};
  }
  auto fixed = ctx_.registry.retry_update("Endpoints", "default", "kubernetes", [&](Json& ep) {
    Json& meta = ep["metadata"];
    if (meta.value("labels", Json()) == want["metadata"]["labels"] && ep.value("subsets", Json()) == want["subsets"])
      return false;
    meta["labels"] = want["metadata"]["labels"];
    ep["subsets"] = want["subsets"];
    return true;
  });
  if (!fixed && fixed.error().reason != Reason::NotFound) return std::unexpected(fixed.error());
  if (!fixed) queue_.add_rate_limited(key_);  // deleted meanwhile: made again on the next pass
  return {};
}

// The EndpointSlice half: slice `kubernetes` (IPv4) holds the address, any other slice labelled
// with the Service's name is deleted.
Result<void> KubernetesServiceController::sync_slices() {
  const Json want = kubernetes_endpoint_slice(ctx_.cluster.apiserver_ip, ctx_.cluster.apiserver_port);
  bool have = false;
  for (const auto& slice : ctx_.slices.list("default")) {
    const Json& meta = api::metadata_of(*slice);
    const std::string name = api::string_at(meta, "name");
    const bool labelled = api::string_at(api::member(meta, "labels"), kServiceNameLabel) == "kubernetes";
    if (name == "kubernetes" && api::string_at(*slice, "addressType") == "IPv4") {
      have = true;
      continue;
    }
    if (!labelled && name != "kubernetes") continue;  // a slice of ours of the wrong family goes too
    auto gone = ctx_.registry.remove("EndpointSlice", "default", name);
    if (!gone && gone.error().reason != Reason::NotFound) return std::unexpected(gone.error());
  }
  if (!have) {
    auto created = ctx_.registry.create(want);
    if (!created && created.error().reason != Reason::AlreadyExists) return std::unexpected(created.error());
    if (created) return {};
  }
  auto fixed = ctx_.registry.retry_update("EndpointSlice", "default", "kubernetes", [&](Json& slice) {
    Json& meta = slice["metadata"];
    if (meta.value("labels", Json()) == want["metadata"]["labels"] && slice.value("endpoints", Json()) == want["endpoints"] &&
        slice.value("ports", Json()) == want["ports"])
      return false;
    meta["labels"] = want["metadata"]["labels"];
    slice["endpoints"] = want["endpoints"];
    slice["ports"] = want["ports"];
    return true;
  });
  if (!fixed && fixed.error().reason != Reason::NotFound) return std::unexpected(fixed.error());
  if (!fixed) queue_.add_rate_limited(key_);
  return {};
}

}  // namespace lab::controllers
