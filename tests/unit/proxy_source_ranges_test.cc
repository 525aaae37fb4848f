// Unit tests for loadBalancerSourceRanges in lab/proxy/rules (kube-proxy's firewall): the
// firewall-ips elements, the per-port chain and set, the ranges a node allows (its own requests
// included when it is in them), validation, and the diffs when ranges come, change and go (the
// kernel test checks that those diffs give the table a full load gives).
#include <gtest/gtest.h>

#include <algorithm>

#include "lab/proxy/rules.h"
#include "tests/unit/nft_text.h"

namespace lab::proxy {
namespace {

using lab::testing::HasLine;
using lab::testing::has_line;
using lab::testing::lines_of;

const std::string kT = " ip lab-proxy ";

// A LoadBalancer port: NodePort 30080, the load balancer's 172.18.255.200 and an external IP.
ServicePort lb() {
  ServicePort sp;
  sp.ns = "default";
  sp.service = "web";
  sp.port_name = "http";
  sp.cluster_ip = "10.96.0.20";
  sp.port = 80;
  sp.node_port = 30080;
  sp.lb_ips = {"172.18.255.200", "172.18.254.10"};
  sp.endpoints = {{"10.244.1.5", 8080}};
  return sp;
}

ServicePort guarded(std::vector<std::string> ranges) {
  ServicePort sp = lb();
  sp.source_ranges = std::move(ranges);
  sp.firewall_ips = {"172.18.255.200"};
  return sp;
}

using lab::testing::view;

using lab::testing::full;

std::string diff(const NodeView& a, const NodeView& b) {
  auto d = diff_ruleset(a, b);
  EXPECT_TRUE(d) << (d ? "" : d.error().what());
  return d.value_or("");
}

// The lines of block `header` ("chain x {", "set y {") in a full ruleset.
std::vector<std::string> block(const std::string& text, const std::string& header) {
  auto ls = lines_of(text);
  auto at = std::find(ls.begin(), ls.end(), header);
  if (at == ls.end()) return {"<no " + header + ">"};
  std::vector<std::string> out;
  for (++at; at != ls.end() && *at != "}"; ++at) out.push_back(*at);
  return out;
}

TEST(ProxySourceRanges, Names) {
  ServicePort sp = lb();
  EXPECT_TRUE(firewall_chain_name(sp).starts_with("firewall-")) << firewall_chain_name(sp);
  EXPECT_TRUE(firewall_chain_name(sp).ends_with("-default/web/tcp/http"));
  EXPECT_TRUE(firewall_set_name(sp).starts_with("allowed-")) << firewall_set_name(sp);
  EXPECT_FALSE(uses_firewall(sp));
  EXPECT_TRUE(uses_firewall(guarded({"10.244.1.0/24"})));
  ServicePort no_lb = guarded({"10.244.1.0/24"});
  no_lb.firewall_ips.clear();  // ranges, but no load balancer address (yet): nothing to guard
  EXPECT_FALSE(uses_firewall(no_lb));
}

TEST(ProxySourceRanges, OnlyTheLoadBalancersAddressGoesThroughTheFirewall) {
  ServicePort sp = guarded({"10.244.1.0/24", "192.0.2.7/32"});
  const std::string fw = firewall_chain_name(sp), allowed = firewall_set_name(sp);
  std::string t = full(view({sp}));
  // Checked before DNAT, for new connections, from prerouting (anyone routed here) and output
  // (the node itself), as kube-proxy's filter-prerouting and filter-output.
  EXPECT_EQ(block(t, "chain filter-prerouting {"),
            (std::vector<std::string>{"type filter hook prerouting priority -110; policy accept;",
                                      "ct state new jump firewall-check"}));
  EXPECT_TRUE(HasLine(t, "ct state new jump firewall-check"));
  auto out = block(t, "chain filter-output {");
  EXPECT_NE(std::find(out.begin(), out.end(), "ct state new jump firewall-check"), out.end());
  EXPECT_EQ(block(t, "chain firewall-check {"),
            std::vector<std::string>{"ip daddr . meta l4proto . th dport vmap @firewall-ips"});
  EXPECT_EQ(block(t, "map firewall-ips {"),
            (std::vector<std::string>{"type ipv4_addr . inet_proto . inet_service : verdict", "elements = {",
                                      "172.18.255.200 . tcp . 80 : goto " + fw}));
  EXPECT_EQ(block(t, "chain " + fw + " {"), std::vector<std::string>{"ip saddr != @" + allowed + " drop"});
  // A named interval set (no anonymous set: B6), its elements in address order.
  EXPECT_EQ(block(t, "set " + allowed + " {"),
            (std::vector<std::string>{"type ipv4_addr; flags interval;", "elements = {", "10.244.1.0/24,",
                                      "192.0.2.7/32"}));
  // The cluster IP, the NodePort and the external IP are not filtered: they keep their own paths.
  EXPECT_TRUE(HasLine(t, "10.96.0.20 . tcp . 80 : goto " + service_chain_name(sp) + ","));
  EXPECT_EQ(t.find("172.18.254.10 . tcp . 80 : goto " + fw), std::string::npos);
  EXPECT_TRUE(HasLine(t, "172.18.255.200 . tcp . 80 : goto " + external_chain_name(sp) + ","));

  // Without ranges: the hooks and the empty map are there, nothing else.
  std::string open = full(view({lb()}));
  EXPECT_EQ(block(open, "map firewall-ips {"),
            std::vector<std::string>{"type ipv4_addr . inet_proto . inet_service : verdict"});
  auto ls = lines_of(open);
  EXPECT_EQ(std::count_if(ls.begin(), ls.end(), [](const std::string& l) { return l.starts_with("chain firewall-"); }), 1)
      << "only firewall-check";
  EXPECT_EQ(open.find("allowed-"), std::string::npos);
}

TEST(ProxySourceRanges, AllowedRangesAsTheSetHoldsThem) {
  // Nested ranges collapse into the widest; disjoint and adjacent ones stay; address order.
  ServicePort sp = guarded({"10.244.1.5/32", "192.0.2.0/25", "10.244.0.0/16", "192.0.2.128/25", "10.244.1.0/24"});
  EXPECT_EQ(firewall_allowed(sp, {}), (std::vector<std::string>{"10.244.0.0/16", "192.0.2.0/25", "192.0.2.128/25"}));
  EXPECT_EQ(firewall_allowed(guarded({"0.0.0.0/0", "10.0.0.0/8"}), {}), std::vector<std::string>{"0.0.0.0/0"});
  // A node within the ranges: the load balancer's address is allowed too (a node's request to an
  // address it holds comes from that address), as kube-proxy's allowFromNode.
  EXPECT_EQ(firewall_allowed(guarded({"172.18.0.0/24"}), {"172.18.0.2"}),
            (std::vector<std::string>{"172.18.0.0/24", "172.18.255.200/32"}));
  EXPECT_EQ(firewall_allowed(guarded({"10.244.1.0/24"}), {"172.18.0.2"}), std::vector<std::string>{"10.244.1.0/24"});
  // Already within the ranges: not twice (interval set elements may not overlap).
  EXPECT_EQ(firewall_allowed(guarded({"172.18.0.0/16"}), {"172.18.0.2"}), std::vector<std::string>{"172.18.0.0/16"});
  std::string t = full(view({guarded({"172.18.0.0/24"})}));
  EXPECT_TRUE(HasLine(t, "172.18.255.200/32")) << t;
}

TEST(ProxySourceRanges, Validation) {
  auto error = [](const ServicePort& sp) {
    auto r = validate(view({sp}));
    return r ? std::string("(valid)") : r.error().what();
  };
  EXPECT_EQ(error(guarded({"10.244.1.0/24"})), "(valid)");
  EXPECT_EQ(error(guarded({"10.244.1.1/24"})),
            "service port default/web/http: invalid source range \"10.244.1.1/24\"");
  EXPECT_EQ(error(guarded({"10.244.1.1"})), "service port default/web/http: invalid source range \"10.244.1.1\"");
  ServicePort stray = guarded({"10.244.1.0/24"});
  stray.firewall_ips = {"172.18.255.201"};
  EXPECT_EQ(error(stray),
            "service port default/web/http: firewall IP \"172.18.255.201\" is not one of its load balancer IPs");
  ServicePort twice = guarded({"10.244.1.0/24"});
  twice.firewall_ips = {"172.18.255.200", "172.18.255.200"};
  EXPECT_EQ(error(twice), "service port default/web/http: firewall IP 172.18.255.200 listed twice");
  // A diff checks the ports it touches.
  EXPECT_FALSE(diff_ruleset(view({lb()}), view({guarded({"bad"})})));
}

TEST(ProxySourceRanges, DiffsAddChangeAndRemoveRanges) {
  const ServicePort open = lb();
  const ServicePort one = guarded({"10.244.1.0/24"});
  const std::string fw = firewall_chain_name(one), allowed = firewall_set_name(one);
  // Ranges come: the set, the chain and its rule, the set's elements and the map element.
  EXPECT_EQ(diff(view({open}), view({one})),
            "add set" + kT + allowed + " { type ipv4_addr; flags interval; }\n" +
            "add chain" + kT + fw + "\n" +
            "add rule" + kT + fw + " ip saddr != @" + allowed + " drop\n" +
            "add element" + kT + allowed + " { 10.244.1.0/24 }\n" +
            "add element" + kT + "firewall-ips { 172.18.255.200 . tcp . 80 : goto " + fw + " }\n");
  // They change: elements only (deletions first, so a range may grow in one transaction).
  const ServicePort other = guarded({"10.244.0.0/16", "192.0.2.7/32"});
  EXPECT_EQ(diff(view({one}), view({other})),
            "delete element" + kT + allowed + " { 10.244.1.0/24 }\n" +
            "add element" + kT + allowed + " { 10.244.0.0/16 }\n" +
            "add element" + kT + allowed + " { 192.0.2.7/32 }\n");
  // A second load balancer address: one map element.
  ServicePort two = other;
  two.lb_ips.push_back("172.18.255.201");
  two.firewall_ips.push_back("172.18.255.201");
  std::string d = diff(view({other}), view({two}));
  EXPECT_TRUE(HasLine(d, "add element" + kT + "firewall-ips { 172.18.255.201 . tcp . 80 : goto " + fw + " }"));
  EXPECT_EQ(d.find(allowed), std::string::npos) << d;
  // They go: the element first, then the chain, then the set.
  EXPECT_EQ(diff(view({other}), view({open})),
            "delete element" + kT + allowed + " { 10.244.0.0/16 }\n" +
            "delete element" + kT + allowed + " { 192.0.2.7/32 }\n" +
            "delete element" + kT + "firewall-ips { 172.18.255.200 . tcp . 80 }\n" +
            "flush chain" + kT + fw + "\n" +
            "delete chain" + kT + fw + "\n" +
            "delete set" + kT + allowed + "\n");
  // The Service goes with its ranges.
  std::string gone = diff(view({other}), view({}));
  EXPECT_TRUE(HasLine(gone, "delete chain" + kT + fw));
  EXPECT_TRUE(HasLine(gone, "delete set" + kT + allowed));
  EXPECT_TRUE(HasLine(gone, "delete element" + kT + "firewall-ips { 172.18.255.200 . tcp . 80 }"));
  // The node's address moving into the ranges is a node-wide change: a full load.
  NodeView in = view({guarded({"172.18.0.0/24"})}), out = in;
  out.node_ips = {"172.18.1.2"};
  EXPECT_TRUE(diff(out, in).starts_with("add table ip lab-proxy\n"));
}

TEST(ProxySourceRanges, ARangeChangeIsNotEndpointOnly) {
  EndpointSlots slots;
  slots.assign(lb().identity());
  NodeView a = view({guarded({"10.244.1.0/24"})}), b = a;
  b.ports[0].source_ranges = {"10.244.2.0/24"};
  b.ports[0].endpoints.push_back({"10.244.2.7", 8080});
  EXPECT_FALSE(endpoint_updates(a, b, slots).has_value());
  b.ports[0].source_ranges = a.ports[0].source_ranges;  // endpoints only: the fast path
  auto u = endpoint_updates(a, b, slots);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->size(), 1u);
}

}  // namespace
}  // namespace lab::proxy
