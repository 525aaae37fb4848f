// Endpoints (v1) from a Service's EndpointSlices, and slices from a user's Endpoints of a
// Service without a selector: the two directions kube-controller-manager keeps in step.
#include "lab/controllers/endpoints_mirror.h"

#include <gtest/gtest.h>

namespace lab::controllers {
namespace {

using Json = nlohmann::json;

const Json kService = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"my-nginx","namespace":"default",
  "labels":{"app":"web"}},"spec":{"clusterIP":"10.96.0.20","selector":{"run":"my-nginx"},
  "ports":[{"name":"http","port":80,"targetPort":80},{"name":"https","port":443,"targetPort":443}]}})");

Json endpoint(const std::string& ip, bool ready, bool terminating = false, const std::string& node = "node-1") {
  return {{"addresses", {ip}},
          {"conditions", {{"ready", ready}, {"serving", ready}, {"terminating", terminating}}},
          {"nodeName", node},
          {"targetRef", {{"kind", "Pod"}, {"namespace", "default"}, {"name", "pod-" + ip}}}};
}

Json slice(Json endpoints, Json ports = Json::parse(R"([{"name":"https","port":443,"protocol":"TCP"},{"name":"http","port":80,"protocol":"TCP"}])")) {
  return {{"addressType", "IPv4"}, {"endpoints", std::move(endpoints)}, {"ports", std::move(ports)}};
}

TEST(EndpointsMirror, ReadyAndNotReadyPodsBecomeOneSubset) {
  Json ep = endpoints_from_slices(kService, std::vector<Json>{slice({endpoint("10.244.2.5", true), endpoint("10.244.1.9", true),
                                                    endpoint("10.244.1.10", false)})});
  EXPECT_EQ(ep["kind"], "Endpoints");
  EXPECT_EQ(ep["metadata"]["name"], "my-nginx");
  EXPECT_EQ(ep["metadata"]["labels"], Json::parse(R"({"app":"web"})"));
  ASSERT_EQ(ep["subsets"].size(), 1u);
  const Json& s = ep["subsets"][0];
  ASSERT_EQ(s["addresses"].size(), 2u);
  EXPECT_EQ(s["addresses"][0]["ip"], "10.244.1.9");  // sorted by address, not by text
  EXPECT_EQ(s["addresses"][1]["ip"], "10.244.2.5");
  EXPECT_EQ(s["addresses"][0]["nodeName"], "node-1");
  EXPECT_EQ(s["addresses"][0]["targetRef"]["name"], "pod-10.244.1.9");
  ASSERT_EQ(s["notReadyAddresses"].size(), 1u);
  EXPECT_EQ(s["notReadyAddresses"][0]["ip"], "10.244.1.10");
  EXPECT_EQ(s["ports"], Json::parse(R"([{"name":"http","port":80,"protocol":"TCP"},{"name":"https","port":443,"protocol":"TCP"}])"));
}

TEST(EndpointsMirror, TerminatingPodsLeaveUnlessNotReadyAddressesArePublished) {
  std::vector<Json> slices = {slice({endpoint("10.244.1.9", false, true), endpoint("10.244.1.8", true)})};
  Json ep = endpoints_from_slices(kService, slices);
  ASSERT_EQ(ep["subsets"].size(), 1u);
  EXPECT_EQ(ep["subsets"][0]["addresses"].size(), 1u);
  EXPECT_FALSE(ep["subsets"][0].contains("notReadyAddresses"));
  Json publishing = kService;
  publishing["spec"]["publishNotReadyAddresses"] = true;
  ep = endpoints_from_slices(publishing, slices);
  EXPECT_EQ(ep["subsets"][0]["addresses"].size(), 2u);
}

TEST(EndpointsMirror, PodsResolvingDifferentPortsAreDifferentSubsetsAndNoneIsNoSubsets) {
  Json ep = endpoints_from_slices(kService, std::vector<Json>{slice({endpoint("10.244.1.9", true)}),
                                             slice({endpoint("10.244.2.9", true)}, Json::parse(R"([{"name":"http","port":8080,"protocol":"TCP"}])"))});
  EXPECT_EQ(ep["subsets"].size(), 2u);
  ep = endpoints_from_slices(kService, std::vector<Json>{});
  EXPECT_FALSE(ep.contains("subsets"));
  Json headless = kService;
  headless["spec"]["clusterIP"] = "None";
  EXPECT_TRUE(endpoints_from_slices(headless, std::vector<Json>{})["metadata"]["labels"].contains("service.kubernetes.io/headless"));
}

TEST(EndpointsMirror, UserEndpointsOfASelectorlessServiceBecomeSlices) {
  Json svc = Json::parse(R"({"metadata":{"name":"external","namespace":"default"},"spec":{"ports":[{"port":80}]}})");
  Json eps = Json::parse(R"({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"external","namespace":"default","labels":{"team":"a"}},
    "subsets":[{"addresses":[{"ip":"10.244.1.5"},{"ip":"not-an-ip"}],"notReadyAddresses":[{"ip":"10.244.1.6","nodeName":"node-1"}],
                "ports":[{"port":8080}]},
               {"addresses":[{"ip":"10.244.2.5"}],"ports":[{"name":"metrics","port":9100,"protocol":"TCP"}]}]})");
  ASSERT_TRUE(mirrors(eps, &svc));
  auto slices = slices_from_endpoints(eps);
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0]["metadata"]["name"], "external-1");
  EXPECT_EQ(slices[0]["metadata"]["labels"]["kubernetes.io/service-name"], "external");
  EXPECT_EQ(slices[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"], kMirroringManager);
  EXPECT_EQ(slices[0]["metadata"]["labels"]["team"], "a");
  ASSERT_EQ(slices[0]["endpoints"].size(), 2u);  // the bad address is skipped
  EXPECT_EQ(slices[0]["endpoints"][0]["conditions"]["ready"], true);
  EXPECT_EQ(slices[0]["endpoints"][1]["conditions"]["ready"], false);
  EXPECT_EQ(slices[0]["endpoints"][1]["nodeName"], "node-1");
  EXPECT_EQ(slices[0]["ports"], Json::parse(R"([{"name":"","port":8080,"protocol":"TCP"}])"));
  EXPECT_EQ(slices[1]["ports"][0]["name"], "metrics");

  Json with_selector = svc;
  with_selector["spec"]["selector"] = {{"app", "x"}};
  EXPECT_FALSE(mirrors(eps, &with_selector));
  EXPECT_FALSE(mirrors(eps, nullptr));
  eps["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] = "true";
  EXPECT_FALSE(mirrors(eps, &svc));
}

TEST(EndpointsMirror, HostileEndpointsDoNotThrow) {
  for (const char* text : {R"({})", R"({"subsets":5})", R"({"subsets":[5,{"addresses":"x"},{"addresses":[{"ip":5}]}]})",
                           R"({"metadata":[],"subsets":[{"ports":[7]}]})"}) {
    Json eps = Json::parse(text);
    EXPECT_NO_THROW(slices_from_endpoints(eps)) << text;
  }
  EXPECT_NO_THROW(endpoints_from_slices(Json::object(), std::vector<Json>{Json::parse(R"({"addressType":"IPv4","endpoints":[5,{"addresses":[3]}],"ports":7})")}));
}

}  // namespace
}  // namespace lab::controllers
