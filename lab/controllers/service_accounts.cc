#include "lab/controllers/service_accounts.h"

#include "lab/api/json_access.h"
#include "lab/api/objects.h"

namespace lab::controllers {
namespace {

std::string ns_of(const Json& obj) { return api::string_at(api::metadata_of(obj), "namespace"); }
std::string name_of(const Json& obj) { return api::string_at(api::metadata_of(obj), "name"); }

// The namespace exists and is not going away.
bool live(const store::Informer& namespaces, const std::string& ns) {
  auto obj = namespaces.get(ns);
  return obj && !api::is_terminating(*obj) && api::string_at(api::member(*obj, "status"), "phase") != "Terminating";
}

Result<void> ignore(Result<Json> r, Reason ok) {
  if (!r && r.error().reason != ok) return std::unexpected(r.error());
  return {};
}

}  // namespace

Json default_service_account(const std::string& ns) {
  return {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "default"}, {"namespace", ns}}}};
}

Json root_ca_config_map(const std::string& ns, const std::string& ca_pem) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", kRootCaConfigMap},
            {"namespace", ns},
            {"annotations",
             {{"kubernetes.io/description",
               "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters."}}}}},
          {"data", {{"ca.crt", ca_pem}}}};
}

ServiceAccountsController::ServiceAccountsController(Context& ctx)
    : Controller("serviceaccount-controller", ctx),
      namespaces_(ctx.informers.informer("Namespace")),
      accounts_(ctx.informers.informer("ServiceAccount")) {
  if (ctx.cluster.root_ca_pem.empty()) return;
  namespaces_.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (!old || !cur) queue_.add(name_of(cur ? *cur : *old));
  });
  accounts_.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (old && !cur && name_of(*old) == "default") queue_.add(ns_of(*old));
  });
}

std::vector<std::string> ServiceAccountsController::all_keys() const {
  if (ctx_.cluster.root_ca_pem.empty()) return {};
  return keys_of(namespaces_);
}

Result<void> ServiceAccountsController::sync(const std::string& ns) {
  if (ctx_.cluster.root_ca_pem.empty()) return {};
  const bool have = accounts_.get(ns, "default") != nullptr;
  if (!live(namespaces_, ns)) {
    if (!have || namespaces_.get(ns)) return {};
    return ignore(ctx_.registry.remove("ServiceAccount", ns, "default"), Reason::NotFound);
  }
  if (have) return {};
  return ignore(ctx_.registry.create(default_service_account(ns)), Reason::AlreadyExists);
}

RootCaPublisher::RootCaPublisher(Context& ctx)
    : Controller("root-ca-cert-publisher", ctx),
      namespaces_(ctx.informers.informer("Namespace")),
      config_maps_(ctx.informers.informer("ConfigMap")) {
  if (ctx.cluster.root_ca_pem.empty()) return;
  namespaces_.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    if (!old || !cur) queue_.add(name_of(cur ? *cur : *old));
  });
  config_maps_.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    const ObjPtr& o = cur ? cur : old;
    if (name_of(*o) == kRootCaConfigMap) queue_.add(ns_of(*o));
  });
}

std::vector<std::string> RootCaPublisher::all_keys() const {
  if (ctx_.cluster.root_ca_pem.empty()) return {};
  return keys_of(namespaces_);
}

Result<void> RootCaPublisher::sync(const std::string& ns) {
  if (ctx_.cluster.root_ca_pem.empty()) return {};
  auto cached = config_maps_.get(ns, kRootCaConfigMap);
  if (!live(namespaces_, ns)) {
    if (!cached || namespaces_.get(ns)) return {};
    return ignore(ctx_.registry.remove("ConfigMap", ns, kRootCaConfigMap), Reason::NotFound);
  }
  const Json want = root_ca_config_map(ns, ctx_.cluster.root_ca_pem);
  if (!cached) return ignore(ctx_.registry.create(want), Reason::AlreadyExists);
  // syncNamespace: the data (and the description) put back; anything else on it stays.
  const Json& data = api::member(*cached, "data");
  const Json& note = api::member(api::member(api::metadata_of(*cached), "annotations"), "kubernetes.io/description");
  if (data == want["data"] && note == want["metadata"]["annotations"]["kubernetes.io/description"] &&
      !cached->contains("binaryData"))
    return {};
  auto fixed = ctx_.registry.retry_update("ConfigMap", ns, kRootCaConfigMap, [&](Json& cm) {
    cm["data"] = want["data"];
    cm.erase("binaryData");
    cm["metadata"]["annotations"]["kubernetes.io/description"] = want["metadata"]["annotations"]["kubernetes.io/description"];
    return true;
  });
  return ignore(std::move(fixed), Reason::NotFound);
}

}  // namespace lab::controllers
