#include "netns/fabric_guard.h"

#include "netns/fabric_names.h"

namespace lab::net {

std::string guard_rules(const FabricPlan& plan) {
  using namespace fabric_names;
  const std::string host = plan.host_ip.str();
  const std::string port = std::to_string(kApiFabricPort);
  const std::string from_pods = std::string("iifname \"") + kNodeBridge + "\" ip daddr " + host;
  return "add table ip lab-guard\n"
         "add chain ip lab-guard forward { type filter hook forward priority filter; policy accept; }\n"
         "add rule ip lab-guard forward " + from_pods + " tcp dport " + port + " ct state new accept\n"
         "add rule ip lab-guard forward " + from_pods + " ct state new reject\n"
         "add chain ip lab-guard postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
         "add rule ip lab-guard postrouting oifname \"" + kNodeEth + "\" ip saddr " + plan.pod_cidr.str() +
         " ip daddr " + host + " tcp dport " + port + " masquerade\n";
}

}  // namespace lab::net
