// The pod status the kubelet writes, built from an observation without a kernel: fields, the
// conditions' lastTransitionTime kept while unchanged, waiting reasons, qosClass, grace periods.
#include <gtest/gtest.h>

#include "lab/node/pod_status.h"

using namespace lab::node;

namespace {

Json spec_with(Json resources = nullptr) {
  Json c = {{"name", "web"}, {"image", "nginx"}};
  if (!resources.is_null()) c["resources"] = resources;
  return {{"containers", Json::array({c})}, {"nodeName", "node-1"}};
}

PodObservation observation(bool running, bool ready, int restarts = 0) {
  PodObservation obs;
  obs.uid = "0123456789abcdef";
  obs.host_ip = "172.18.0.2";
  obs.pod_ip = "10.244.1.2";
  obs.start_time = "2026-01-01T00:00:00Z";
  obs.containers.push_back({"web", "nginx", running, ready, restarts, "2026-01-01T00:00:01Z", nullptr, nullptr});
  return obs;
}

const Json& condition(const Json& status, const std::string& type) {
  for (const auto& c : status["conditions"])
    if (c["type"] == type) return c;
  static const Json none;
  return none;
}

}  // namespace

TEST(PodStatus, RunningPodHasTheFieldsKubectlReads) {
  Json st = running_pod_status(spec_with(), Json::object(), observation(true, true), "2026-01-01T00:00:05Z");
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["hostIP"], "172.18.0.2");
  EXPECT_EQ(st["hostIPs"], Json::parse(R"([{"ip":"172.18.0.2"}])"));
  EXPECT_EQ(st["podIP"], "10.244.1.2");
  EXPECT_EQ(st["podIPs"], Json::parse(R"([{"ip":"10.244.1.2"}])"));
  EXPECT_EQ(st["startTime"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(st["qosClass"], "BestEffort");
  ASSERT_EQ(st["containerStatuses"].size(), 1u);
  const Json& cs = st["containerStatuses"][0];
  EXPECT_EQ(cs["name"], "web");
  EXPECT_EQ(cs["ready"], true);
  EXPECT_EQ(cs["started"], true);
  EXPECT_EQ(cs["restartCount"], 0);
  EXPECT_EQ(cs["containerID"], "lab://01234567-web");
  EXPECT_EQ(cs["state"]["running"]["startedAt"], "2026-01-01T00:00:01Z");
  EXPECT_EQ(cs["lastState"], Json::object());
  EXPECT_EQ(condition(st, "Ready")["status"], "True");
  EXPECT_EQ(condition(st, "ContainersReady")["status"], "True");
  EXPECT_EQ(condition(st, "PodScheduled")["status"], "True");
  EXPECT_EQ(st["conditions"].size(), 5u);
}

TEST(PodStatus, ConditionsKeepTheirTransitionTimeWhileUnchanged) {
  Json first = running_pod_status(spec_with(), Json::object(), observation(true, false), "T1");
  EXPECT_EQ(condition(first, "Ready")["status"], "False");
  EXPECT_EQ(condition(first, "Ready")["lastTransitionTime"], "T1");
  // Same verdicts later: nothing moves, so the status compares equal and is not written again.
  Json same = running_pod_status(spec_with(), first, observation(true, false), "T2");
  EXPECT_EQ(same, first);
  // Ready flips: only Ready and ContainersReady get the new time.
  Json ready = running_pod_status(spec_with(), first, observation(true, true), "T3");
  EXPECT_EQ(condition(ready, "Ready")["lastTransitionTime"], "T3");
  EXPECT_EQ(condition(ready, "ContainersReady")["lastTransitionTime"], "T3");
  EXPECT_EQ(condition(ready, "Initialized")["lastTransitionTime"], "T1");
}

TEST(PodStatus, APodOfANotReadyNodeIsNotReady) {
  // MarkPodsNotReady's verdict, kept by the kubelet while the node is NotReady: Ready is False
  // though the containers are ready (ContainersReady stays True, the containers show ready).
  PodObservation obs = observation(true, true);
  obs.node_ready = false;
  Json marked = running_pod_status(spec_with(), Json::object(), obs, "T1");
  EXPECT_EQ(condition(marked, "Ready")["status"], "False");
  EXPECT_EQ(condition(marked, "ContainersReady")["status"], "True");
  EXPECT_EQ(marked["containerStatuses"][0]["ready"], true);
  // The node back: Ready again, from then on.
  Json back = running_pod_status(spec_with(), marked, observation(true, true), "T2");
  EXPECT_EQ(condition(back, "Ready")["status"], "True");
  EXPECT_EQ(condition(back, "Ready")["lastTransitionTime"], "T2");
  EXPECT_EQ(condition(back, "ContainersReady")["lastTransitionTime"], "T1");
}

TEST(PodStatus, TheKubeletLeavesTheFirstNotReadyToTheNodeController) {
  // A Ready pod whose node just went NotReady stays Ready in the kubelet's status: the node
  // lifecycle controller flips it, with its NodeNotReady event (a kubelet that flipped it first
  // left the controller nothing to mark, and no event).
  Json ready = running_pod_status(spec_with(), Json::object(), observation(true, true), "T1");
  PodObservation node_down = observation(true, true);
  node_down.node_ready = false;
  Json kept = running_pod_status(spec_with(), ready, node_down, "T2");
  EXPECT_EQ(condition(kept, "Ready")["status"], "True");
  // Once the controller marked it, the kubelet keeps it so while the node is NotReady.
  Json marked = ready;
  for (auto& c : marked["conditions"])
    if (c["type"] == "Ready") c["status"] = "False";
  EXPECT_EQ(condition(running_pod_status(spec_with(), marked, node_down, "T3"), "Ready")["status"], "False");
}

TEST(PodStatus, StartTimeIsKeptOnceSet) {
  Json old = {{"startTime", "2025-12-31T23:59:59Z"}};
  Json st = running_pod_status(spec_with(), old, observation(true, true), "T");
  EXPECT_EQ(st["startTime"], "2025-12-31T23:59:59Z");
}

TEST(PodStatus, WaitingReasonAndLastState) {
  PodObservation obs = observation(false, false, 2);
  obs.containers[0].last_terminated = terminated_state(137, "A", "B");
  Json st = running_pod_status(spec_with(), Json::object(), obs, "T");
  const Json& cs = st["containerStatuses"][0];
  EXPECT_EQ(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(cs["restartCount"], 2);
  EXPECT_EQ(cs["ready"], false);
  EXPECT_EQ(cs["lastState"]["terminated"]["exitCode"], 137);
  EXPECT_EQ(cs["lastState"]["terminated"]["reason"], "Error");
  EXPECT_EQ(terminated_state(0, "A", "B")["reason"], "Completed");
  Json fresh = running_pod_status(spec_with(), Json::object(), observation(false, false, 0), "T");
  EXPECT_EQ(fresh["containerStatuses"][0]["state"]["waiting"]["reason"], "ContainerCreating");
}

TEST(PodStatus, FailedStart) {
  Json st = failed_pod_status("pod web: network: boom");
  EXPECT_EQ(st, Json::parse(R"({"phase":"Failed","reason":"StartError","message":"pod web: network: boom"})"));
}

TEST(PodStatus, QosClass) {
  EXPECT_EQ(qos_class(spec_with()), "BestEffort");
  EXPECT_EQ(qos_class(spec_with({{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}})), "Guaranteed");
  EXPECT_EQ(qos_class(spec_with({{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}},
                                 {"requests", {{"cpu", "1"}, {"memory", "1Gi"}}}})),
            "Guaranteed");
  EXPECT_EQ(qos_class(spec_with({{"requests", {{"cpu", "100m"}}}})), "Burstable");
  EXPECT_EQ(qos_class(spec_with({{"limits", {{"cpu", "1"}}}})), "Burstable");
  EXPECT_EQ(qos_class(Json::object()), "BestEffort");
}

TEST(PodStatus, FieldsOfMalformedPodsDoNotThrow) {
  Json pod = {{"metadata", {{"name", 3}, {"deletionGracePeriodSeconds", "x"}}}, {"spec", 1}, {"status", "odd"}};
  EXPECT_EQ(pod_name(pod), "");
  EXPECT_EQ(pod_namespace(pod), "default");
  EXPECT_EQ(pod_node(pod), "");
  EXPECT_EQ(pod_phase(pod), "Pending");
  EXPECT_EQ(pod_grace_seconds(pod), 30);
  EXPECT_EQ(pod_grace_seconds({{"metadata", {{"deletionGracePeriodSeconds", 0}}},
                               {"spec", {{"terminationGracePeriodSeconds", 5}}}}),
            0);
  EXPECT_EQ(pod_grace_seconds({{"spec", {{"terminationGracePeriodSeconds", 5}}}}), 5);
}
