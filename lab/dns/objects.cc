// What the zone reads from Services, EndpointSlices and Pods, with checked accessors: the API
// validates what it stores, but the DNS server takes nothing on trust (a field of the wrong type
// is skipped, an address that does not parse is left out).
#include <arpa/inet.h>

#include "lab/api/json_access.h"
#include "lab/dns/zone.h"

namespace lab::dns {

using Json = nlohmann::json;
using api::member;
using api::string_at;

namespace {

bool valid_ip(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::vector<PortInfo> parse_ports(const Json& ports) {
  std::vector<PortInfo> out;
  if (!ports.is_array()) return out;
  for (const Json& p : ports) {
    const Json& number = member(p, "port");
    if (!number.is_number_integer()) continue;
    const int64_t n = number.get<int64_t>();
    if (n < 1 || n > 65535) continue;
    PortInfo info;
    info.name = lower(string_at(p, "name"));
    info.protocol = lower(string_at(p, "protocol"));
    if (info.protocol.empty()) info.protocol = "tcp";
    info.port = static_cast<uint16_t>(n);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace

std::string canonical_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return lower(std::string(name));
}

std::string object_key(const Json& obj) {
  const Json& meta = api::metadata_of(obj);
  std::string name = string_at(meta, "name");
  if (name.empty()) return "";
  return string_at(meta, "namespace") + "/" + name;
}

ServiceInfo parse_service(const Json& obj) {
  ServiceInfo info;
  const Json& spec = member(obj, "spec");
  if (string_at(spec, "type") == "ExternalName") {
    info.type = ServiceInfo::Type::ExternalName;
    info.external_name = canonical_name(string_at(spec, "externalName"));
    info.ports = parse_ports(member(spec, "ports"));
    return info;
  }
  std::vector<std::string> ips;
  const Json& many = member(spec, "clusterIPs");
  if (many.is_array()) {
    for (const Json& ip : many)
      if (ip.is_string()) ips.push_back(ip.get<std::string>());
  }
  if (ips.empty() && !string_at(spec, "clusterIP").empty()) ips.push_back(string_at(spec, "clusterIP"));
  for (const auto& ip : ips) {
    if (ip == "None") info.type = ServiceInfo::Type::Headless;
    else if (valid_ip(ip)) info.ips.push_back(ip);
  }
  if (info.type == ServiceInfo::Type::Headless) info.ips.clear();
  info.ports = parse_ports(member(spec, "ports"));
  const Json& pnr = member(spec, "publishNotReadyAddresses");
  info.publish_not_ready = pnr.is_boolean() && pnr.get<bool>();
  return info;
}

SliceInfo parse_slice(const Json& obj) {
  SliceInfo info;
  const Json& meta = api::metadata_of(obj);
  const std::string service = string_at(member(meta, "labels"), "kubernetes.io/service-name");
  if (!service.empty()) info.service = string_at(meta, "namespace") + "/" + service;
  const std::string type = string_at(obj, "addressType");
  if (type != "IPv4" && type != "IPv6") return info;  // FQDN slices are ignored, as CoreDNS does
  info.ports = parse_ports(member(obj, "ports"));
  const Json& endpoints = member(obj, "endpoints");
  if (!endpoints.is_array()) return info;
  for (const Json& e : endpoints) {
    EndpointInfo ep;
    const Json& addresses = member(e, "addresses");
    if (addresses.is_array())
      for (const Json& a : addresses)
        if (a.is_string() && valid_ip(a.get<std::string>())) ep.addresses.push_back(a.get<std::string>());
    if (ep.addresses.empty()) continue;
    const Json& ready = member(member(e, "conditions"), "ready");
    ep.ready = !ready.is_boolean() || ready.get<bool>();  // nil means ready (EndpointConditions)
    ep.hostname = lower(string_at(e, "hostname"));
    const Json& ref = member(e, "targetRef");
    if (string_at(ref, "kind") == "Pod" && !string_at(ref, "name").empty()) {
      std::string ns = string_at(ref, "namespace");
      if (ns.empty()) ns = string_at(meta, "namespace");
      ep.pod = ns + "/" + string_at(ref, "name");
    }
    info.endpoints.push_back(std::move(ep));
  }
  return info;
}

PodInfo parse_pod(const Json& obj) {
  const Json& spec = member(obj, "spec");
  return PodInfo{lower(string_at(spec, "hostname")), lower(string_at(spec, "subdomain"))};
}

std::string reverse_name(const std::string& ip) {
  unsigned char b[16];
  if (::inet_pton(AF_INET, ip.c_str(), b) == 1)
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
           std::to_string(b[0]) + ".in-addr.arpa";
  if (::inet_pton(AF_INET6, ip.c_str(), b) == 1) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[b[i] & 0xf];
      out += '.';
      out += hex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

}  // namespace lab::dns
