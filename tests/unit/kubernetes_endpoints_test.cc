// The `kubernetes` Service's endpoints: the API server's fabric address, written as
// kube-apiserver's endpoint reconciler writes them, kept against deletes and edits, and left
// alone by the EndpointSlice, Endpoints and mirroring controllers. And the node guard that lets
// pods reach exactly that port of the host.
#include <gtest/gtest.h>

#include "lab/controllers/kubernetes_service.h"
#include "lab/controllers/manager.h"
#include "lab/server/addons.h"
#include "lab/store/store.h"
#include "netns/fabric_guard.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

struct ApiPlane {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  std::unique_ptr<controllers::ControllerManager> manager;
  ApiPlane() {
    cluster::LabRecord rec;
    rec.plan.service_cidr = *net::Cidr::parse("10.96.0.0/12");
    controllers::ClusterInfo info{{"node-1"}, {}};
    info.kubernetes_service = server::kubernetes_service_objects(rec).front();
    info.apiserver_ip = "172.18.0.1";
    manager = std::make_unique<controllers::ControllerManager>(registry, informers, info);
    informers.start();
  }
  void settle() {
    informers.wait_synced(st.version(), 1000);
    manager->run_until_idle();
  }
  std::vector<Json> kubernetes_slices() {
    std::vector<Json> out;
    for (const auto& s : informers.informer("EndpointSlice").list("default"))
      if ((*s)["metadata"].value("labels", Json::object()).value("kubernetes.io/service-name", "") == "kubernetes")
        out.push_back(*s);
    return out;
  }
};

TEST(KubernetesEndpoints, AsTheEndpointReconcilerWritesThem) {
  Json ep = controllers::kubernetes_endpoints("172.18.0.1", 6443);
  EXPECT_EQ(ep["metadata"]["labels"], (Json{{"endpointslice.kubernetes.io/skip-mirror", "true"}}));
  EXPECT_EQ(ep["subsets"], Json::parse(R"([{"addresses":[{"ip":"172.18.0.1"}],
      "ports":[{"name":"https","port":6443,"protocol":"TCP"}]}])"));
  Json slice = controllers::kubernetes_endpoint_slice("172.18.0.1", 6443);
  EXPECT_EQ(slice["metadata"]["name"], "kubernetes");
  EXPECT_EQ(slice["metadata"]["labels"], (Json{{"kubernetes.io/service-name", "kubernetes"}}));
  EXPECT_EQ(slice["addressType"], "IPv4");
  EXPECT_EQ(slice["endpoints"], Json::parse(R"([{"addresses":["172.18.0.1"],"conditions":{"ready":true}}])"));
  EXPECT_EQ(slice["ports"], Json::parse(R"([{"name":"https","port":6443,"protocol":"TCP"}])"));
}

TEST(KubernetesEndpoints, WrittenOnceAndNotChurned) {
  ApiPlane plane;
  plane.settle();
  auto ep = plane.registry.get("Endpoints", "default", "kubernetes");
  ASSERT_TRUE(ep);
  EXPECT_EQ((*ep)["subsets"][0]["addresses"][0]["ip"], "172.18.0.1");
  auto slices = plane.kubernetes_slices();
  ASSERT_EQ(slices.size(), 1u);  // neither the mirroring nor the EndpointSlice controller adds one
  EXPECT_EQ(slices[0]["metadata"]["name"], "kubernetes");
  EXPECT_EQ(slices[0]["endpoints"][0]["addresses"][0], "172.18.0.1");
  uint64_t v = plane.st.version();
  plane.settle();
  EXPECT_EQ(plane.st.version(), v);  // nothing rewritten
}

TEST(KubernetesEndpoints, PutBackWhenDeletedOrChanged) {
  ApiPlane plane;
  plane.settle();
  ASSERT_TRUE(plane.registry.remove("EndpointSlice", "default", "kubernetes"));
  ASSERT_TRUE(plane.registry.remove("Endpoints", "default", "kubernetes"));
  plane.settle();
  EXPECT_TRUE(plane.registry.get("Endpoints", "default", "kubernetes"));
  ASSERT_EQ(plane.kubernetes_slices().size(), 1u);

  auto changed = plane.registry.patch("EndpointSlice", "default", "kubernetes",
                                      Json::parse(R"({"endpoints":[{"addresses":["10.244.1.9"]}]})"));
  ASSERT_TRUE(changed) << changed.error().what();
  auto changed_ep = plane.registry.patch("Endpoints", "default", "kubernetes",
                                         Json::parse(R"({"subsets":[{"addresses":[{"ip":"10.244.1.9"}],"ports":[{"port":1}]}]})"));
  ASSERT_TRUE(changed_ep) << changed_ep.error().what();
  plane.settle();
  EXPECT_EQ((*plane.registry.get("EndpointSlice", "default", "kubernetes"))["endpoints"][0]["addresses"][0], "172.18.0.1");
  EXPECT_EQ((*plane.registry.get("Endpoints", "default", "kubernetes"))["subsets"][0]["ports"][0]["port"], 6443);

  // Another slice claiming the Service is removed, as the reconciler's otherSlices.
  Json other = controllers::kubernetes_endpoint_slice("10.244.1.9", 6443);
  other["metadata"]["name"] = "kubernetes-extra";
  ASSERT_TRUE(plane.registry.create(other));
  plane.settle();
  auto slices = plane.kubernetes_slices();
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0]["metadata"]["name"], "kubernetes");
}

TEST(KubernetesEndpoints, NoneWithoutAnApiAddress) {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  cluster::LabRecord rec;
  rec.plan.service_cidr = *net::Cidr::parse("10.96.0.0/12");
  controllers::ClusterInfo info{{"node-1"}, {}};
  info.kubernetes_service = server::kubernetes_service_objects(rec).front();
  controllers::ControllerManager manager{registry, informers, info};
  informers.start();
  manager.run_until_idle();
  EXPECT_TRUE(registry.get("Service", "default", "kubernetes"));
  EXPECT_FALSE(registry.get("Endpoints", "default", "kubernetes"));
}

TEST(FabricGuard, PodsReachOnlyTheApiPortOfTheHost) {
  net::FabricPlan plan;
  plan.host_ip = *net::Ipv4::parse("172.18.0.1");
  plan.pod_cidr = *net::Cidr::parse("10.244.0.0/16");
  EXPECT_EQ(net::guard_rules(plan),
            "add table ip lab-guard\n"
            "add chain ip lab-guard forward { type filter hook forward priority filter; policy accept; }\n"
            "add rule ip lab-guard forward iifname \"cbr0\" ip daddr 172.18.0.1 tcp dport 6443 ct state new accept\n"
            "add rule ip lab-guard forward iifname \"cbr0\" ip daddr 172.18.0.1 ct state new reject\n"
            "add chain ip lab-guard postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
            "add rule ip lab-guard postrouting oifname \"eth0\" ip saddr 10.244.0.0/16 ip daddr 172.18.0.1 tcp dport "
            "6443 masquerade\n");
}

}  // namespace
