// The node's Ready condition as the kubelet posts it: with a heartbeat time, which `kubectl
// describe node` prints (a missing one reads "Mon, 01 Jan 0001").
#include <gtest/gtest.h>

#include "lab/node/node_health.h"

using namespace lab;

TEST(NodeCondition, ReadyAndNotReadyCarryTheirHeartbeat) {
  const std::string now = "2026-12-04T06:45:00Z";
  auto ready = node::ready_condition(std::nullopt, now);
  EXPECT_EQ(ready["status"], "True");
  EXPECT_EQ(ready["reason"], "KubeletReady");
  EXPECT_EQ(ready["lastHeartbeatTime"], now);
  EXPECT_EQ(ready["lastTransitionTime"], now);
  auto not_ready = node::ready_condition(std::string("bridge cni0 is down"), now);
  EXPECT_EQ(not_ready["status"], "False");
  EXPECT_EQ(not_ready["reason"], "KubeletNotReady");
  EXPECT_EQ(not_ready["lastHeartbeatTime"], now);
}
