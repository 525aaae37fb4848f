// metadata.finalizers: a delete only marks an object that has some (deletionTimestamp), the
// removal of the last one deletes it, and none may be added meanwhile. The fake LoadBalancer
// puts service.kubernetes.io/load-balancer-cleanup on the Services it serves and takes it off
// when they are deleted or stop being LoadBalancers, as a cloud provider's service controller.
#include <gtest/gtest.h>

#include <algorithm>

#include "lab/controllers/manager.h"
#include "lab/store/registry.h"
#include "lab/store/store.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

constexpr const char* kCleanup = "service.kubernetes.io/load-balancer-cleanup";

store::ServiceRanges ranges() { return {*net::Cidr::parse("10.96.0.0/12")}; }

Json config_map(const Json& finalizers) {
  Json cm = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},
                            "data":{"a":"b"}})");
  if (!finalizers.is_null()) cm["metadata"]["finalizers"] = finalizers;
  return cm;
}

Json lb_service() {
  return Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"lb","namespace":"default"},
    "spec":{"type":"LoadBalancer","selector":{"app":"web"},"ports":[{"port":80}]}})");
}

bool has(const Json& obj, const std::string& finalizer) {
  const Json& f = obj["metadata"].value("finalizers", Json::array());
  return std::find(f.begin(), f.end(), Json(finalizer)) != f.end();
}

// A control plane without threads, with a LoadBalancer pool.
struct Plane {
  store::Store st;
  store::Registry registry{st, ranges()};
  store::InformerFactory informers{st};
  controllers::ControllerManager manager{
      registry, informers, {{"node-1", "node-2"}, *net::Ipv4Range::parse("172.18.255.200-172.18.255.250")}};
  Plane() { informers.start(); }
  void settle() {
    for (int i = 0; i < 3; ++i) {
      informers.wait_synced(st.version(), 1000);
      manager.run_until_idle();
    }
  }
};

}  // namespace

TEST(Finalizers, ADeleteMarksTheObjectAndTheLastFinalizersRemovalDeletesIt) {
  store::Store st;
  store::Registry reg(st, ranges());
  ASSERT_TRUE(reg.create(config_map(Json::array({"example.com/a", "example.com/b"}))));
  auto marked = reg.remove("ConfigMap", "default", "cm");
  ASSERT_TRUE(marked) << marked.error().what();
  EXPECT_TRUE((*marked)["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ((*marked)["metadata"]["deletionGracePeriodSeconds"], 0);
  auto stored = st.get("ConfigMap", "default", "cm");
  ASSERT_TRUE(stored) << "an object with finalizers stays until they are removed";

  // A second delete changes nothing.
  auto again = reg.remove("ConfigMap", "default", "cm");
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["metadata"]["resourceVersion"], (*stored)["metadata"]["resourceVersion"]);

  // No finalizer may be added while it is being deleted.
  Json more = *stored;
  more["metadata"]["finalizers"].push_back("example.com/c");
  auto refused = reg.update(more);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, Reason::Invalid);
  EXPECT_NE(refused.error().message.find("no new finalizers can be added if the object is being deleted"),
            std::string::npos)
      << refused.error().message;

  // One removed: still there; the last removed (a patch): gone.
  Json fewer = *stored;
  fewer["metadata"]["finalizers"] = Json::array({"example.com/b"});
  ASSERT_TRUE(reg.update(fewer));
  ASSERT_TRUE(st.get("ConfigMap", "default", "cm"));
  auto last = reg.patch("ConfigMap", "default", "cm", Json::parse(R"({"metadata":{"finalizers":null}})"), false,
                        store::PatchType::Merge);
  ASSERT_TRUE(last) << last.error().what();
  EXPECT_FALSE(st.get("ConfigMap", "default", "cm")) << "the last finalizer's removal deletes it";
}

TEST(Finalizers, AnObjectWithoutFinalizersGoesAtOnce) {
  store::Store st;
  store::Registry reg(st, ranges());
  ASSERT_TRUE(reg.create(config_map(nullptr)));
  ASSERT_TRUE(reg.remove("ConfigMap", "default", "cm"));
  EXPECT_FALSE(st.get("ConfigMap", "default", "cm"));
}

TEST(Finalizers, TheLoadBalancerCleanupFinalizerComesWithTheAddressAndGoesWithTheService) {
  Plane plane;
  ASSERT_TRUE(plane.registry.create(lb_service()));
  plane.settle();
  auto svc = plane.st.get("Service", "default", "lb");
  ASSERT_TRUE(svc);
  EXPECT_TRUE(has(*svc, kCleanup)) << svc->dump();
  EXPECT_EQ((*svc)["status"]["loadBalancer"]["ingress"][0]["ip"], "172.18.255.200");

  ASSERT_TRUE(plane.registry.remove("Service", "default", "lb"));
  EXPECT_TRUE(plane.st.get("Service", "default", "lb")) << "marked, waiting for the controller";
  plane.settle();
  EXPECT_FALSE(plane.st.get("Service", "default", "lb")) << "the controller took its finalizer off";

  // The address and the cluster IP are free again: a new LoadBalancer gets the same address.
  auto again = lb_service();
  again["metadata"]["name"] = "lb2";
  ASSERT_TRUE(plane.registry.create(again));
  plane.settle();
  EXPECT_EQ((*plane.st.get("Service", "default", "lb2"))["status"]["loadBalancer"]["ingress"][0]["ip"],
            "172.18.255.200");
}

TEST(Finalizers, AServiceThatStopsBeingALoadBalancerLosesItsAddressAndTheFinalizer) {
  Plane plane;
  ASSERT_TRUE(plane.registry.create(lb_service()));
  plane.settle();
  auto changed = plane.registry.retry_update("Service", "default", "lb", [](Json& s) {
    s["spec"]["type"] = "ClusterIP";
    return true;
  });
  ASSERT_TRUE(changed) << changed.error().what();
  plane.settle();
  auto svc = plane.st.get("Service", "default", "lb");
  ASSERT_TRUE(svc);
  EXPECT_FALSE(has(*svc, kCleanup)) << svc->dump();
  EXPECT_TRUE((*svc)["status"]["loadBalancer"].empty()) << svc->dump();
  ASSERT_TRUE(plane.registry.remove("Service", "default", "lb"));
  EXPECT_FALSE(plane.st.get("Service", "default", "lb"));
}
