// Issue 13's Service corners, their pure parts: EndpointSlice ports per pod (a port a pod does not
// resolve is left out, never published as 0) and slice labels, kube-proxy's label selector, and
// kubectl delete's grace period rules.
#include <gtest/gtest.h>

#include "lab/api/validate.h"
#include "lab/cli/commands.h"
#include "lab/controllers/endpointslice.h"
#include "lab/node/proxy_agent.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

Json pod_with_port(const std::string& name, const std::string& port_name, int number, const char* protocol = "TCP") {
  return {{"metadata", {{"name", name}}},
          {"spec", {{"containers", Json::array({{{"name", "c"},
                                                  {"ports", Json::array({{{"name", port_name},
                                                                          {"containerPort", number},
                                                                          {"protocol", protocol}}})}}})}}}};
}

Json two_port_service() {
  return Json::parse(R"({"metadata":{"name":"s","namespace":"default"},"spec":{"clusterIP":"10.96.0.20",
    "ports":[{"name":"portname1","port":80,"protocol":"TCP","targetPort":"svc1"},
             {"name":"portname2","port":81,"protocol":"TCP","targetPort":"svc2"}]}})");
}

}  // namespace

TEST(EndpointSlicePorts, APortThePodDoesNotResolveIsLeftOut) {
  const Json svc = two_port_service();
  EXPECT_EQ(controllers::endpoint_ports(svc, pod_with_port("pod1", "svc1", 8081)),
            Json::parse(R"([{"name":"portname1","port":8081,"protocol":"TCP"}])"));
  EXPECT_EQ(controllers::endpoint_ports(svc, pod_with_port("pod2", "svc2", 8082)),
            Json::parse(R"([{"name":"portname2","port":8082,"protocol":"TCP"}])"));
  // Neither name: no ports at all (the pod still gets a slice of its own, with no ports).
  EXPECT_EQ(controllers::endpoint_ports(svc, pod_with_port("pod3", "other", 9000)), Json::array());
  // A name is matched with the Service port's protocol (FindPort).
  EXPECT_EQ(controllers::endpoint_ports(svc, pod_with_port("pod4", "svc1", 8081, "UDP")), Json::array());
}

TEST(EndpointSlicePorts, NumbersAndDefaultsAndSidecars) {
  Json svc = Json::parse(R"({"metadata":{"name":"s"},"spec":{"ports":[
    {"name":"a","port":80,"protocol":"TCP","targetPort":8080},{"name":"b","port":53,"protocol":"UDP"}]}})");
  Json pod = {{"spec", {{"containers", Json::array()}}}};
  EXPECT_EQ(controllers::endpoint_ports(svc, pod),
            Json::parse(R"([{"name":"a","port":8080,"protocol":"TCP"},{"name":"b","port":53,"protocol":"UDP"}])"));
  // A named port of a sidecar (an init container that restarts Always) counts; of a plain init
  // container it does not.
  Json named = Json::parse(R"({"metadata":{"name":"s"},"spec":{"ports":[{"name":"m","port":9,"protocol":"TCP","targetPort":"metrics"}]}})");
  Json sidecar = Json::parse(R"({"spec":{"containers":[],"initContainers":[
    {"name":"i","ports":[{"name":"metrics","containerPort":9100}]}]}})");
  EXPECT_EQ(controllers::endpoint_ports(named, sidecar), Json::array());
  sidecar["spec"]["initContainers"][0]["restartPolicy"] = "Always";
  EXPECT_EQ(controllers::endpoint_ports(named, sidecar), Json::parse(R"([{"name":"m","port":9100,"protocol":"TCP"}])"));
}

TEST(EndpointSlicePorts, SliceLabelsFollowTheService) {
  Json svc = two_port_service();
  svc["metadata"]["labels"] = {{"app", "web"}, {"service.kubernetes.io/service-proxy-name", "other"},
                               {"kubernetes.io/service-name", "spoof"}, {"service.kubernetes.io/headless", ""}};
  EXPECT_EQ(controllers::endpoint_slice_labels(svc),
            Json({{"app", "web"},
                  {"service.kubernetes.io/service-proxy-name", "other"},
                  {"kubernetes.io/service-name", "s"},
                  {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}));
  svc["spec"]["clusterIP"] = "None";
  EXPECT_TRUE(controllers::endpoint_slice_labels(svc).contains("service.kubernetes.io/headless"));
}

TEST(ProxyLabels, ServicesOfAnotherProxyAndHeadlessSlicesAreNotProxied) {
  EXPECT_TRUE(node::proxied(Json::parse(R"({"metadata":{"name":"s"}})")));
  EXPECT_TRUE(node::proxied(Json::parse(R"({"metadata":{"name":"s","labels":{"app":"x"}}})")));
  EXPECT_FALSE(node::proxied(Json::parse(R"({"metadata":{"labels":{"service.kubernetes.io/service-proxy-name":""}}})")));
  EXPECT_FALSE(node::proxied(Json::parse(R"({"metadata":{"labels":{"service.kubernetes.io/service-proxy-name":"x"}}})")));
  EXPECT_FALSE(node::proxied(Json::parse(R"({"metadata":{"labels":{"service.kubernetes.io/headless":""}}})")));
}

TEST(DeleteGracePeriod, KubectlRules) {
  EXPECT_EQ(*cli::grace_period(-1, false, false), -1);
  EXPECT_EQ(*cli::grace_period(-1, false, true), 0);   // --force
  EXPECT_EQ(*cli::grace_period(0, false, true), 0);    // --grace-period=0 --force
  EXPECT_EQ(*cli::grace_period(0, false, false), 1);   // a bare 0 becomes 1
  EXPECT_EQ(*cli::grace_period(-1, true, false), 1);   // --now
  EXPECT_EQ(*cli::grace_period(20, false, false), 20);
  auto both = cli::grace_period(5, false, true);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().what(), "--force and --grace-period greater than 0 cannot be specified together");
  auto now = cli::grace_period(3, true, false);
  ASSERT_FALSE(now);
  EXPECT_EQ(now.error().what(), "--now and --grace-period cannot be specified together");
}

// spec.loadBalancerClass: a LoadBalancer's only, a qualified name; the lab's own load balancer
// serves Services without one (the class names another implementation).
TEST(LoadBalancerClass, OnlyALoadBalancerHasOneAndItIsAQualifiedName) {
  auto errors = [](Json svc) {
    std::string out;
    for (const auto& e : api::validate_object(svc).errors) out += e.field + ": " + e.detail + "\n";
    return out;
  };
  Json svc = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"default"},
    "spec":{"type":"LoadBalancer","loadBalancerClass":"example.com/lb","ports":[{"port":80}]}})");
  EXPECT_EQ(errors(svc), "");
  svc["spec"]["type"] = "ClusterIP";
  EXPECT_NE(errors(svc).find("spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"),
            std::string::npos)
      << errors(svc);
  svc["spec"]["type"] = "LoadBalancer";
  svc["spec"]["loadBalancerClass"] = "not a name";
  EXPECT_NE(errors(svc).find("spec.loadBalancerClass: Invalid value"), std::string::npos) << errors(svc);
}

// Once set, a LoadBalancer's class stays while it is a LoadBalancer; moving to another type drops
// it (dropTypeDependentFields), as the defaulted allocateLoadBalancerNodePorts.
TEST(LoadBalancerClass, ItMayNotChangeButGoesWithTheType) {
  Json old = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"default"},
    "spec":{"type":"LoadBalancer","loadBalancerClass":"example.com/lb","ports":[{"port":80}]}})");
  ASSERT_TRUE(api::validate_object(old).errors.empty());
  Json changed = old;
  changed["spec"]["loadBalancerClass"] = "example.com/other";
  auto v = api::validate_object(changed, &old);
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_EQ(v.errors[0].field, "spec.loadBalancerClass");
  EXPECT_EQ(v.errors[0].detail, "Invalid value: \"example.com/other\": may not change once set");
  Json cluster_ip = old;
  cluster_ip["spec"]["type"] = "ClusterIP";
  auto w = api::validate_object(cluster_ip, &old);
  EXPECT_TRUE(w.errors.empty()) << w.errors[0].field << ": " << w.errors[0].detail;
  EXPECT_FALSE(cluster_ip["spec"].contains("loadBalancerClass"));
  EXPECT_FALSE(cluster_ip["spec"].contains("allocateLoadBalancerNodePorts"));
}
