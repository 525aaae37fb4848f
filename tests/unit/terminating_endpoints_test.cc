// Issue 13 item 5, the pure part: an EndpointSlice endpoint's conditions from its pod, as the
// EndpointSlice controller's podToEndpoint sets them (serving = the pod's Ready condition,
// terminating = a deletionTimestamp, ready = publishNotReadyAddresses || (serving && !terminating)).
#include <gtest/gtest.h>

#include "lab/controllers/endpointslice.h"

using lab::controllers::endpoint_conditions;
using Json = nlohmann::json;

namespace {

Json pod(bool ready_condition, bool terminating) {
  Json p = {{"metadata", {{"name", "web-1"}, {"namespace", "default"}}},
            {"status",
             {{"phase", "Running"},
              {"podIP", "10.244.1.5"},
              {"conditions", Json::array({{{"type", "Initialized"}, {"status", "True"}},
                                          {{"type", "Ready"}, {"status", ready_condition ? "True" : "False"}},
                                          {{"type", "ContainersReady"}, {"status", ready_condition ? "True" : "False"}}})}}}};
  if (terminating) {
    p["metadata"]["deletionTimestamp"] = "2026-12-02T08:00:00Z";
    p["metadata"]["deletionGracePeriodSeconds"] = 30;
  }
  return p;
}

Json conditions(bool ready, bool serving, bool terminating) {
  return {{"ready", ready}, {"serving", serving}, {"terminating", terminating}};
}

}  // namespace

TEST(EndpointConditions, ARunningPodIsReadyAsItsReadyCondition) {
  EXPECT_EQ(endpoint_conditions(false, pod(true, false)), conditions(true, true, false));
  EXPECT_EQ(endpoint_conditions(false, pod(false, false)), conditions(false, false, false));
}

TEST(EndpointConditions, ATerminatingPodServesWhileItsReadinessPassesButIsNotReady) {
  EXPECT_EQ(endpoint_conditions(false, pod(true, true)), conditions(false, true, true));
}

TEST(EndpointConditions, ATerminatingPodWhoseReadinessFailsNoLongerServes) {
  EXPECT_EQ(endpoint_conditions(false, pod(false, true)), conditions(false, false, true));
}

TEST(EndpointConditions, PublishNotReadyAddressesKeepsEveryEndpointReady) {
  // Terminating or not, serving or not: ready, so a StatefulSet's peers keep finding each other.
  EXPECT_EQ(endpoint_conditions(true, pod(true, true)), conditions(true, true, true));
  EXPECT_EQ(endpoint_conditions(true, pod(false, true)), conditions(true, false, true));
  EXPECT_EQ(endpoint_conditions(true, pod(false, false)), conditions(true, false, false));
}

TEST(EndpointConditions, APodWithoutConditionsOrWithMistypedOnesIsNotServing) {
  Json bare = {{"metadata", {{"name", "x"}}}, {"status", {{"podIP", "10.244.1.6"}}}};
  EXPECT_EQ(endpoint_conditions(false, bare), conditions(false, false, false));
  Json odd = bare;
  odd["status"]["conditions"] = Json::array({42, {{"type", "Ready"}, {"status", true}}});
  EXPECT_EQ(endpoint_conditions(false, odd), conditions(false, false, false));
  odd["status"]["conditions"] = "Ready";
  EXPECT_EQ(endpoint_conditions(false, odd), conditions(false, false, false));
}
