// kube-proxy's informer: Services and EndpointSlices kept in memory from the store's event log,
// so one changed EndpointSlice rebuilds one Service's ports, not the view of every Service.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "lab/proxy/rules.h"
#include "lab/store/store.h"
#include "netns/cidr.h"

namespace lab::node {

class ServiceCache {
 public:
  ServiceCache(const net::Cidr& pod_cidr, const net::Cidr& service_cidr);

  // Reads every Service and EndpointSlice afresh (at start, and when the event log has moved
  // past what we saw).
  void relist(const store::Store& st);
  // Applies the store's events; true when a Service or EndpointSlice changed.
  bool apply(const std::vector<store::Event>& events);

  // The view all nodes share (node_ips left to the caller), brought up to date. Ports are in
  // namespace/name order; a Service whose ports keep their number is rewritten in place.
  proxy::NodeView& view();

  // LoadBalancer addresses each node should hold, from the Services' announcement annotations.
  std::map<std::string, std::set<std::string>> announcements() const;

  // The health check port of each Service that has one ("ns/name" -> spec.healthCheckNodePort):
  // LoadBalancers with externalTrafficPolicy Local, as kube-proxy serves them. Kept as Services
  // change: every sync reads it, and a scan of 10,000 Services took ~6 ms.
  const std::map<std::string, int>& health_check_ports() const { return health_checks_; }

  // One Service's ports in the view last returned by view() (empty when it has none).
  std::span<const proxy::ServicePort> view_ports(const std::string& key) const;

 private:
  // The store's objects are shared, never copied (they are immutable once stored).
  void service_changed(const std::string& type, const store::ObjPtr& svc);
  void slice_changed(const std::string& type, const store::ObjPtr& slice);
  std::vector<proxy::ServicePort> ports_of(const std::string& key) const;

  std::map<std::string, store::ObjPtr> services_;                     // "ns/name"
  // Services with an announcing node: key -> (node, LoadBalancer IPs); few, unlike services_.
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> announced_;
  std::map<std::string, int> health_checks_;  // few, like announced_
  std::map<std::string, std::map<std::string, store::ObjPtr>> slices_;  // service key -> slice name
  std::map<std::string, std::string> slice_owner_;                    // "ns/slice" -> service key
  std::map<std::string, std::vector<proxy::ServicePort>> ports_;      // service key
  std::map<std::string, size_t> first_port_;                          // index in view_.ports
  std::set<std::string> dirty_;
  bool reshape_ = true;  // view_.ports must be rebuilt whole
  proxy::NodeView view_;
};

}  // namespace lab::node
