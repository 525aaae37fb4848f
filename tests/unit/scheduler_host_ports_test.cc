// The scheduler's NodePorts filter: a node where another pod holds a hostPort (same protocol
// and port, overlapping hostIP) takes no pod asking for it; with no node left, the scheduler's
// FailedScheduling wording.
#include <gtest/gtest.h>

#include "lab/controllers/scheduler.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"
#include "netns/cidr.h"

namespace lab {
namespace {

using Json = nlohmann::json;

Json pod(const std::string& name, const std::string& node, const Json& ports) {
  Json spec = {{"containers", {{{"name", "c"}, {"image", "nginx"}, {"ports", ports}}}}};
  if (!node.empty()) spec["nodeName"] = node;
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", spec}};
}

class SchedulerHostPorts : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry.create(pod("a", "node-1", {{{"containerPort", 80}, {"hostPort", 8080}}})));
    ASSERT_TRUE(registry.create(pod("b", "node-2", {{{"containerPort", 53}, {"hostPort", 5353}, {"protocol", "UDP"},
                                                      {"hostIP", "172.18.0.3"}}})));
    pods.add_index(store::kByNode, store::index_by_node);
    informers.start();
  }
  void TearDown() override { informers.stop(); }
  Result<std::string> choose(const Json& ports) { return controllers::choose_node(pods, pod("p", "", ports), {"node-1", "node-2"}); }

  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  store::Informer& pods = informers.informer("Pod");
};

TEST_F(SchedulerHostPorts, ANodeHoldingThePortIsSkipped) {
  // node-1 would win on pod count alone (node order), but holds 8080/TCP.
  auto r = choose({{{"containerPort", 80}, {"hostPort", 8080}}});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r, "node-2");
  // Another protocol, or another port, does not conflict.
  r = choose({{{"containerPort", 80}, {"hostPort", 8080}, {"protocol", "UDP"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "node-1");
  // A hostIP overlaps with an unset (0.0.0.0) one; two different hostIPs do not.
  r = choose({{{"containerPort", 80}, {"hostPort", 8080}, {"hostIP", "172.18.0.2"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "node-2");
  r = choose({{{"containerPort", 53}, {"hostPort", 5353}, {"protocol", "UDP"}, {"hostIP", "172.18.0.9"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "node-1");
}

TEST_F(SchedulerHostPorts, NoNodeLeftIsFailedSchedulingsWording) {
  auto r = choose({{{"containerPort", 80}, {"hostPort", 8080}}, {{"containerPort", 53}, {"hostPort", 5353}, {"protocol", "UDP"}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.");
}

}  // namespace
}  // namespace lab
