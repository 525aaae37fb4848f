// ServiceCache: Services and EndpointSlices by key, turned into proxy ServicePorts per Service
// on demand, and spliced into one NodeView.
#include "lab/node/service_cache.h"

#include <algorithm>

#include "lab/api/event_object.h"
#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "lab/api/source_ranges.h"

namespace lab::node {

using Json = store::Json;
using api::bool_at;
using api::member;
using api::string_at;

// The objects come from the store, which the API server checked; still, they are read with the
// api helpers, so that an object of an unexpected shape is read as absent fields, never a throw.
namespace {

std::string key_of(const Json& obj) {
  const Json& meta = api::metadata_of(obj);
  return string_at(meta, "namespace", "default") + "/" + string_at(meta, "name");
}

// The Service an EndpointSlice belongs to, by its kubernetes.io/service-name label.
std::string owner_of(const Json& slice) {
  const Json& meta = api::metadata_of(slice);
  std::string svc = string_at(member(meta, "labels"), "kubernetes.io/service-name");
  return svc.empty() ? "" : string_at(meta, "namespace", "default") + "/" + svc;
}

}  // namespace

ServiceCache::ServiceCache(const net::Cidr& pod_cidr, const net::Cidr& service_cidr) {
  view_.pod_cidr = pod_cidr.str();
  view_.service_cidr = service_cidr.str();
}

void ServiceCache::relist(const store::Store& st) {
  services_.clear();
  announced_.clear();
  health_checks_.clear();
  slices_.clear();
  slice_owner_.clear();
  ports_.clear();
  dirty_.clear();
  for (auto& svc : st.list("Service", "")) service_changed("ADDED", std::make_shared<const Json>(std::move(svc)));
  for (auto& slice : st.list("EndpointSlice", "")) slice_changed("ADDED", std::make_shared<const Json>(std::move(slice)));
  reshape_ = true;
}

bool ServiceCache::apply(const std::vector<store::Event>& events) {
  bool touched = false;
  for (const auto& e : events) {
    const std::string kind = string_at(*e.object, "kind");
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

void ServiceCache::service_changed(const std::string& type, const store::ObjPtr& obj) {
  const Json& svc = *obj;
  std::string key = key_of(svc);
  dirty_.insert(key);
  announced_.erase(key);
  health_checks_.erase(key);
  if (type == "DELETED") {
    services_.erase(key);
    return;
  }
  services_[key] = obj;
  const Json& spec = member(svc, "spec");
  // needsHealthCheck: a LoadBalancer whose externalTrafficPolicy is Local.
  if (string_at(spec, "type") == "LoadBalancer" && string_at(spec, "externalTrafficPolicy") == "Local")
    if (const auto port = api::int_at(spec, "healthCheckNodePort"); port && *port > 0 && *port <= 65535)
      health_checks_[key] = *port;
  std::string node = string_at(member(api::metadata_of(svc), "annotations"), api::kAnnouncedBy);
  if (node.empty()) return;
  announced_[key] = {node, api::ingress_ips(svc)};
}

void ServiceCache::slice_changed(const std::string& type, const store::ObjPtr& obj) {
  const Json& slice = *obj;
  const std::string skey = key_of(slice);
  const std::string name = string_at(api::metadata_of(slice), "name");
  // Forget it under its previous owner (labels can change), then file it under the current one.
  if (auto it = slice_owner_.find(skey); it != slice_owner_.end()) {
    slices_[it->second].erase(name);
    dirty_.insert(it->second);
    slice_owner_.erase(it);
  }
  if (type == "DELETED") return;
  std::string owner = owner_of(slice);
  if (owner.empty()) return;
  slices_[owner][name] = obj;
  slice_owner_[skey] = owner;
  dirty_.insert(owner);
}

std::vector<proxy::ServicePort> ServiceCache::ports_of(const std::string& key) const {
  std::vector<proxy::ServicePort> out;
  auto it = services_.find(key);
  if (it == services_.end()) return out;
  const Json& svc = *it->second;
  const Json& meta = api::metadata_of(svc);
  const std::string ns = string_at(meta, "namespace", "default"), name = string_at(meta, "name");
  const Json& spec = member(svc, "spec");
  const std::string type = string_at(spec, "type");
  if (type == "ExternalName") return out;  // a DNS alias: nothing to proxy
  std::string cip = string_at(spec, "clusterIP");
  if (cip == "None") cip.clear();
  std::vector<std::string> lb_ips;
  for (auto& ip : api::ingress_ips(svc))
    if (std::find(lb_ips.begin(), lb_ips.end(), ip) == lb_ips.end()) lb_ips.push_back(std::move(ip));
  // spec.loadBalancerSourceRanges (or the annotation) guard the load balancer's own addresses,
  // those so far: not spec.externalIPs, as kube-proxy filters only LoadBalancer VIPs.
  std::vector<std::string> ranges, firewall_ips;
  if (type == "LoadBalancer") ranges = api::source_ranges(svc);
  if (!ranges.empty()) firewall_ips = lb_ips;
  // spec.externalIPs take the same external path as the load balancer's (kube-proxy's
  // external-X chain); an address in both is programmed once.
  for (const auto& ip : api::array_at(spec, "externalIPs"))
    if (ip.is_string() && !ip.get<std::string>().empty() &&
        std::find(lb_ips.begin(), lb_ips.end(), ip.get<std::string>()) == lb_ips.end())
      lb_ips.push_back(ip.get<std::string>());
  const bool affinity = string_at(spec, "sessionAffinity") == "ClientIP";
  const bool internal_local = string_at(spec, "internalTrafficPolicy") == "Local";
  const bool external_local = string_at(spec, "externalTrafficPolicy") == "Local";
  const int timeout =
      api::int_at(member(member(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds").value_or(10800);
  static const std::map<std::string, store::ObjPtr> kNoSlices;
  auto sl = slices_.find(key);
  const auto& slices = sl == slices_.end() ? kNoSlices : sl->second;
  for (const auto& p : api::array_at(spec, "ports")) {
    proxy::ServicePort sp;
    sp.ns = ns;
    sp.service = name;
    sp.port_name = string_at(p, "name");
    sp.protocol = string_at(p, "protocol", "TCP");
    sp.cluster_ip = cip;
    sp.port = api::int_at(p, "port").value_or(0);
    sp.node_port = api::int_at(p, "nodePort").value_or(0);
    sp.lb_ips = lb_ips;
    sp.affinity_client_ip = affinity;
    sp.affinity_timeout = timeout;
    sp.internal_local = internal_local;
    sp.external_local = external_local;
    sp.source_ranges = ranges;
    sp.firewall_ips = firewall_ips;
    for (const auto& [slice_name, slice_ptr] : slices) {
      const Json& slice = *slice_ptr;
      int port = 0;
      for (const auto& sport : api::array_at(slice, "ports"))
        if (string_at(sport, "name") == sp.port_name) port = api::int_at(sport, "port").value_or(0);
      if (port == 0) continue;
      for (const auto& ep : api::array_at(slice, "endpoints")) {
        const Json& c = member(ep, "conditions");
        const std::string node = string_at(ep, "nodeName");
        for (const auto& addr : api::array_at(ep, "addresses"))
          // An absent condition means true for ready and serving, as the EndpointSlice API says.
          if (addr.is_string())
            sp.endpoints.push_back({addr.get<std::string>(), port, bool_at(c, "ready", true),
                                    bool_at(c, "serving", true), bool_at(c, "terminating", false), node});
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

std::span<const proxy::ServicePort> ServiceCache::view_ports(const std::string& key) const {
  auto first = first_port_.find(key);
  auto ports = ports_.find(key);
  if (first == first_port_.end() || ports == ports_.end()) return {};
  return std::span(view_.ports).subspan(first->second, ports->second.size());
}

std::map<std::string, std::set<std::string>> ServiceCache::announcements() const {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [key, entry] : announced_) out[entry.first].insert(entry.second.begin(), entry.second.end());
  return out;
}

}  // namespace lab::node
