// Pool allocation for LoadBalancer Services, with MetalLB's events; an address leaves the
// Service when its type changes away from LoadBalancer, and the pool gets it back. Addresses in
// use are found through an index of the Services' ingress IPs, not a scan of every Service.
#include "lab/controllers/service_lb.h"

#include "lab/api/event_object.h"
#include "lab/api/json_access.h"

namespace lab::controllers {

namespace {

constexpr const char* kByIngress = "lb-ingress";

Json ingress_of(const Json& svc) {
  return svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array());
}

std::vector<std::string> index_by_ingress(const Json& svc) {
  std::vector<std::string> out;
  for (const auto& ing : ingress_of(svc))
    if (ing.is_object() && ing.contains("ip") && ing["ip"].is_string()) out.push_back(ing["ip"].get<std::string>());
  return out;
}

// A LoadBalancer of another class (spec.loadBalancerClass) is another implementation's to serve:
// this one, like MetalLB without a class of its own, serves only Services without one.
bool is_lb(const Json& svc) {
  const Json& spec = api::member(svc, "spec");
  return api::string_at(spec, "type") == "LoadBalancer" && api::string_at(spec, "loadBalancerClass").empty();
}

// Services that need an address or must give one back.
bool needs_sync(const Json& svc) { return is_lb(svc) == ingress_of(svc).empty(); }

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
  if (!is_lb(svc)) {
    if (ingress.empty()) return {};
    svc["status"]["loadBalancer"] = Json::object();
    auto released = ctx_.registry.update_status(svc);
    if (!released) return std::unexpected(released.error());
    auto unannounced = ctx_.registry.retry_update("Service", svc["metadata"].value("namespace", "default"),
                                      svc["metadata"].value("name", ""), [](Json& s) {
                                        auto& meta = s["metadata"];
                                        if (!meta.contains("annotations") || !meta["annotations"].contains(api::kAnnouncedBy))
                                          return false;
                                        meta["annotations"].erase(api::kAnnouncedBy);
                                        return true;
                                      });
    if (!unannounced) return std::unexpected(unannounced.error());
    return {};
  }
  if (!ingress.empty()) return {};
  const auto& pool = ctx_.cluster.lb_pool;
  const auto& nodes = ctx_.cluster.nodes;
  std::string name = svc["metadata"].value("namespace", "default") + "/" + svc["metadata"].value("name", "");
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
  auto announced = ctx_.registry.retry_update("Service", svc["metadata"].value("namespace", "default"),
                                              svc["metadata"].value("name", ""), [&](Json& s) {
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
