// Pool allocation for LoadBalancer Services, with MetalLB's events; an address leaves the
// Service when its type changes away from LoadBalancer, and the pool gets it back.
#include "lab/controllers/service_lb.h"

#include <set>

#include "lab/controllers/events.h"

namespace lab::controllers {

using Json = nlohmann::json;

void reconcile_load_balancers(store::Store& st, const net::Ipv4Range& pool,
                              const std::vector<std::string>& nodes) {
  std::set<uint32_t> used;
  auto services = st.list("Service", "");
  for (const auto& svc : services)
    for (const auto& ing : svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array()))
      if (auto ip = net::Ipv4::parse(ing.value("ip", ""))) used.insert(ip->value);
  for (auto svc : services) {
    bool is_lb = svc["spec"].value("type", "ClusterIP") == "LoadBalancer";
    Json ingress = svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array());
    if (!is_lb) {
      if (!ingress.empty()) {
        svc["status"]["loadBalancer"] = Json::object();
        svc["metadata"]["annotations"].erase(kAnnouncedBy);
        (void)st.update(svc);
      }
      continue;
    }
    if (!ingress.empty()) continue;
    std::string name = svc["metadata"].value("namespace", "default") + "/" + svc["metadata"].value("name", "");
    std::string ip;
    for (uint64_t i = 0; i < pool.size() && ip.empty(); ++i) {
      net::Ipv4 cand = pool.first.plus(static_cast<uint32_t>(i));
      if (!used.contains(cand.value)) ip = cand.str();
    }
    if (ip.empty()) {
      record_event(st, svc, "Warning", "AllocationFailed",
                   "Failed to allocate IP for \"" + name + "\": no available IPs", "metallb-controller");
      continue;
    }
    used.insert(net::Ipv4::parse(ip)->value);
    // One node announces the address: spread by the address, stable while nodes stay.
    std::string node = nodes.empty() ? "" : nodes[net::Ipv4::parse(ip)->value % nodes.size()];
    svc["status"]["loadBalancer"]["ingress"] = Json::array({{{"ip", ip}, {"ipMode", "VIP"}}});
    svc["metadata"]["annotations"][kAnnouncedBy] = node;
    if (st.update(svc)) {
      record_event(st, svc, "Normal", "IPAllocated", "Assigned IP [\"" + ip + "\"]", "metallb-controller");
      record_event(st, svc, "Normal", "nodeAssigned", "announcing from node \"" + node + "\" with protocol \"layer2\"",
                   "metallb-speaker");
    }
  }
}

}  // namespace lab::controllers
