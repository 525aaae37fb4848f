// Services and EndpointSlices to nft, per node, on every store change; plus the MetalLB-style
// layer-2 announcement of LoadBalancer addresses.
#include "lab/node/proxy_agent.h"

#include <cstdio>
#include <thread>

#include "lab/controllers/service_lb.h"
#include "netns/addr.h"

namespace lab::node {

using Json = nlohmann::json;

proxy::NodeView service_view(const store::Store& st, const net::FabricPlan& plan) {
  proxy::NodeView view;
  view.pod_cidr = plan.pod_cidr.str();
  view.service_cidr = plan.service_cidr.str();
  for (const auto& svc : st.list("Service", "")) {
    const auto& meta = svc["metadata"];
    std::string ns = meta.value("namespace", "default"), name = meta.value("name", "");
    const Json& spec = svc["spec"];
    std::string cip = spec.value("clusterIP", "");
    if (cip == "None") cip.clear();
    std::vector<std::string> lb_ips;
    for (const auto& ing : svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array()))
      if (!ing.value("ip", "").empty()) lb_ips.push_back(ing.value("ip", ""));
    bool affinity = spec.value("sessionAffinity", "None") == "ClientIP";
    int timeout = spec.value("sessionAffinityConfig", Json::object()).value("clientIP", Json::object()).value("timeoutSeconds", 10800);
    auto slices = st.list("EndpointSlice", ns, *api::Selector::parse("kubernetes.io/service-name=" + name));
    for (const auto& p : spec.value("ports", Json::array())) {
      proxy::ServicePort sp;
      sp.ns = ns;
      sp.service = name;
      sp.port_name = p.value("name", "");
      sp.protocol = p.value("protocol", "TCP");
      sp.cluster_ip = cip;
      sp.port = p.value("port", 0);
      sp.node_port = p.value("nodePort", 0);
      sp.lb_ips = lb_ips;
      sp.affinity_client_ip = affinity;
      sp.affinity_timeout = timeout;
      for (const auto& slice : slices) {
        int port = 0;
        for (const auto& sport : slice.value("ports", Json::array()))
          if (sport.value("name", "") == sp.port_name) port = sport.value("port", 0);
        if (port == 0) continue;
        for (const auto& ep : slice.value("endpoints", Json::array())) {
          const Json& c = ep.value("conditions", Json::object());
          for (const auto& addr : ep.value("addresses", Json::array()))
            // An absent condition means true for ready and serving, as the EndpointSlice API says.
            sp.endpoints.push_back({addr.get<std::string>(), port, c.value("ready", true), c.value("serving", true),
                                    c.value("terminating", false)});
        }
      }
      view.ports.push_back(std::move(sp));
    }
  }
  return view;
}

void ProxyAgent::sync_once() {
  proxy::NodeView shared = service_view(store_, rec_.plan);
  // Which node announces which LoadBalancer address.
  std::map<std::string, std::set<std::string>> announce;
  for (const auto& svc : store_.list("Service", "")) {
    std::string node = svc["metadata"].value("annotations", Json::object()).value(controllers::kAnnouncedBy, "");
    for (const auto& ing : svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array()))
      if (!node.empty()) announce[node].insert(ing.value("ip", ""));
  }
  for (const auto& plan : rec_.plan.nodes) {
    auto& np = nodes_[plan.name];
    if (!np.proxier || !np.nl) {
      auto ns = net::Netns::open_named(plan.netns_name);
      if (!ns) continue;
      if (auto p = proxy::Proxier::open_in(*ns)) np.proxier.emplace(std::move(*p));
      if (auto s = net::NlSocket::open_in(*ns)) np.nl.emplace(std::move(*s));
      if (!np.proxier || !np.nl) continue;
    }
    proxy::NodeView view = shared;
    view.node_ips = {plan.ip.str()};
    if (auto r = np.proxier->sync(view); !r)
      std::fprintf(stderr, "%s proxy %s: %s\n", store::now_rfc3339().c_str(), plan.name.c_str(), r.error().what().c_str());
    const auto& want = announce[plan.name];
    for (const auto& ip : want)
      if (!np.announced.contains(ip))
        if (auto a = net::Ipv4::parse(ip)) {
          auto r = net::add_address(*np.nl, "eth0", *a, 32);
          if (r || r.error().code == EEXIST) np.announced.insert(ip);
        }
    for (auto it = np.announced.begin(); it != np.announced.end();) {
      if (want.contains(*it)) {
        ++it;
        continue;
      }
      if (auto a = net::Ipv4::parse(*it)) (void)net::delete_address(*np.nl, "eth0", *a, 32);
      it = np.announced.erase(it);
    }
  }
}

void ProxyAgent::run_loop(const std::atomic<bool>& stop) {
  uint64_t seen = 0;
  while (!stop) {
    uint64_t now = store_.version();
    if (now != seen) sync_once();
    seen = now;
    synced_ = now;
    (void)store_.events_since(seen, 1000);
  }
}

}  // namespace lab::node
