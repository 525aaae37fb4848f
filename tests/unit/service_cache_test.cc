// Unit tests for lab/node/service_cache: Services and EndpointSlices from the store's events to
// the proxy's view, one Service at a time.
#include "lab/node/service_cache.h"

#include "lab/api/event_object.h"

#include <gtest/gtest.h>

namespace lab::node {
namespace {

using store::Json;

Json service(const std::string& name, const std::string& ip, std::vector<std::pair<std::string, int>> ports) {
  Json ps = Json::array();
  for (const auto& [pname, port] : ports) ps.push_back({{"name", pname}, {"port", port}, {"protocol", "TCP"}});
  return {{"kind", "Service"}, {"metadata", {{"name", name}}}, {"spec", {{"clusterIP", ip}, {"ports", ps}}}};
}

Json slice(const std::string& name, const std::string& svc, std::vector<std::string> ips, bool ready = true) {
  Json eps = Json::array();
  for (const auto& ip : ips) eps.push_back({{"addresses", {ip}}, {"conditions", {{"ready", ready}}}});
  return {{"kind", "EndpointSlice"},
          {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/service-name", svc}}}}},
          {"ports", Json::array({{{"name", "http"}, {"port", 8080}}})},
          {"endpoints", eps}};
}

class ServiceCacheTest : public ::testing::Test {
 protected:
  ServiceCacheTest() : cache_(*net::Cidr::parse("10.244.0.0/16"), *net::Cidr::parse("10.96.0.0/12")) {}
  // Applies what happened in the store since the last call.
  bool catch_up() {
    auto events = st_.events_since(seen_, 0);
    if (!events.empty()) seen_ = events.back().version;
    return cache_.apply(events);
  }
  store::Store st_;
  ServiceCache cache_;
  uint64_t seen_ = 0;
};

TEST_F(ServiceCacheTest, RelistBuildsPortsInNameOrderWithTheirEndpoints) {
  ASSERT_TRUE(st_.create(service("web", "10.96.0.20", {{"http", 80}})));
  ASSERT_TRUE(st_.create(service("api", "10.96.0.21", {{"http", 80}, {"metrics", 9090}})));
  ASSERT_TRUE(st_.create(slice("web-abcde", "web", {"10.244.1.5", "10.244.2.7"})));
  cache_.relist(st_);
  const auto& v = cache_.view();
  EXPECT_EQ(v.pod_cidr, "10.244.0.0/16");
  EXPECT_EQ(v.service_cidr, "10.96.0.0/12");
  ASSERT_EQ(v.ports.size(), 3u);
  EXPECT_EQ(v.ports[0].identity(), "default/api/http");
  EXPECT_EQ(v.ports[1].identity(), "default/api/metrics");
  EXPECT_EQ(v.ports[2].identity(), "default/web/http");
  ASSERT_EQ(v.ports[2].endpoints.size(), 2u);
  EXPECT_EQ(v.ports[2].endpoints[1].ip, "10.244.2.7");
  EXPECT_EQ(v.ports[2].endpoints[1].port, 8080);
  EXPECT_TRUE(v.ports[0].endpoints.empty());
}

TEST_F(ServiceCacheTest, EventsChangeOnlyWhatTheyTouch) {
  ASSERT_TRUE(st_.create(service("api", "10.96.0.21", {{"http", 80}})));
  ASSERT_TRUE(st_.create(service("web", "10.96.0.20", {{"http", 80}})));
  seen_ = st_.version();
  cache_.relist(st_);
  ASSERT_EQ(cache_.view().ports.size(), 2u);

  // A slice appears, then changes readiness: the web port gets its endpoints, in place.
  ASSERT_TRUE(st_.create(slice("web-abcde", "web", {"10.244.1.5"})));
  EXPECT_TRUE(catch_up());
  EXPECT_EQ(cache_.view().ports[1].endpoints.size(), 1u);
  auto s = st_.get("EndpointSlice", "default", "web-abcde");
  ASSERT_TRUE(s);
  (*s)["endpoints"][0]["conditions"]["ready"] = false;
  ASSERT_TRUE(st_.update(*s));
  EXPECT_TRUE(catch_up());
  ASSERT_EQ(cache_.view().ports[1].endpoints.size(), 1u);
  EXPECT_FALSE(cache_.view().ports[1].endpoints[0].ready);

  // Other kinds are no business of the proxy.
  ASSERT_TRUE(st_.create({{"kind", "Pod"}, {"metadata", {{"name", "p"}}}}));
  EXPECT_FALSE(catch_up());

  // A Service goes: its ports leave the view; its slice, when deleted, changes nothing more.
  ASSERT_TRUE(st_.remove("Service", "default", "api"));
  EXPECT_TRUE(catch_up());
  ASSERT_EQ(cache_.view().ports.size(), 1u);
  EXPECT_EQ(cache_.view().ports[0].identity(), "default/web/http");
  // A port added to a Service reshapes the view.
  auto w = st_.get("Service", "default", "web");
  ASSERT_TRUE(w);
  (*w)["spec"]["ports"].push_back({{"name", "admin"}, {"port", 81}});
  ASSERT_TRUE(st_.update(*w));
  EXPECT_TRUE(catch_up());
  ASSERT_EQ(cache_.view().ports.size(), 2u);
  EXPECT_EQ(cache_.view().ports[1].port_name, "admin");
  EXPECT_TRUE(cache_.view().ports[1].endpoints.empty());  // the slice has no "admin" port
  ASSERT_TRUE(st_.remove("EndpointSlice", "default", "web-abcde"));
  EXPECT_TRUE(catch_up());
  EXPECT_TRUE(cache_.view().ports[0].endpoints.empty());
}

TEST_F(ServiceCacheTest, ASliceRelabelledMovesToItsNewService) {
  ASSERT_TRUE(st_.create(service("a", "10.96.0.20", {{"http", 80}})));
  ASSERT_TRUE(st_.create(service("b", "10.96.0.21", {{"http", 80}})));
  ASSERT_TRUE(st_.create(slice("s", "a", {"10.244.1.5"})));
  seen_ = st_.version();
  cache_.relist(st_);
  EXPECT_EQ(cache_.view().ports[0].endpoints.size(), 1u);
  auto s = st_.get("EndpointSlice", "default", "s");
  (*s)["metadata"]["labels"]["kubernetes.io/service-name"] = "b";
  ASSERT_TRUE(st_.update(*s));
  EXPECT_TRUE(catch_up());
  EXPECT_TRUE(cache_.view().ports[0].endpoints.empty());
  EXPECT_EQ(cache_.view().ports[1].endpoints.size(), 1u);
}

TEST_F(ServiceCacheTest, AnnouncementsFollowTheAnnotation) {
  Json svc = service("lb", "10.96.0.22", {{"http", 80}});
  svc["metadata"]["annotations"] = {{api::kAnnouncedBy, "node-2"}};
  svc["status"] = {{"loadBalancer", {{"ingress", Json::array({{{"ip", "172.18.255.200"}}})}}}};
  ASSERT_TRUE(st_.create(svc));
  cache_.relist(st_);
  auto a = cache_.announcements();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a["node-2"], std::set<std::string>{"172.18.255.200"});
  EXPECT_EQ(cache_.view().ports[0].lb_ips, std::vector<std::string>{"172.18.255.200"});
}

TEST_F(ServiceCacheTest, ExternalIPsTakeTheLoadBalancersPathButAreNotAnnounced) {
  Json svc = service("lb", "10.96.0.22", {{"http", 80}});
  svc["metadata"]["annotations"] = {{api::kAnnouncedBy, "node-2"}};
  svc["status"] = {{"loadBalancer", {{"ingress", Json::array({{{"ip", "172.18.255.200"}}})}}}};
  svc["spec"]["externalIPs"] = {"172.18.254.10", "172.18.255.200"};
  ASSERT_TRUE(st_.create(svc));
  cache_.relist(st_);
  EXPECT_EQ(cache_.view().ports[0].lb_ips, (std::vector<std::string>{"172.18.255.200", "172.18.254.10"}))
      << "an address in both is programmed once";
  EXPECT_EQ(cache_.announcements()["node-2"], std::set<std::string>{"172.18.255.200"})
      << "routing an external IP to a node is its owner's business, not the lab's";
}

TEST_F(ServiceCacheTest, TrafficPoliciesNodeNamesAndHealthCheckPorts) {
  Json lb = service("web", "10.96.0.20", {{"http", 80}});
  lb["spec"]["type"] = "LoadBalancer";
  lb["spec"]["externalTrafficPolicy"] = "Local";
  lb["spec"]["internalTrafficPolicy"] = "Local";
  lb["spec"]["healthCheckNodePort"] = 31500;
  lb["spec"]["ports"][0]["nodePort"] = 30080;
  ASSERT_TRUE(st_.create(lb));
  Json plain = service("api", "10.96.0.21", {{"http", 80}});
  ASSERT_TRUE(st_.create(plain));
  Json s = slice("web-abcde", "web", {"10.244.1.5", "10.244.2.7"});
  s["endpoints"][0]["nodeName"] = "node-1";
  ASSERT_TRUE(st_.create(s));
  cache_.relist(st_);
  const auto& v = cache_.view();
  ASSERT_EQ(v.ports.size(), 2u);
  const auto& web = v.ports[1];
  EXPECT_EQ(web.identity(), "default/web/http");
  EXPECT_TRUE(web.internal_local);
  EXPECT_TRUE(web.external_local);
  ASSERT_EQ(web.endpoints.size(), 2u);
  EXPECT_EQ(web.endpoints[0].node_name, "node-1");
  EXPECT_EQ(web.endpoints[1].node_name, "");  // no nodeName: nobody's local endpoint
  EXPECT_FALSE(v.ports[0].internal_local);
  EXPECT_FALSE(v.ports[0].external_local);
  EXPECT_EQ(cache_.health_check_ports(), (std::map<std::string, int>{{"default/web", 31500}}));
  // Back to Cluster: no health check port served.
  lb = *st_.get("Service", "default", "web");
  lb["spec"]["externalTrafficPolicy"] = "Cluster";
  lb["spec"].erase("healthCheckNodePort");
  ASSERT_TRUE(st_.update(lb));
  catch_up();
  EXPECT_TRUE(cache_.health_check_ports().empty());
  EXPECT_FALSE(cache_.view().ports[1].external_local);
  // Local again, then deleted: the port comes and goes with the Service's events.
  lb = *st_.get("Service", "default", "web");
  lb["spec"]["externalTrafficPolicy"] = "Local";
  lb["spec"]["healthCheckNodePort"] = 31501;
  ASSERT_TRUE(st_.update(lb));
  catch_up();
  EXPECT_EQ(cache_.health_check_ports(), (std::map<std::string, int>{{"default/web", 31501}}));
  ASSERT_TRUE(st_.remove("Service", "default", "web"));
  catch_up();
  EXPECT_TRUE(cache_.health_check_ports().empty());
}

TEST_F(ServiceCacheTest, ViewPortsAreOneServicesSliceOfTheView) {
  ASSERT_TRUE(st_.create(service("web", "10.96.0.20", {{"http", 80}, {"metrics", 9090}})));
  ASSERT_TRUE(st_.create(service("api", "10.96.0.21", {{"http", 80}})));
  ASSERT_TRUE(st_.create(slice("web-abcde", "web", {"10.244.1.5"})));
  cache_.relist(st_);
  cache_.view();
  auto web = cache_.view_ports("default/web");
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[0].identity(), "default/web/http");
  EXPECT_EQ(web[1].identity(), "default/web/metrics");
  ASSERT_EQ(web[0].endpoints.size(), 1u);
  EXPECT_EQ(cache_.view_ports("default/api").size(), 1u);
  EXPECT_TRUE(cache_.view_ports("default/none").empty());
}

TEST_F(ServiceCacheTest, ObjectsOfAnUnexpectedShapeAreReadAsAbsentFieldsNeverAThrow) {
  // The store holds what the API server checked, but the proxy does not lean on that: wrong
  // types read as absent (a port 0 or a non-string address is passed over, not thrown on).
  Json odd = service("odd", "10.96.0.30", {{"http", 80}});
  odd["spec"]["sessionAffinity"] = 5;
  odd["spec"]["sessionAffinityConfig"] = "x";
  odd["spec"]["externalIPs"] = "10.0.0.1";
  odd["spec"]["ports"].push_back({{"name", "bad"}, {"port", "81"}, {"nodePort", 1e12}});
  odd["status"] = {{"loadBalancer", {{"ingress", {{{"ip", 7}}, {{"ip", "172.18.255.201"}}}}}}};
  odd["metadata"]["annotations"] = "none";
  ASSERT_TRUE(st_.create(odd));
  Json s = slice("odd-abcde", "odd", {"10.244.1.5"});
  s["endpoints"].push_back({{"addresses", {5, "10.244.2.9"}}, {"conditions", "yes"}});
  s["ports"].push_back({{"name", "bad"}, {"port", true}});
  ASSERT_TRUE(st_.create(s));
  cache_.relist(st_);
  const auto& v = cache_.view();
  ASSERT_EQ(v.ports.size(), 2u);
  const auto& bad = v.ports[1];  // (a Service's ports in its order)
  EXPECT_EQ(bad.identity(), "default/odd/bad");
  EXPECT_EQ(bad.port, 0);
  EXPECT_EQ(bad.node_port, 0);
  EXPECT_TRUE(bad.endpoints.empty());
  const auto& http = v.ports[0];
  EXPECT_FALSE(http.affinity_client_ip);
  EXPECT_EQ(http.affinity_timeout, 10800);
  EXPECT_EQ(http.lb_ips, std::vector<std::string>{"172.18.255.201"});
  ASSERT_EQ(http.endpoints.size(), 2u);
  EXPECT_EQ(http.endpoints[1].ip, "10.244.2.9");
  EXPECT_TRUE(http.endpoints[1].ready);  // conditions of the wrong type: as if absent
  EXPECT_TRUE(cache_.announcements().empty());
}

}  // namespace
}  // namespace lab::node
