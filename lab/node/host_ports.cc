#include "lab/node/host_ports.h"

#include <algorithm>

#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "netns/cidr.h"

namespace lab::node {

using api::member;
using api::string_at;

PodHostPorts pod_host_ports(const nlohmann::json& pod) {
  PodHostPorts out;
  const auto& spec = member(pod, "spec");
  const auto& containers = member(spec, "containers");
  if (!containers.is_array()) return out;
  // Cheap first: most pods have no hostPort at all, and this runs on every pod event.
  bool any = false;
  for (const auto& c : containers)
    for (const auto& p : member(c, "ports"))
      if (member(p, "hostPort").is_number_integer() && member(p, "hostPort").get<int64_t>() != 0) any = true;
  if (!any) return out;
  if (member(spec, "hostNetwork") == true) return out;
  if (api::is_terminating(pod)) return out;
  const auto& status = member(pod, "status");
  const std::string phase = string_at(status, "phase");
  if (phase == "Succeeded" || phase == "Failed") return out;
  const std::string node = string_at(spec, "nodeName");
  const std::string pod_ip = string_at(status, "podIP");
  if (node.empty() || !net::Ipv4::parse(pod_ip)) return out;
  out.node = node;
  for (const auto& c : containers) {
    const auto& ports = member(c, "ports");
    if (!ports.is_array()) continue;
    for (const auto& p : ports) {
      const auto& hp = member(p, "hostPort");
      const auto& cp = member(p, "containerPort");
      if (!hp.is_number_integer() || !cp.is_number_integer()) continue;
      const int64_t host_port = hp.get<int64_t>(), container_port = cp.get<int64_t>();
      if (host_port < 1 || host_port > 65535 || container_port < 1 || container_port > 65535) continue;
      proxy::HostPortMapping m;
      std::string proto = string_at(p, "protocol");
      m.protocol = proto.empty() ? "TCP" : proto;
      if (m.protocol != "TCP" && m.protocol != "UDP" && m.protocol != "SCTP") continue;
      m.host_ip = string_at(p, "hostIP");
      if (m.host_ip == "0.0.0.0") m.host_ip.clear();
      if (!m.host_ip.empty() && !net::Ipv4::parse(m.host_ip)) continue;
      m.host_port = static_cast<int>(host_port);
      m.pod_ip = pod_ip;
      m.container_port = static_cast<int>(container_port);
      if (std::find(out.mappings.begin(), out.mappings.end(), m) == out.mappings.end()) out.mappings.push_back(std::move(m));
    }
  }
  if (out.mappings.empty()) out.node.clear();
  return out;
}

}  // namespace lab::node
