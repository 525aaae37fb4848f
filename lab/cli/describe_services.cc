// kubectl describe for the Service kinds: services (with each port's Endpoints line from the
// service's EndpointSlices) and endpoint slices. Split out of describe.cc.
#include <algorithm>
#include <vector>

#include "lab/cli/describe_util.h"

namespace lab::cli {

using namespace describe_detail;

namespace {

// net.JoinHostPort: IPv6 addresses go in brackets.
std::string host_port(const std::string& host, long long port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// formatEndpointSlices(slices, {port_name}) as of kubectl with kubernetes#126932: ready endpoints
// (a missing ready condition counts as ready) at the slice's port of that name, three at most, then
// "+ N more...". Quirks kept: "more" is decided before readiness, so three ready endpoints followed
// by unready ones read "+ 0 more..."; slices without a ready endpoint give an empty cell, and only
// no slices at all give <none>.
std::string endpoints_cell(const std::vector<const Json*>& slices, const std::string& port_name) {
  if (slices.empty()) return "<none>";
  constexpr size_t kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  size_t count = 0;
  auto add = [&](const Json& endpoint, const Json* port) {
    const Json& addresses = arr(endpoint, "addresses");
    if (addresses.empty() || !addresses[0].is_string()) return;  // kubectl would crash; skip it
    if (list.size() == kMax) more = true;
    const Json* ready = at(endpoint, "conditions.ready");
    if (ready && ready->is_boolean() && !ready->get<bool>()) return;
    if (!more) {
      const std::string& address = addresses[0].get_ref<const std::string&>();
      list.push_back(port ? host_port(address, num(*port, "port")) : address);
    }
    ++count;
  };
  for (const Json* slice : slices) {
    const Json& ports = arr(*slice, "ports");
    if (ports.empty()) {  // a headless Service may have no ports: bare addresses
      for (const auto& e : arr(*slice, "endpoints")) add(e, nullptr);
      continue;
    }
    for (const auto& port : ports)
      if (str(port, "name") == port_name)
        for (const auto& e : arr(*slice, "endpoints")) add(e, &port);
  }
  std::string out = join(list, ",");
  return more ? out + " + " + std::to_string(count - kMax) + " more..." : out;
}

// buildIngressString.
std::string ingress_cell(const Json& ingress) {
  std::vector<std::string> parts;
  for (const auto& i : ingress) {
    if (str(i, "ip").empty()) {
      parts.push_back(str(i, "hostname"));
      continue;
    }
    parts.push_back(str(i, "ip") + (str(i, "ipMode").empty() ? "" : " (" + str(i, "ipMode") + ")"));
  }
  return join(parts, ", ");
}

std::string strings_joined(const Json& list, std::string_view sep) {
  std::vector<std::string> parts;
  for (const auto& v : list) parts.push_back(scalar(&v));
  return join(parts, sep);
}

}  // namespace

std::string describe_service(const Json& svc, const Json& endpoint_slices, const Json& events,
                             Clock::time_point now) {
  // kubectl lists the slices labelled kubernetes.io/service-name=<name> in the Service's namespace,
  // in name order; callers may pass more than that.
  std::vector<const Json*> slices;
  for (const auto& slice : items_of(endpoint_slices)) {
    const std::string ns = str(slice, "metadata.namespace");
    const Json& labels = obj(slice, "metadata.labels");  // the key holds dots: no at() path
    auto owner = labels.find("kubernetes.io/service-name");
    if (owner != labels.end() && *owner == str(svc, "metadata.name") &&
        (ns.empty() || str(svc, "metadata.namespace").empty() || ns == str(svc, "metadata.namespace")))
      slices.push_back(&slice);
  }
  std::stable_sort(slices.begin(), slices.end(),
                   [](const Json* a, const Json* b) { return str(*a, "metadata.name") < str(*b, "metadata.name"); });

  Writer w;
  describe_metadata(w, svc);
  w(0, "Selector:\t" + format_labels(obj(svc, "spec.selector")) + "\n");
  const std::string type = str(svc, "spec.type").empty() ? "ClusterIP" : str(svc, "spec.type");
  w(0, "Type:\t" + type + "\n");
  if (at(svc, "spec.ipFamilyPolicy")) w(0, "IP Family Policy:\t" + str(svc, "spec.ipFamilyPolicy") + "\n");
  w(0, "IP Families:\t" + or_none(strings_joined(arr(svc, "spec.ipFamilies"), ",")) + "\n");
  w(0, "IP:\t" + str(svc, "spec.clusterIP") + "\n");
  w(0, "IPs:\t" + or_none(strings_joined(arr(svc, "spec.clusterIPs"), ",")) + "\n");
  if (!arr(svc, "spec.externalIPs").empty())
    w(0, "External IPs:\t" + strings_joined(arr(svc, "spec.externalIPs"), ",") + "\n");
  if (!str(svc, "spec.loadBalancerIP").empty())
    w(0, "Desired LoadBalancer IP:\t" + str(svc, "spec.loadBalancerIP") + "\n");
  if (!str(svc, "spec.externalName").empty()) w(0, "External Name:\t" + str(svc, "spec.externalName") + "\n");
  if (!arr(svc, "status.loadBalancer.ingress").empty())
    w(0, "LoadBalancer Ingress:\t" + ingress_cell(arr(svc, "status.loadBalancer.ingress")) + "\n");
  for (const auto& p : arr(svc, "spec.ports")) {
    const std::string name = str(p, "name").empty() ? "<unset>" : str(p, "name");
    const std::string protocol = str(p, "protocol").empty() ? "TCP" : str(p, "protocol");
    w(0, "Port:\t" + name + "\t" + std::to_string(num(p, "port")) + "/" + protocol + "\n");
    // The API server defaults targetPort to port.
    const Json* target = at(p, "targetPort");
    w(0, "TargetPort:\t" + (target ? scalar(target) : std::to_string(num(p, "port"))) + "/" + protocol + "\n");
    if (num(p, "nodePort") != 0)
      w(0, "NodePort:\t" + name + "\t" + std::to_string(num(p, "nodePort")) + "/" + protocol + "\n");
    w(0, "Endpoints:\t" + endpoints_cell(slices, str(p, "name")) + "\n");
  }
  w(0, "Session Affinity:\t" + (str(svc, "spec.sessionAffinity").empty() ? "None" : str(svc, "spec.sessionAffinity")) +
           "\n");
  if (!str(svc, "spec.externalTrafficPolicy").empty())
    w(0, "External Traffic Policy:\t" + str(svc, "spec.externalTrafficPolicy") + "\n");
  if (at(svc, "spec.internalTrafficPolicy"))
    w(0, "Internal Traffic Policy:\t" + str(svc, "spec.internalTrafficPolicy") + "\n");
  if (num(svc, "spec.healthCheckNodePort") != 0)
    w(0, "HealthCheck NodePort:\t" + std::to_string(num(svc, "spec.healthCheckNodePort")) + "\n");
  if (!arr(svc, "spec.loadBalancerSourceRanges").empty())
    w(0, "LoadBalancer Source Ranges:\t" + strings_joined(arr(svc, "spec.loadBalancerSourceRanges"), ",") + "\n");
  describe_events(w, events, now);
  return w.tw.str();
}

std::string describe_endpoint_slice(const Json& slice, const Json& events, Clock::time_point now) {
  Writer w;
  describe_metadata(w, slice);
  w(0, "AddressType:\t" + str(slice, "addressType") + "\n");
  const Json& ports = arr(slice, "ports");
  if (ports.empty()) {
    w(0, "Ports: <unset>\n");
  } else {
    w(0, "Ports:\n");
    w(1, "Name\tPort\tProtocol\n");
    w(1, "----\t----\t--------\n");
    for (const auto& p : ports) {
      const std::string name = str(p, "name").empty() ? "<unset>" : str(p, "name");
      const std::string number = at(p, "port") ? std::to_string(num(p, "port")) : "<unset>";
      w(1, name + "\t" + number + "\t" + str(p, "protocol") + "\n");
    }
  }
  const Json& endpoints = arr(slice, "endpoints");
  w(0, endpoints.empty() ? "Endpoints: <none>\n" : "Endpoints:\n");
  auto or_unset = [](const Json* v) { return v ? scalar(v) : std::string("<unset>"); };
  for (const auto& e : endpoints) {
    const Json& addresses = arr(e, "addresses");
    w(1, "- Addresses:\t" + (addresses.empty() ? "<none>" : strings_joined(addresses, ", ")) + "\n");
    w(2, "Conditions:\n");
    w(3, "Ready:\t" + or_unset(at(e, "conditions.ready")) + "\n");
    w(2, "Hostname:\t" + or_unset(at(e, "hostname")) + "\n");
    if (at(e, "targetRef")) w(2, "TargetRef:\t" + str(e, "targetRef.kind") + "/" + str(e, "targetRef.name") + "\n");
    w(2, "NodeName:\t" + or_unset(at(e, "nodeName")) + "\n");
    w(2, "Zone:\t" + or_unset(at(e, "zone")) + "\n");
  }
  describe_events(w, events, now);
  return w.tw.str();
}

}  // namespace lab::cli
