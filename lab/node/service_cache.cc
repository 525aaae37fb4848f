// ServiceCache: Services and EndpointSlices by key, turned into proxy ServicePorts per Service
// on demand, and spliced into one NodeView.
#include "lab/node/service_cache.h"

#include <algorithm>

#include "lab/api/event_object.h"
#include "lab/api/source_ranges.h"

namespace lab::node {

using Json = store::Json;

namespace {

std::string key_of(const Json& obj) {
  const Json& meta = obj["metadata"];
  return meta.value("namespace", "default") + "/" + meta.value("name", "");
}

// The Service an EndpointSlice belongs to, by its kubernetes.io/service-name label.
std::string owner_of(const Json& slice) {
  const Json& meta = slice["metadata"];
  std::string svc = meta.value("labels", Json::object()).value("kubernetes.io/service-name", "");
  return svc.empty() ? "" : meta.value("namespace", "default") + "/" + svc;
}

}  // namespace

ServiceCache::ServiceCache(const net::Cidr& pod_cidr, const net::Cidr& service_cidr) {
  view_.pod_cidr = pod_cidr.str();
  view_.service_cidr = service_cidr.str();
}

void ServiceCache::relist(const store::Store& st) {
  services_.clear();
  announced_.clear();
  slices_.clear();
  slice_owner_.clear();
  ports_.clear();
  dirty_.clear();
  for (const auto& svc : st.list("Service", "")) service_changed("ADDED", svc);
  for (const auto& slice : st.list("EndpointSlice", "")) slice_changed("ADDED", slice);
  reshape_ = true;
}

bool ServiceCache::apply(const std::vector<store::Event>& events) {
  bool touched = false;
  for (const auto& e : events) {
    const std::string kind = e.object.value("kind", "");
    if (kind == "Service") {
      service_changed(e.type, e.object);
      touched = true;
    } else if (kind == "EndpointSlice") {
      slice_changed(e.type, e.object);
      touched = true;
    }
  }
  return touched;
}

void ServiceCache::service_changed(const std::string& type, const Json& svc) {
  std::string key = key_of(svc);
  dirty_.insert(key);
  announced_.erase(key);
  if (type == "DELETED") {
    services_.erase(key);
    return;
  }
  services_[key] = svc;
  const Json& meta = svc["metadata"];
  std::string node;
  if (meta.contains("annotations")) node = meta["annotations"].value(api::kAnnouncedBy, "");
  if (node.empty()) return;
  std::vector<std::string> ips;
  for (const auto& ing : svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array()))
    ips.push_back(ing.value("ip", ""));
  announced_[key] = {node, std::move(ips)};
}

void ServiceCache::slice_changed(const std::string& type, const Json& slice) {
  const std::string skey = key_of(slice);
  const std::string name = slice["metadata"].value("name", "");
  // Forget it under its previous owner (labels can change), then file it under the current one.
  if (auto it = slice_owner_.find(skey); it != slice_owner_.end()) {
    slices_[it->second].erase(name);
    dirty_.insert(it->second);
    slice_owner_.erase(it);
  }
  if (type == "DELETED") return;
  std::string owner = owner_of(slice);
  if (owner.empty()) return;
  slices_[owner][name] = slice;
  slice_owner_[skey] = owner;
  dirty_.insert(owner);
}

std::vector<proxy::ServicePort> ServiceCache::ports_of(const std::string& key) const {
  std::vector<proxy::ServicePort> out;
  auto it = services_.find(key);
  if (it == services_.end()) return out;
  const Json& svc = it->second;
  const Json& meta = svc["metadata"];
  const std::string ns = meta.value("namespace", "default"), name = meta.value("name", "");
  const Json& spec = svc["spec"];
  if (spec.value("type", "") == "ExternalName") return out;  // a DNS alias: nothing to proxy
  std::string cip = spec.value("clusterIP", "");
  if (cip == "None") cip.clear();
  std::vector<std::string> lb_ips;
  for (const auto& ing : svc.value("status", Json::object()).value("loadBalancer", Json::object()).value("ingress", Json::array()))
    if (std::string ip = ing.value("ip", ""); !ip.empty() && std::find(lb_ips.begin(), lb_ips.end(), ip) == lb_ips.end())
      lb_ips.push_back(std::move(ip));
  // spec.loadBalancerSourceRanges (or the annotation) guard the load balancer's own addresses,
  // those so far: not spec.externalIPs, as kube-proxy filters only LoadBalancer VIPs.
  std::vector<std::string> ranges, firewall_ips;
  if (spec.value("type", "") == "LoadBalancer") ranges = api::source_ranges(svc);
  if (!ranges.empty()) firewall_ips = lb_ips;
  // spec.externalIPs take the same external path as the load balancer's (kube-proxy's
  // external-X chain); an address in both is programmed once.
  for (const auto& ip : spec.value("externalIPs", Json::array()))
    if (ip.is_string() && !ip.get<std::string>().empty() &&
        std::find(lb_ips.begin(), lb_ips.end(), ip.get<std::string>()) == lb_ips.end())
      lb_ips.push_back(ip.get<std::string>());
  const bool affinity = spec.value("sessionAffinity", "None") == "ClientIP";
  const bool internal_local = spec.value("internalTrafficPolicy", "Cluster") == "Local";
  const bool external_local = spec.value("externalTrafficPolicy", "Cluster") == "Local";
  const int timeout =
      spec.value("sessionAffinityConfig", Json::object()).value("clientIP", Json::object()).value("timeoutSeconds", 10800);
  static const std::map<std::string, Json> kNoSlices;
  auto sl = slices_.find(key);
  const auto& slices = sl == slices_.end() ? kNoSlices : sl->second;
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
    sp.internal_local = internal_local;
    sp.external_local = external_local;
    sp.source_ranges = ranges;
    sp.firewall_ips = firewall_ips;
    for (const auto& [slice_name, slice] : slices) {
      int port = 0;
      for (const auto& sport : slice.value("ports", Json::array()))
        if (sport.value("name", "") == sp.port_name) port = sport.value("port", 0);
      if (port == 0) continue;
      for (const auto& ep : slice.value("endpoints", Json::array())) {
        const Json& c = ep.value("conditions", Json::object());
        const std::string node = ep.value("nodeName", "");
        for (const auto& addr : ep.value("addresses", Json::array()))
          // An absent condition means true for ready and serving, as the EndpointSlice API says.
          sp.endpoints.push_back({addr.get<std::string>(), port, c.value("ready", true), c.value("serving", true),
                                  c.value("terminating", false), node});
      }
    }
    out.push_back(std::move(sp));
  }
  return out;
}

proxy::NodeView& ServiceCache::view() {
  for (const auto& key : dirty_) {
    auto ports = ports_of(key);
    auto it = ports_.find(key);
    const size_t had = it == ports_.end() ? 0 : it->second.size();
    if (ports.size() != had) reshape_ = true;
    if (!reshape_) std::copy(ports.begin(), ports.end(), view_.ports.begin() + static_cast<long>(first_port_[key]));
    if (ports.empty())
      ports_.erase(key);
    else
      ports_[key] = std::move(ports);
  }
  dirty_.clear();
  if (reshape_) {
    view_.ports.clear();
    first_port_.clear();
    for (const auto& [key, ports] : ports_) {
      first_port_[key] = view_.ports.size();
      view_.ports.insert(view_.ports.end(), ports.begin(), ports.end());
    }
    reshape_ = false;
  }
  return view_;
}

std::map<std::string, int> ServiceCache::health_check_ports() const {
  std::map<std::string, int> out;
  for (const auto& [key, svc] : services_) {
    const Json& spec = svc["spec"];
    // needsHealthCheck: a LoadBalancer whose externalTrafficPolicy is Local.
    if (spec.value("type", "") != "LoadBalancer" || spec.value("externalTrafficPolicy", "") != "Local") continue;
    const Json& port = spec.value("healthCheckNodePort", Json());
    if (port.is_number_integer() && port.get<int64_t>() > 0 && port.get<int64_t>() <= 65535) out[key] = port.get<int>();
  }
  return out;
}

std::map<std::string, std::set<std::string>> ServiceCache::announcements() const {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [key, entry] : announced_) out[entry.first].insert(entry.second.begin(), entry.second.end());
  return out;
}

}  // namespace lab::node
