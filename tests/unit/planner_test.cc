// Address planning: defaults, moving to the next free node network, refusing written ranges that
// collide with host routes or other labs, with file:line:field in the message.
#include <gtest/gtest.h>

#include "lab/cluster/planner.h"

using namespace lab;

namespace {

cluster::PlanInput input(int nodes = 2) {
  cluster::PlanInput in;
  in.lab = "demo";
  in.scenario_file = "demo.yaml";
  for (int i = 1; i <= nodes; ++i) in.spec.nodes.push_back("node-" + std::to_string(i));
  return in;
}

net::Cidr cidr(const char* s) { return *net::Cidr::parse(s); }

}  // namespace

TEST(Planner, DefaultsFollowKind) {
  auto rec = cluster::plan_lab(input());
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->plan.node_cidr.str(), "172.18.0.0/16");
  EXPECT_EQ(rec->plan.host_ip.str(), "172.18.0.1");
  EXPECT_EQ(rec->lb_pool, "172.18.255.200-172.18.255.250");
  ASSERT_EQ(rec->plan.nodes.size(), 2u);
  EXPECT_EQ(rec->plan.nodes[0].ip.str(), "172.18.0.2");
  EXPECT_EQ(rec->plan.nodes[1].ip.str(), "172.18.0.3");
  EXPECT_EQ(rec->plan.nodes[0].pod_cidr.str(), "10.244.1.0/24");
  EXPECT_EQ(rec->plan.nodes[1].pod_cidr.str(), "10.244.2.0/24");
  EXPECT_EQ(rec->plan.nodes[0].netns_name, "lab-demo-node-1");
  EXPECT_EQ(rec->plan.fabric_netns, "lab-demo");
  EXPECT_EQ(rec->plan.host_link, "lab-demo");
}

TEST(Planner, DefaultMovesPastHostRoutesAndOtherLabs) {
  auto in = input();
  in.host_routes.push_back({cidr("172.18.0.0/16"), "docker1"});
  auto first = cluster::plan_lab(in);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->plan.node_cidr.str(), "172.19.0.0/16");
  EXPECT_EQ(first->lb_pool, "172.19.255.200-172.19.255.250");
  in.other_labs.push_back(*first);
  auto second = cluster::plan_lab(in);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->plan.node_cidr.str(), "172.20.0.0/16");
}

TEST(Planner, WrittenNodeCidrThatCollidesIsRefusedWithPosition) {
  auto in = input();
  in.spec.node_cidr = "192.0.2.0/24";
  in.spec.node_cidr_explicit = true;
  in.spec.node_cidr_pos = {6, 13};
  in.host_routes.push_back({cidr("192.0.2.0/24"), "eth0"});
  auto rec = cluster::plan_lab(in);
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().message,
            "demo.yaml:6:13: Lab \"demo\": spec.nodeCIDR: 192.0.2.0/24 overlaps the host route "
            "192.0.2.0/24 dev eth0; choose a free range or leave it out");
}

TEST(Planner, WrittenNodeCidrGetsPoolAtItsTop) {
  auto in = input();
  in.spec.node_cidr = "10.50.0.0/16";
  in.spec.node_cidr_explicit = true;
  auto rec = cluster::plan_lab(in);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->lb_pool, "10.50.255.200-10.50.255.250");
}

TEST(Planner, PoolOutsideNodeNetworkIsRefused) {
  auto in = input();
  in.spec.lb_pool = "10.1.0.1-10.1.0.9";
  in.spec.lb_pool_explicit = true;
  in.spec.lb_pool_pos = {8, 21};
  auto rec = cluster::plan_lab(in);
  ASSERT_FALSE(rec);
  EXPECT_NE(rec.error().message.find("demo.yaml:8:21: Lab \"demo\": spec.loadBalancerPool"),
            std::string::npos);
}

TEST(Planner, LongLabNamesGetShortHostLinks) {
  EXPECT_EQ(cluster::host_link_name("tutorial"), "lab-tutorial");
  auto long_name = cluster::host_link_name("a-very-long-lab-name");
  EXPECT_LE(long_name.size(), 15u);
  EXPECT_EQ(long_name, cluster::host_link_name("a-very-long-lab-name"));
  EXPECT_NE(long_name, cluster::host_link_name("a-very-long-lab-namf"));
}

// The loader refuses these first; the planner, which decides what reaches the kernel, refuses them
// too, so no path can route a lab into loopback or out of the uplink.
TEST(Planner, SpecialRangesAreRefusedWithPosition) {
  auto in = input();
  in.spec.node_cidr = "0.0.0.0/16";
  in.spec.node_cidr_explicit = true;
  in.spec.node_cidr_pos = {5, 13};
  auto rec = cluster::plan_lab(in);
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().message,
            "demo.yaml:5:13: Lab \"demo\": spec.nodeCIDR: 0.0.0.0/16 must not overlap the \"this network\" block "
            "0.0.0.0/8 (unspecified addresses; routed there, node traffic would leave through the host's uplink)");
  in = input();
  in.spec.pod_cidr = "127.0.0.0/16";
  in.spec.pod_cidr_pos = {6, 12};
  rec = cluster::plan_lab(in);
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().message,
            "demo.yaml:6:12: Lab \"demo\": spec.podCIDR: 127.0.0.0/16 must not overlap the loopback block 127.0.0.0/8");
  in = input();
  in.spec.service_cidr = "224.0.0.0/12";
  EXPECT_NE(cluster::plan_lab(in).error().message.find("spec.serviceCIDR: 224.0.0.0/12 must not overlap the "
                                                       "multicast block"),
            std::string::npos);
  in = input();
  in.spec.node_cidr = "169.254.0.0/16";
  in.spec.node_cidr_explicit = true;
  in.spec.lb_pool = "169.254.255.200-169.254.255.250";
  in.spec.lb_pool_explicit = true;
  EXPECT_FALSE(cluster::plan_lab(in));
}
