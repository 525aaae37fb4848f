// Which UDP flows a node must forget after a sync (kube-proxy's conntrack cleanup), as plain data.
#include <gtest/gtest.h>

#include "lab/proxy/rules.h"
#include "tests/unit/nft_text.h"

namespace lab::proxy {
namespace {

ServicePort dns(std::vector<Endpoint> eps) {
  ServicePort sp;
  sp.ns = "kube-system";
  sp.service = "kube-dns";
  sp.port_name = "dns";
  sp.protocol = "UDP";
  sp.cluster_ip = "10.96.0.10";
  sp.port = 53;
  sp.endpoints = std::move(eps);
  return sp;
}

using lab::testing::view;

const Endpoint a{"10.244.1.2", 53}, b{"10.244.2.2", 53};

TEST(StaleUdpFlows, AnEndpointThatGoesAway) {
  auto flows = stale_udp_flows(view({dns({a, b})}), view({dns({b})}));
  EXPECT_EQ(flows, (std::vector<StaleUdpFlow>{{"10.96.0.10", 53, "10.244.1.2"}}));
}

TEST(StaleUdpFlows, AnEndpointThatStopsServing) {
  Endpoint gone = a;
  gone.ready = false;
  gone.serving = false;
  gone.terminating = true;
  EXPECT_EQ(stale_udp_flows(view({dns({a, b})}), view({dns({gone, b})})),
            (std::vector<StaleUdpFlow>{{"10.96.0.10", 53, "10.244.1.2"}}));
  // Terminating but still serving (a CoreDNS in lameduck): its flows may finish.
  Endpoint draining = a;
  draining.ready = false;
  draining.terminating = true;
  EXPECT_TRUE(stale_udp_flows(view({dns({a, b})}), view({dns({draining, b})})).empty());
}

TEST(StaleUdpFlows, NodePortsAndLoadBalancerAddresses) {
  auto before = dns({a, b});
  before.node_port = 30053;
  before.lb_ips = {"172.18.255.200"};
  auto after = before;
  after.endpoints = {b};
  EXPECT_EQ(stale_udp_flows(view({before}), view({after})),
            (std::vector<StaleUdpFlow>{{"10.96.0.10", 53, "10.244.1.2"},
                                       {"172.18.255.200", 53, "10.244.1.2"},
                                       {"", 30053, "10.244.1.2"}}));
}

TEST(StaleUdpFlows, TcpHeadlessAndUnchangedPortsNeedNothing) {
  auto tcp_before = dns({a, b}), tcp_after = dns({b});
  tcp_before.protocol = tcp_after.protocol = "TCP";
  EXPECT_TRUE(stale_udp_flows(view({tcp_before}), view({tcp_after})).empty());
  auto headless_before = dns({a, b}), headless_after = dns({b});
  headless_before.cluster_ip = headless_after.cluster_ip = "";
  EXPECT_TRUE(stale_udp_flows(view({headless_before}), view({headless_after})).empty());
  EXPECT_TRUE(stale_udp_flows(view({dns({a, b})}), view({dns({a, b})})).empty());
  // A new endpoint takes nothing from anyone.
  EXPECT_TRUE(stale_udp_flows(view({dns({a})}), view({dns({a, b})})).empty());
}

TEST(StaleUdpFlows, RemovedAndNewlyActivePortsForgetEverything) {
  EXPECT_EQ(stale_udp_flows(view({dns({a})}), view({})), (std::vector<StaleUdpFlow>{{"10.96.0.10", 53, ""}}));
  // From no ready endpoint to one: whatever the VIP's earlier packets left.
  EXPECT_EQ(stale_udp_flows(view({dns({})}), view({dns({a})})), (std::vector<StaleUdpFlow>{{"10.96.0.10", 53, ""}}));
  EXPECT_EQ(stale_udp_flows(view({}), view({dns({a})})), (std::vector<StaleUdpFlow>{{"10.96.0.10", 53, ""}}));
}

}  // namespace
}  // namespace lab::proxy
