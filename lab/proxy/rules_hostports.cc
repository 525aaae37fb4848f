// The hostPort chain: what the CNI portmap plugin programs for a pod's container ports with a
// hostPort (its CNI-HOSTPORT-DNAT chain, nftables flavour), as nft rules of chain `hostports`.
#include <string>
#include <vector>

#include "lab/proxy/rules.h"
#include "lab/proxy/rules_internal.h"
#include "netns/cidr.h"

namespace lab::proxy {

using namespace rules_detail;

Result<std::vector<std::string>> host_port_rules(const std::vector<HostPortMapping>& mappings) {
  std::vector<std::string> rules;
  for (const auto& m : mappings) {
    const std::string what = cat("hostPort ", m.host_port, "/", m.protocol, " -> ", m.pod_ip, ":", m.container_port);
    const std::string proto = lower_proto(m.protocol);
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
      return fail(cat(what, ": unknown protocol \"", m.protocol, "\" (expected TCP, UDP or SCTP)"));
    if (m.host_port < 1 || m.host_port > 65535) return fail(cat(what, ": invalid host port"));
    if (m.container_port < 1 || m.container_port > 65535) return fail(cat(what, ": invalid container port"));
    auto pod = net::Ipv4::parse(m.pod_ip);
    if (!pod) return fail(cat(what, ": invalid pod IP"));
    std::string daddr;
    if (m.host_ip.empty() || m.host_ip == "0.0.0.0") {
      // portmap's `fib daddr type local`: the node's IP and any other address it holds. Not
      // loopback: a DNATed 127.0.0.1 would need route_localnet, which the node does not set.
      daddr = "fib daddr type local ip daddr != 127.0.0.0/8";
    } else {
      auto h = net::Ipv4::parse(m.host_ip);
      if (!h) return fail(cat(what, ": invalid host IP \"", m.host_ip, "\""));
      daddr = "ip daddr " + h->str();
    }
    const std::string match = cat(daddr, " ", proto, " dport ", m.host_port);
    // Hairpin: the pod reaching its own hostPort would see its own address as the source of
    // the reply's request; masqueraded (portmap's CNI-HOSTPORT-SETMARK for saddr == podIP).
    rules.push_back(cat(match, " ip saddr ", pod->str(), " meta mark set meta mark | 0x4000"));
    rules.push_back(cat(match, " dnat ip to ", pod->str(), ":", m.container_port));
  }
  return rules;
}

}  // namespace lab::proxy
