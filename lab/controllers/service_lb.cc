// Pool allocation for LoadBalancer Services, with MetalLB's events; an address leaves the
// Service when its type changes away from LoadBalancer, and the pool gets it back. Addresses in
// use are found through an index of the Services' ingress IPs, not a scan of every Service.
#include "lab/controllers/service_lb.h"

#include <algorithm>

#include "lab/api/event_object.h"
#include "lab/api/json_access.h"
#include "lab/api/objects.h"

namespace lab::controllers {

namespace {

constexpr const char* kByIngress = "lb-ingress";

// The Service's ingress entries (an entry with a hostname and no IP counts: the address is taken).
const Json& ingress_of(const Json& svc) {
  return api::array_at(api::member(api::member(svc, "status"), "loadBalancer"), "ingress");
}

std::vector<std::string> index_by_ingress(const Json& svc) { return api::ingress_ips(svc); }

// A LoadBalancer of another class (spec.loadBalancerClass) is another implementation's to serve:
// this one, like MetalLB without a class of its own, serves only Services without one.
bool is_lb(const Json& svc) {
  const Json& spec = api::member(svc, "spec");
  return api::string_at(spec, "type") == "LoadBalancer" && api::string_at(spec, "loadBalancerClass").empty();
}

// What the service controller puts on a LoadBalancer it serves, so that deleting the Service waits
// until its load balancer is gone (k8s.io/cloud-provider servicehelper.LoadBalancerCleanupFinalizer).
constexpr const char* kCleanupFinalizer = "service.kubernetes.io/load-balancer-cleanup";

bool has_cleanup_finalizer(const Json& svc) {
  const Json& f = api::member(api::metadata_of(svc), "finalizers");
  return f.is_array() && std::find(f.begin(), f.end(), Json(kCleanupFinalizer)) != f.end();
}

// Whether the Service's load balancer is to stay: a LoadBalancer of ours not being deleted.
bool serves(const Json& svc) { return is_lb(svc) && !api::is_terminating(svc); }

// Services that need an address or the finalizer, or must give them back.
bool needs_sync(const Json& svc) {
  if (serves(svc)) return ingress_of(svc).empty() || !has_cleanup_finalizer(svc);
  return has_cleanup_finalizer(svc) || (!api::is_terminating(svc) && !ingress_of(svc).empty());
}

}  // namespace

LoadBalancerController::LoadBalancerController(Context& ctx) : Controller("metallb-controller", ctx) {
  ctx.services.add_index(kByIngress, index_by_ingress);
  ctx.services.add_handler([this](const ObjPtr&, const ObjPtr& cur) {
    if (cur && needs_sync(*cur)) enqueue(cur);
  });
}

std::vector<std::string> LoadBalancerController::all_keys() const {
  return keys_of(ctx_.services, needs_sync);
}

Result<void> LoadBalancerController::sync(const std::string& key) {
  auto cached = ctx_.services.get(key);
  if (!cached) return {};
  Json svc = *cached;
  Json ingress = ingress_of(svc);
  const std::string ns = api::string_at(api::metadata_of(svc), "namespace"), name = api::string_at(api::metadata_of(svc), "name");
  if (!serves(svc)) {
    // A Service being deleted gives its address back with itself; one whose type changed
    // gives it back now. The finalizer goes last, as the service controller removes it once the
    // load balancer is gone (its removal deletes a Service being deleted).
    if (!api::is_terminating(svc) && !ingress.empty()) LAB_TRY(release(svc));
    if (!has_cleanup_finalizer(svc)) return {};
    auto done = ctx_.registry.retry_update("Service", ns, name, [](Json& s) {
      if (!has_cleanup_finalizer(s)) return false;
      Json& f = s["metadata"]["finalizers"];
      f.erase(std::find(f.begin(), f.end(), Json(kCleanupFinalizer)));
      return true;
    });
    if (!done && done.error().reason != Reason::NotFound) return std::unexpected(done.error());
    return {};
  }
  if (!has_cleanup_finalizer(svc)) {
    // Before the address, as the service controller adds it before it ensures the load balancer.
    auto added = ctx_.registry.retry_update("Service", ns, name, [](Json& s) {
      if (api::is_terminating(s) || has_cleanup_finalizer(s)) return false;
      Json& f = s["metadata"]["finalizers"];
      if (!f.is_array()) f = Json::array();
      f.push_back(kCleanupFinalizer);
      return true;
    });
    if (!added) return std::unexpected(added.error());
    svc = *added;
    ingress = ingress_of(svc);
  }
  if (!ingress.empty()) return {};
  return allocate(svc);
}

Result<void> LoadBalancerController::release(Json svc) {
  const std::string ns = api::string_at(api::metadata_of(svc), "namespace"), name = api::string_at(api::metadata_of(svc), "name");
  svc["status"]["loadBalancer"] = Json::object();
  auto released = ctx_.registry.update_status(svc);
  if (!released) return std::unexpected(released.error());
  auto unannounced = ctx_.registry.retry_update("Service", ns, name, [](Json& s) {
    const Json& annotations = api::member(api::metadata_of(s), "annotations");
    if (!annotations.is_object() || !annotations.contains(api::kAnnouncedBy)) return false;
    s["metadata"]["annotations"].erase(api::kAnnouncedBy);
    return true;
  });
  if (!unannounced) return std::unexpected(unannounced.error());
  return {};
}

Result<void> LoadBalancerController::allocate(const Json& svc) {
  const auto& pool = ctx_.cluster.lb_pool;
  const auto& nodes = ctx_.cluster.nodes;
  const std::string ns = api::string_at(api::metadata_of(svc), "namespace"), svc_name = api::string_at(api::metadata_of(svc), "name");
  const std::string name = ns + "/" + svc_name;
  std::string ip;
  net::Ipv4 chosen{};
  for (uint64_t i = 0; i < pool.size() && ip.empty(); ++i) {
    net::Ipv4 cand = pool.first.plus(static_cast<uint32_t>(i));
    if (ctx_.services.count_index(kByIngress, cand.str()) == 0) ip = cand.str(), chosen = cand;
  }
  if (ip.empty()) {
    ctx_.event(svc, "Warning", "AllocationFailed", "Failed to allocate IP for \"" + name + "\": no available IPs",
               "metallb-controller");
    return {};
  }
  // One node announces the address: spread by the address, stable while nodes stay.
  std::string node = nodes.empty() ? "" : nodes[chosen.value % nodes.size()];
  // The announcement first (metadata), then the address (status): the proxy programs a node once
  // it sees both.
  auto announced = ctx_.registry.retry_update("Service", ns, svc_name, [&](Json& s) {
                                                s["metadata"]["annotations"][api::kAnnouncedBy] = node;
                                                return true;
                                              });
  if (!announced) return std::unexpected(announced.error());
  Json with_ip = *announced;
  with_ip["status"]["loadBalancer"]["ingress"] = Json::array({{{"ip", ip}, {"ipMode", "VIP"}}});
  auto written = ctx_.registry.update_status(with_ip);
  if (!written) return std::unexpected(written.error());
  ctx_.event(*written, "Normal", "IPAllocated", "Assigned IP [\"" + ip + "\"]", "metallb-controller");
  ctx_.event(*written, "Normal", "nodeAssigned", "announcing from node \"" + node + "\" with protocol \"layer2\"",
             "metallb-speaker");
  return {};
}

}  // namespace lab::controllers
