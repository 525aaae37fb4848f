// Unit tests for hostPorts: the rules of chain `hostports` (lab/proxy/rules_hostports.cc), how a
// full load and a diff carry them, and how lab/node reads them from a Pod. Pure, no root; the
// kernel test (tests/kernel/proxy_kernel_test.cc) loads them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "lab/node/host_ports.h"
#include "lab/proxy/rules.h"
#include "tests/unit/nft_text.h"

namespace lab::proxy {
namespace {

using lab::testing::HasLine;
using lab::testing::has_line;
using lab::testing::lines_of;

NodeView node_view() {
  NodeView v;
  v.node_ips = {"172.18.0.2"};
  v.pod_cidr = "10.244.0.0/16";
  v.service_cidr = "10.96.0.0/12";
  return v;
}

TEST(ProxyHostPorts, RulesDnatLocalAddressesAndMasqueradeHairpin) {
  auto rules = host_port_rules({{"TCP", "", 8080, "10.244.1.5", 80}, {"UDP", "172.18.0.2", 5353, "10.244.1.6", 53}});
  ASSERT_TRUE(rules) << rules.error().what();
  EXPECT_EQ(*rules, (std::vector<std::string>{
                        "fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 ip saddr 10.244.1.5 meta mark set meta mark | 0x4000",
                        "fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to 10.244.1.5:80",
                        "ip daddr 172.18.0.2 udp dport 5353 ip saddr 10.244.1.6 meta mark set meta mark | 0x4000",
                        "ip daddr 172.18.0.2 udp dport 5353 dnat ip to 10.244.1.6:53",
                    }));
  // 0.0.0.0 is "every address", as an unset hostIP.
  auto any = host_port_rules({{"SCTP", "0.0.0.0", 9000, "10.244.1.5", 9000}});
  ASSERT_TRUE(any);
  EXPECT_EQ((*any)[1], "fib daddr type local ip daddr != 127.0.0.0/8 sctp dport 9000 dnat ip to 10.244.1.5:9000");
}

TEST(ProxyHostPorts, RefusesMalformedMappings) {
  EXPECT_FALSE(host_port_rules({{"ICMP", "", 8080, "10.244.1.5", 80}}));
  EXPECT_FALSE(host_port_rules({{"TCP", "", 0, "10.244.1.5", 80}}));
  EXPECT_FALSE(host_port_rules({{"TCP", "", 8080, "10.244.1.5", 65536}}));
  EXPECT_FALSE(host_port_rules({{"TCP", "", 8080, "10.244.1.5; flush ruleset", 80}}));
  EXPECT_FALSE(host_port_rules({{"TCP", "::1", 8080, "10.244.1.5", 80}}));
  NodeView v = node_view();
  v.host_ports = {{"TCP", "", 8080, "nope", 80}};
  EXPECT_FALSE(full_ruleset(v));
  EXPECT_FALSE(diff_ruleset(node_view(), v));
}

TEST(ProxyHostPorts, FullLoadJumpsToHostPortsBeforeServices) {
  NodeView v = node_view();
  v.host_ports = {{"TCP", "", 8080, "10.244.1.5", 80}};
  auto text = full_ruleset(v);
  ASSERT_TRUE(text) << text.error().what();
  auto ls = lines_of(*text);
  for (const char* hook : {"type nat hook prerouting priority -100; policy accept;", "type nat hook output priority -100; policy accept;"}) {
    auto at = std::find(ls.begin(), ls.end(), hook);
    ASSERT_NE(at, ls.end()) << hook;
    ASSERT_LT(at + 2, ls.end());
    EXPECT_EQ(at[1], "jump hostports");
    EXPECT_EQ(at[2], "jump services");
  }
  auto chain = std::find(ls.begin(), ls.end(), "chain hostports {");
  ASSERT_NE(chain, ls.end());
  ASSERT_LT(chain + 3, ls.end());
  EXPECT_EQ(chain[2], "fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to 10.244.1.5:80");
  EXPECT_EQ(chain[3], "}");
  // Without mappings the chain is there, empty, so a diff can fill it.
  auto bare = full_ruleset(node_view());
  ASSERT_TRUE(bare);
  auto bl = lines_of(*bare);
  auto empty = std::find(bl.begin(), bl.end(), "chain hostports {");
  ASSERT_NE(empty, bl.end());
  EXPECT_EQ(empty[1], "}");
}

TEST(ProxyHostPorts, DiffRewritesTheChainOnly) {
  NodeView before = node_view(), after = node_view();
  after.host_ports = {{"TCP", "", 8080, "10.244.1.5", 80}};
  auto diff = diff_ruleset(before, after);
  ASSERT_TRUE(diff) << diff.error().what();
  EXPECT_EQ(lines_of(*diff), (std::vector<std::string>{
                                 "flush chain ip lab-proxy hostports",
                                 "add rule ip lab-proxy hostports fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 ip saddr 10.244.1.5 meta mark set meta mark | 0x4000",
                                 "add rule ip lab-proxy hostports fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to 10.244.1.5:80",
                             }));
  auto back = diff_ruleset(after, before);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "flush chain ip lab-proxy hostports\n");
  auto same = diff_ruleset(after, after);
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, "");
  // Not an endpoint-only change: the fast path leaves it to the text.
  EXPECT_FALSE(endpoint_updates(before, after, EndpointSlots{}));
}

}  // namespace
}  // namespace lab::proxy

namespace lab::node {
namespace {

nlohmann::json pod(const nlohmann::json& ports) {
  return {{"metadata", {{"namespace", "default"}, {"name", "web"}}},
          {"spec", {{"nodeName", "node-1"}, {"containers", {{{"name", "c"}, {"image", "nginx"}, {"ports", ports}}}}}},
          {"status", {{"phase", "Running"}, {"podIP", "10.244.1.5"}}}};
}

TEST(PodHostPorts, ReadsContainerPortsWithAHostPort) {
  auto hp = pod_host_ports(pod({{{"containerPort", 80}, {"hostPort", 8080}},
                                {{"containerPort", 53}, {"hostPort", 5353}, {"protocol", "UDP"}, {"hostIP", "172.18.0.2"}},
                                {{"containerPort", 81}}}));
  EXPECT_EQ(hp.node, "node-1");
  EXPECT_EQ(hp.mappings, (std::vector<proxy::HostPortMapping>{{"TCP", "", 8080, "10.244.1.5", 80},
                                                               {"UDP", "172.18.0.2", 5353, "10.244.1.5", 53}}));
}

TEST(PodHostPorts, NoneUntilBoundAndAddressedAndWhileTerminatingOrDone) {
  const nlohmann::json ports = {{{"containerPort", 80}, {"hostPort", 8080}}};
  EXPECT_EQ(pod_host_ports(pod(ports)).mappings.size(), 1u);
  auto p = pod(ports);
  p["spec"].erase("nodeName");
  EXPECT_TRUE(pod_host_ports(p).mappings.empty());
  p = pod(ports);
  p["status"].erase("podIP");
  EXPECT_TRUE(pod_host_ports(p).mappings.empty());
  p = pod(ports);
  p["metadata"]["deletionTimestamp"] = "2026-12-02T08:00:00Z";
  EXPECT_TRUE(pod_host_ports(p).mappings.empty());
  p = pod(ports);
  p["status"]["phase"] = "Succeeded";
  EXPECT_TRUE(pod_host_ports(p).mappings.empty());
  p = pod(ports);
  p["spec"]["hostNetwork"] = true;
  EXPECT_TRUE(pod_host_ports(p).mappings.empty());
  // Nonsense never throws and never becomes a rule.
  EXPECT_TRUE(pod_host_ports(nlohmann::json::array()).mappings.empty());
  EXPECT_TRUE(pod_host_ports(pod({{{"containerPort", "80"}, {"hostPort", 8080}}})).mappings.empty());
  EXPECT_TRUE(pod_host_ports(pod({{{"containerPort", 80}, {"hostPort", 8080}, {"hostIP", "x"}}})).mappings.empty());
  EXPECT_TRUE(pod_host_ports(pod({{{"containerPort", 80}, {"hostPort", 70000}}})).mappings.empty());
  EXPECT_TRUE(pod_host_ports(pod(nlohmann::json("x"))).mappings.empty());
}

}  // namespace
}  // namespace lab::node
