// Endpoints <-> EndpointSlices, after kube-controller-manager's endpoints and
// endpointslicemirroring controllers.
#include "lab/controllers/endpoints_mirror.h"

#include <algorithm>
#include <map>
#include <set>

#include "lab/api/json_access.h"
#include "lab/api/labels.h"
#include "netns/cidr.h"

namespace lab::controllers {

using Json = nlohmann::json;

namespace {

// An address of a subset: {ip, nodeName, targetRef}, sorted by ip as the controller sorts.
Json address(const std::string& ip, const Json& endpoint) {
  Json a = {{"ip", ip}};
  if (std::string node = api::string_at(endpoint, "nodeName"); !node.empty()) a["nodeName"] = node;
  if (const Json& ref = api::member(endpoint, "targetRef"); ref.is_object()) a["targetRef"] = ref;
  return a;
}

bool by_ip(const Json& a, const Json& b) {
  auto ka = net::Ipv4::parse(api::string_at(a, "ip")), kb = net::Ipv4::parse(api::string_at(b, "ip"));
  if (ka && kb && ka->value != kb->value) return ka->value < kb->value;
  return api::string_at(a, "ip") < api::string_at(b, "ip");
}

Json service_labels(const Json& svc) {
  Json labels = Json::object();
  const Json& l = api::member(api::member(svc, "metadata"), "labels");
  if (l.is_object())
    for (const auto& [k, v] : l.items())
      if (v.is_string() && k != api::kHeadlessLabel) labels[k] = v;
  const std::string cip = api::string_at(api::member(svc, "spec"), "clusterIP");
  if (cip.empty() || cip == "None") labels[api::kHeadlessLabel] = "";
  return labels;
}

}  // namespace

Json endpoints_from_slices(const Json& svc, const std::vector<Json>& slices) {
  std::vector<const Json*> pointers;
  for (const auto& s : slices) pointers.push_back(&s);
  return endpoints_from_slices(svc, pointers);
}

Json endpoints_from_slices(const Json& svc, const std::vector<const Json*>& slices) {
  const Json& meta = api::member(svc, "metadata");
  const bool publish = api::member(api::member(svc, "spec"), "publishNotReadyAddresses") == true;
  // Port list (sorted, as JSON text) -> addresses by ip (ready wins over not ready).
  std::map<std::string, std::pair<Json, std::map<std::string, Json>>> ready, not_ready;
  for (const Json* each : slices) {
    const Json& slice = *each;
    if (api::string_at(slice, "addressType") != "IPv4") continue;
    Json ports = api::member(slice, "ports").is_array() ? api::member(slice, "ports") : Json::array();
    std::vector<Json> sorted(ports.begin(), ports.end());
    std::sort(sorted.begin(), sorted.end(), [](const Json& a, const Json& b) { return api::string_at(a, "name") < api::string_at(b, "name"); });
    Json port_list = Json::array();
    for (const auto& p : sorted) {
      Json q = {{"port", api::member(p, "port")}, {"protocol", api::string_at(p, "protocol").empty() ? "TCP" : api::string_at(p, "protocol")}};
      if (std::string n = api::string_at(p, "name"); !n.empty()) q["name"] = n;
      port_list.push_back(std::move(q));
    }
    const std::string key = port_list.dump();
    const Json& endpoints = api::member(slice, "endpoints");
    if (!endpoints.is_array()) continue;
    for (const auto& ep : endpoints) {
      const Json& conditions = api::member(ep, "conditions");
      const bool terminating = api::bool_at(conditions, "terminating", false);
      if (terminating && !publish) continue;
      const bool is_ready = publish || api::bool_at(conditions, "ready", true);
      const Json& addresses = api::member(ep, "addresses");
      if (!addresses.is_array() || addresses.empty() || !addresses[0].is_string()) continue;
      const std::string ip = addresses[0].get<std::string>();
      auto& into = is_ready ? ready : not_ready;
      auto& entry = into[key];
      entry.first = port_list;
      entry.second[ip] = address(ip, ep);
    }
  }
  // An address ready under one port list is not also listed not ready under it.
  for (auto& [key, entry] : not_ready)
    if (auto r = ready.find(key); r != ready.end())
      for (const auto& [ip, a] : r->second.second) entry.second.erase(ip);
  std::set<std::string> keys;
  for (const auto& [k, e] : ready) keys.insert(k);
  for (const auto& [k, e] : not_ready)
    if (!e.second.empty()) keys.insert(k);
  Json subsets = Json::array();
  for (const auto& key : keys) {
    Json subset = Json::object();
    auto fill = [&](auto& from, const char* name) {
      auto it = from.find(key);
      if (it == from.end() || it->second.second.empty()) return;
      std::vector<Json> list;
      for (auto& [ip, a] : it->second.second) list.push_back(a);
      std::sort(list.begin(), list.end(), by_ip);
      subset[name] = list;
      subset["ports"] = it->second.first;
    };
    fill(ready, "addresses");
    fill(not_ready, "notReadyAddresses");
    if (!subset.empty()) subsets.push_back(std::move(subset));
  }
  Json out = {{"apiVersion", "v1"},
              {"kind", "Endpoints"},
              {"metadata", {{"name", api::string_at(meta, "name")}, {"namespace", api::string_at(meta, "namespace")}, {"labels", service_labels(svc)}}}};
  if (!subsets.empty()) out["subsets"] = std::move(subsets);
  return out;
}

bool mirrors(const Json& endpoints, const Json* svc) {
  if (!svc) return false;
  const Json& selector = api::member(api::member(*svc, "spec"), "selector");
  if (selector.is_object() && !selector.empty()) return false;
  const Json& labels = api::member(api::member(endpoints, "metadata"), "labels");
  return api::string_at(labels, "endpointslice.kubernetes.io/skip-mirror") != "true";
}

std::vector<Json> slices_from_endpoints(const Json& endpoints) {
  constexpr size_t kMaxPerSubset = 1000;
  const Json& meta = api::member(endpoints, "metadata");
  const std::string name = api::string_at(meta, "name"), ns = api::string_at(meta, "namespace");
  std::vector<Json> out;
  const Json& subsets = api::member(endpoints, "subsets");
  if (!subsets.is_array()) return out;
  Json labels = Json::object();
  if (const Json& l = api::member(meta, "labels"); l.is_object())
    for (const auto& [k, v] : l.items())
      if (v.is_string() && k != "endpointslice.kubernetes.io/skip-mirror") labels[k] = v;
  labels["kubernetes.io/service-name"] = name;
  labels[api::kManagedByLabel] = kMirroringManager;
  for (const auto& subset : subsets) {
    Json ports = Json::array();
    if (const Json& ps = api::member(subset, "ports"); ps.is_array())
      for (const auto& p : ps)
        ports.push_back({{"name", api::string_at(p, "name")}, {"port", api::member(p, "port")},
                         {"protocol", api::string_at(p, "protocol").empty() ? "TCP" : api::string_at(p, "protocol")}});
    Json eps = Json::array();
    auto add = [&](const char* key, bool ready) {
      const Json& list = api::member(subset, key);
      if (!list.is_array()) return;
      for (const auto& a : list) {
        if (eps.size() >= kMaxPerSubset) return;
        const std::string ip = api::string_at(a, "ip");
        if (!net::Ipv4::parse(ip)) continue;
        Json ep = {{"addresses", {ip}}, {"conditions", {{"ready", ready}}}};
        if (std::string node = api::string_at(a, "nodeName"); !node.empty()) ep["nodeName"] = node;
        if (const Json& ref = api::member(a, "targetRef"); ref.is_object()) ep["targetRef"] = ref;
        eps.push_back(std::move(ep));
      }
    };
    add("addresses", true);
    add("notReadyAddresses", false);
    out.push_back({{"apiVersion", "discovery.k8s.io/v1"},
                   {"kind", "EndpointSlice"},
                   {"metadata", {{"name", name + "-" + std::to_string(out.size() + 1)}, {"namespace", ns}, {"labels", labels}}},
                   {"addressType", "IPv4"},
                   {"endpoints", std::move(eps)},
                   {"ports", std::move(ports)}});
  }
  return out;
}

}  // namespace lab::controllers
