// The EndpointSlice controller's own slice writes do not come back to it as work (Kubernetes'
// endpointSliceTracker): a pod's change selected by many Services reconciled each of them twice
// before, once for the pod and once for the slice it had just written. Another writer's change to
// a slice, or its delete, is still put right. And its several workers (as kube-controller-manager's
// --concurrent-service-endpoint-syncs) leave every Service's slice current.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "lab/controllers/endpointslice.h"
#include "lab/store/store.h"

using namespace lab;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

Json service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", {{"selector", {{"app", "web"}}}, {"ports", Json::array({{{"port", 80}}})}}}};
}

Json pod(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
          {"spec",
           {{"nodeName", "node-1"},
            {"containers", Json::array({{{"name", "c"}, {"image", "busybox"}, {"command", {"sleep", "1000"}}}})}}}};
}

struct SlicePlane {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  controllers::Context ctx{registry, informers, {{"node-1"}, {}}};
  controllers::EndpointSliceController esc{ctx};
  SlicePlane() { informers.start(); }
  ~SlicePlane() {
    esc.queue().shut_down();
    informers.stop();
  }

  // Reconciles until nothing is queued or waiting (a pod's change may wait for its batch);
  // returns how many keys were handled.
  size_t settle() {
    size_t handled = 0;
    for (auto deadline = Clock::now() + std::chrono::seconds(5); Clock::now() < deadline;) {
      informers.wait_synced(st.version(), 1000);
      handled += esc.drain();
      informers.wait_synced(st.version(), 1000);
      if (esc.queue().pending() == 0) return handled;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << "the EndpointSlice queue never emptied";
    return handled;
  }

  void set_ready(const std::string& name, bool ready) {
    auto cur = st.get("Pod", "default", name);
    ASSERT_TRUE(cur);
    Json p = *cur;
    p["status"] = {{"phase", "Running"},
                   {"podIP", "10.244.1.5"},
                   {"conditions", Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}};
    auto r = registry.update_status(p);
    ASSERT_TRUE(r) << r.error().what();
  }

  std::vector<Json> slices_of(const std::string& svc) {
    informers.wait_synced(st.version(), 1000);
    std::vector<Json> out;
    for (const auto& s : informers.informer("EndpointSlice").list("default"))
      if ((*s)["metadata"].value("labels", Json::object()).value("kubernetes.io/service-name", "") == svc)
        out.push_back(*s);
    return out;
  }
  // The ready condition of the pod's endpoint in svc's slice; nullopt when it has none.
  std::optional<bool> ready_in(const std::string& svc) {
    auto slices = slices_of(svc);
    if (slices.size() != 1 || slices[0]["endpoints"].empty()) return std::nullopt;
    return slices[0]["endpoints"][0]["conditions"].value("ready", false);
  }
};

}  // namespace

TEST(EndpointSliceWrites, OwnWritesDoNotRequeueTheService) {
  SlicePlane plane;
  ASSERT_TRUE(plane.registry.create(service("web")));
  ASSERT_TRUE(plane.registry.create(pod("web-1")));
  plane.set_ready("web-1", true);
  EXPECT_GE(plane.settle(), 1u);
  ASSERT_EQ(plane.ready_in("web"), true);

  // The pod's change: one reconcile of its Service, and its slice write brings no second one.
  plane.set_ready("web-1", false);
  EXPECT_EQ(plane.settle(), 1u);
  EXPECT_EQ(plane.ready_in("web"), false);
  plane.set_ready("web-1", true);
  EXPECT_EQ(plane.settle(), 1u);
  EXPECT_EQ(plane.ready_in("web"), true);
  EXPECT_EQ(plane.settle(), 0u);
}

TEST(EndpointSliceWrites, AnotherWritersChangeOrDeleteIsPutRight) {
  SlicePlane plane;
  ASSERT_TRUE(plane.registry.create(service("web")));
  ASSERT_TRUE(plane.registry.create(pod("web-1")));
  plane.set_ready("web-1", true);
  plane.settle();
  auto slices = plane.slices_of("web");
  ASSERT_EQ(slices.size(), 1u);

  Json edited = slices[0];
  edited["endpoints"] = Json::array();
  ASSERT_TRUE(plane.registry.update(edited));
  EXPECT_EQ(plane.settle(), 1u);
  EXPECT_EQ(plane.ready_in("web"), true) << "the endpoint is back";

  ASSERT_TRUE(plane.registry.remove("EndpointSlice", "default", plane.slices_of("web")[0]["metadata"]["name"],
                                    {.grace_seconds = std::nullopt, .uid = ""}));
  // A new slice's name comes from the server, so its creation may come back as work once.
  size_t handled = plane.settle();
  EXPECT_GE(handled, 1u);
  EXPECT_LE(handled, 2u);
  EXPECT_EQ(plane.ready_in("web"), true) << "a slice again";
  EXPECT_EQ(plane.settle(), 0u);
}

TEST(EndpointSliceWrites, SeveralWorkersKeepEveryServiceCurrent) {
  SlicePlane plane;
  constexpr int kServices = 60;
  for (int i = 0; i < kServices; ++i) ASSERT_TRUE(plane.registry.create(service("web-" + std::to_string(i))));
  ASSERT_TRUE(plane.registry.create(pod("web-1")));
  plane.set_ready("web-1", true);
  for (const auto& key : plane.esc.all_keys()) plane.esc.queue().add(key);
  ASSERT_GT(plane.esc.workers(), 1u);
  std::vector<std::thread> workers;
  for (size_t i = 0; i < plane.esc.workers(); ++i) workers.emplace_back([&] { plane.esc.run(); });
  auto all_are = [&](bool ready) {
    for (auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;
         std::this_thread::sleep_for(std::chrono::milliseconds(5))) {
      bool all = true;
      for (int i = 0; i < kServices && all; ++i) all = plane.ready_in("web-" + std::to_string(i)) == ready;
      if (all) return true;
    }
    return false;
  };
  EXPECT_TRUE(all_are(true));
  for (bool ready : {false, true, false}) {
    plane.set_ready("web-1", ready);
    EXPECT_TRUE(all_are(ready)) << "ready " << ready;
  }
  plane.esc.queue().shut_down();
  for (auto& t : workers) t.join();
  for (int i = 0; i < kServices; ++i) EXPECT_EQ(plane.slices_of("web-" + std::to_string(i)).size(), 1u);
}

// Kubernetes' podEndpointsChanged: a pod's write wakes the Services selecting it only when it can
// change an endpoint. A replacement pod binding and starting wrote its status several times before
// it had an address, and each woke every Service selecting it (100 in bench/endpoints.sh), in the
// middle of the burst of the pod it replaced.
TEST(EndpointSliceWrites, PodWritesThatChangeNoEndpointWakeNoService) {
  SlicePlane plane;
  ASSERT_TRUE(plane.registry.create(service("web")));
  plane.settle();
  ASSERT_TRUE(plane.registry.create(pod("web-1")));
  EXPECT_EQ(plane.settle(), 0u) << "a pod without an address is in no slice";
  auto pending = *plane.st.get("Pod", "default", "web-1");
  pending["status"] = {{"phase", "Pending"}, {"conditions", Json::array({{{"type", "PodScheduled"}, {"status", "True"}}})}};
  ASSERT_TRUE(plane.registry.update_status(pending));
  EXPECT_EQ(plane.settle(), 0u);

  plane.set_ready("web-1", true);
  EXPECT_EQ(plane.settle(), 1u) << "an address";
  EXPECT_EQ(plane.ready_in("web"), true);
  auto restarted = *plane.st.get("Pod", "default", "web-1");
  restarted["status"]["containerStatuses"] = Json::array({{{"name", "c"}, {"restartCount", 1}, {"ready", true}}});
  ASSERT_TRUE(plane.registry.update_status(restarted));
  EXPECT_EQ(plane.settle(), 0u) << "a restart count";

  auto relabelled = *plane.st.get("Pod", "default", "web-1");
  relabelled["metadata"]["labels"]["tier"] = "front";
  ASSERT_TRUE(plane.registry.update(relabelled));
  EXPECT_EQ(plane.settle(), 1u) << "labels may change which Services select it";
  plane.set_ready("web-1", false);
  EXPECT_EQ(plane.settle(), 1u);
  EXPECT_EQ(plane.ready_in("web"), false);
}

TEST(EndpointSliceWrites, EndpointChangedComparesWhatAnEndpointShows) {
  Json a = pod("p");
  a["status"] = {{"phase", "Running"}, {"podIP", "10.244.1.5"}, {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}};
  Json b = a;
  EXPECT_FALSE(controllers::endpoint_changed(&a, &b));
  EXPECT_TRUE(controllers::endpoint_changed(nullptr, &a));
  EXPECT_TRUE(controllers::endpoint_changed(&a, nullptr));
  Json no_ip = pod("p");
  EXPECT_FALSE(controllers::endpoint_changed(nullptr, &no_ip));
  EXPECT_FALSE(controllers::endpoint_changed(&no_ip, nullptr));
  b["status"]["phase"] = "Failed";
  EXPECT_TRUE(controllers::endpoint_changed(&a, &b)) << "an ended pod leaves";
  b = a;
  b["metadata"]["deletionTimestamp"] = "2026-12-04T00:00:00Z";
  EXPECT_TRUE(controllers::endpoint_changed(&a, &b));
  b = a;
  b["status"]["podIP"] = "10.244.1.6";
  EXPECT_TRUE(controllers::endpoint_changed(&a, &b));
  b = a;
  b["status"]["conditions"][0]["status"] = "False";
  EXPECT_TRUE(controllers::endpoint_changed(&a, &b));
  b = a;
  b["status"]["startTime"] = "2026-12-04T00:00:00Z";
  EXPECT_FALSE(controllers::endpoint_changed(&a, &b));
}
