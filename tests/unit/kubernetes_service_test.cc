// The `kubernetes` Service: built as kube-apiserver builds it, created at start, made again when
// deleted (same ClusterIP, new uid), its ports put back when a daemon starts.
#include <gtest/gtest.h>

#include "lab/controllers/manager.h"
#include "lab/server/addons.h"
#include "lab/store/store.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

Json master_service() {
  cluster::LabRecord rec;
  rec.plan.service_cidr = *net::Cidr::parse("10.96.0.0/12");
  auto objs = server::kubernetes_service_objects(rec);
  EXPECT_EQ(objs.size(), 1u);
  return objs.front();
}

struct Plane {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  std::unique_ptr<controllers::ControllerManager> manager;
  Plane() {
    controllers::ClusterInfo info{{"node-1"}, {}};
    info.kubernetes_service = master_service();
    manager = std::make_unique<controllers::ControllerManager>(registry, informers, info);
    informers.start();
  }
  void settle() {
    informers.wait_synced(st.version(), 1000);
    manager->run_until_idle();
  }
};

TEST(KubernetesService, TheObjectAsKubeApiserverMakesIt) {
  Json svc = master_service();
  EXPECT_EQ(svc["metadata"]["namespace"], "default");
  EXPECT_EQ(svc["metadata"]["name"], "kubernetes");
  EXPECT_EQ(svc["metadata"]["labels"], (Json{{"component", "apiserver"}, {"provider", "kubernetes"}}));
  EXPECT_EQ(svc["spec"]["clusterIP"], "10.96.0.1");
  EXPECT_FALSE(svc["spec"].contains("selector"));
  EXPECT_EQ(svc["spec"]["ports"],
            Json::parse(R"([{"name":"https","port":443,"protocol":"TCP","targetPort":6443}])"));
}

TEST(KubernetesService, CreatedAndMadeAgainWhenDeleted) {
  Plane plane;
  plane.settle();
  auto first = plane.registry.get("Service", "default", "kubernetes");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["spec"]["clusterIP"], "10.96.0.1");
  EXPECT_EQ((*first)["metadata"]["generation"], 1);  // the first pass found nothing to put back
  auto removed = plane.registry.remove("Service", "default", "kubernetes");
  ASSERT_TRUE(removed);
  // Nobody else may take the address meanwhile.
  Json thief = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"thief"},
      "spec":{"clusterIP":"10.96.0.1","ports":[{"port":80}]}})");
  auto stolen = plane.registry.create(thief);
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.error().reason, Reason::Invalid);
  plane.settle();
  auto again = plane.registry.get("Service", "default", "kubernetes");
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["spec"]["clusterIP"], "10.96.0.1");
  EXPECT_NE((*again)["metadata"]["uid"], (*first)["metadata"]["uid"]);
}

TEST(KubernetesService, PortsArePutBackAtStartOnly) {
  Plane plane;
  plane.settle();
  auto changed = plane.registry.patch("Service", "default", "kubernetes",
                                      Json::parse(R"({"spec":{"ports":[{"name":"https","port":8443,"protocol":"TCP","targetPort":6443}]}})"));
  ASSERT_TRUE(changed) << changed.error().what();
  plane.settle();
  EXPECT_EQ((*plane.registry.get("Service", "default", "kubernetes"))["spec"]["ports"][0]["port"], 8443);
  // A new controller manager (a daemon restart) reconciles once.
  plane.manager->stop();
  controllers::ClusterInfo info{{"node-1"}, {}};
  info.kubernetes_service = master_service();
  store::InformerFactory informers2{plane.st};
  controllers::ControllerManager again{plane.registry, informers2, info};
  informers2.start();
  informers2.wait_synced(plane.st.version(), 1000);
  again.run_until_idle();
  EXPECT_EQ((*plane.registry.get("Service", "default", "kubernetes"))["spec"]["ports"][0]["port"], 443);
}

}  // namespace
