// loadBalancerSourceRanges from the API to the proxy's view: the apiserver's checks of the field
// and of the annotation that came before it (lab/api/source_ranges, schema_services), and the
// ServiceCache carrying them to the ports of a LoadBalancer (lab/node/service_cache). The rules
// they become are in proxy_source_ranges_test.cc.
#include <gtest/gtest.h>

#include "lab/api/source_ranges.h"
#include "lab/api/validate.h"
#include "lab/node/service_cache.h"

namespace lab {
namespace {

using Json = nlohmann::json;

TEST(SourceRanges, ParsedAsTheApiServerTakesThem) {
  auto str = [](const std::string& s) {
    auto c = api::parse_source_range(s);
    return c ? c->str() : "error: " + c.error().message;
  };
  EXPECT_EQ(str("10.240.0.0/24"), "10.240.0.0/24");
  EXPECT_EQ(str("  10.240.0.0/24 "), "10.240.0.0/24") << "spaces around are a leftover of the annotation";
  EXPECT_EQ(str("10.240.0.7/24"), "10.240.0.0/24") << "host bits allowed (net.ParseCIDR), cleared";
  EXPECT_EQ(str("192.0.2.7/32"), "192.0.2.7/32");
  EXPECT_EQ(str("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(str("10.240.0.7"), "error: must be a valid CIDR value, (e.g. 10.9.8.0/24)");
  EXPECT_EQ(str("10.240.0.0/33"), "error: must be a valid CIDR value, (e.g. 10.9.8.0/24)");
  EXPECT_EQ(str("10.240.0.0/"), "error: must be a valid CIDR value, (e.g. 10.9.8.0/24)");
  EXPECT_EQ(str("10.240.0.0/2x"), "error: must be a valid CIDR value, (e.g. 10.9.8.0/24)");
  EXPECT_EQ(str("example.com/24"), "error: must be a valid CIDR value, (e.g. 10.9.8.0/24)");
  EXPECT_EQ(str("2001:db8::/64"), "error: lab clusters are IPv4-only: must be an IPv4 CIDR value, (e.g. 10.9.8.0/24)");

  auto ann = [](const std::string& s) {
    auto r = api::parse_source_range_annotation(s);
    if (!r) return std::string("error");
    std::string out;
    for (const auto& c : *r) out += (out.empty() ? "" : ",") + c.str();
    return out;
  };
  EXPECT_EQ(ann("10.240.0.0/24, 10.250.0.1/16"), "10.240.0.0/24,10.250.0.0/16");
  EXPECT_EQ(ann("  "), "") << "empty: no filter (Kubernetes reads 0.0.0.0/0)";
  EXPECT_EQ(ann("10.240.0.0/24,"), "error");
  EXPECT_EQ(ann("10.240.0.0/24;10.250.0.0/16"), "error");
}

Json service(const std::string& type) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}}},
          {"spec", {{"type", type}, {"selector", {{"app", "web"}}}, {"ports", Json::array({{{"port", 80}}})}}}};
}

std::string errors_of(Json obj) {
  std::string out;
  for (const auto& e : api::validate_object(obj).errors) out += e.field + ": " + e.detail + "\n";
  return out.empty() ? "(valid)" : out;
}

TEST(SourceRanges, TheFieldAsValidateServiceChecksIt) {
  Json svc = service("LoadBalancer");
  svc["spec"]["loadBalancerSourceRanges"] = {"10.244.1.0/24", " 192.0.2.7/32 ", "10.0.0.1/8"};
  EXPECT_EQ(errors_of(svc), "(valid)");
  svc["spec"]["loadBalancerSourceRanges"] = {"10.244.1.0/24", "10.244.1.7"};
  EXPECT_EQ(errors_of(svc), "spec.loadBalancerSourceRanges[1]: Invalid value: \"10.244.1.7\": must be a valid CIDR "
                            "value, (e.g. 10.9.8.0/24)\n");
  svc["spec"]["loadBalancerSourceRanges"] = {"fd00::/8"};
  EXPECT_EQ(errors_of(svc), "spec.loadBalancerSourceRanges[0]: Invalid value: \"fd00::/8\": lab clusters are "
                            "IPv4-only: must be an IPv4 CIDR value, (e.g. 10.9.8.0/24)\n");
  for (const char* type : {"ClusterIP", "NodePort"}) {
    Json other = service(type);
    other["spec"]["loadBalancerSourceRanges"] = {"10.244.1.0/24"};
    EXPECT_EQ(errors_of(other),
              "spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'\n");
    other["spec"]["loadBalancerSourceRanges"] = Json::array();  // an empty list is no list
    EXPECT_EQ(errors_of(other), "(valid)");
  }
}

TEST(SourceRanges, TheAnnotationCountsWhileTheFieldIsEmpty) {
  const std::string key = api::kSourceRangesAnnotation;
  Json svc = service("LoadBalancer");
  svc["metadata"]["annotations"] = {{key, "10.244.1.0/24, 192.0.2.7/32"}};
  EXPECT_EQ(errors_of(svc), "(valid)");
  svc["metadata"]["annotations"][key] = "10.244.1.0/24,nope";
  EXPECT_EQ(errors_of(svc), "metadata.annotations[" + key + "]: Invalid value: \"10.244.1.0/24,nope\": must be a "
                            "list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 \n");
  svc["spec"]["loadBalancerSourceRanges"] = {"10.244.1.0/24"};  // the field wins: the annotation is ignored
  EXPECT_EQ(errors_of(svc), "(valid)");
  Json cluster_ip = service("ClusterIP");
  cluster_ip["metadata"]["annotations"] = {{key, "10.244.1.0/24"}};
  EXPECT_EQ(errors_of(cluster_ip),
            "metadata.annotations[" + key + "]: Forbidden: may only be used when `type` is 'LoadBalancer'\n");
}

// The ServiceCache's view of a LoadBalancer with status, as the store holds it.
class SourceRangesCache : public ::testing::Test {
 protected:
  SourceRangesCache() : cache_(*net::Cidr::parse("10.244.0.0/16"), *net::Cidr::parse("10.96.0.0/12")) {}
  const proxy::ServicePort& port_of(Json svc) {
    svc["spec"]["clusterIP"] = "10.96.0.22";
    svc["spec"]["ports"][0]["protocol"] = "TCP";
    if (!svc.contains("status"))
      svc["status"] = {{"loadBalancer", {{"ingress", Json::array({{{"ip", "172.18.255.200"}}})}}}};
    store::Store st;
    EXPECT_TRUE(st.create(svc));
    cache_.relist(st);
    static const proxy::ServicePort kNone;
    const auto& v = cache_.view();
    return v.ports.empty() ? kNone : v.ports[0];
  }
  node::ServiceCache cache_;
};

TEST_F(SourceRangesCache, TheFieldOrTheAnnotationGuardsTheLoadBalancersAddresses) {
  Json svc = service("LoadBalancer");
  svc["spec"]["loadBalancerSourceRanges"] = {" 10.244.1.7/24", "192.0.2.7/32"};
  svc["spec"]["externalIPs"] = {"172.18.254.10"};
  proxy::ServicePort sp = port_of(svc);
  EXPECT_EQ(sp.source_ranges, (std::vector<std::string>{"10.244.1.0/24", "192.0.2.7/32"}));
  EXPECT_EQ(sp.lb_ips, (std::vector<std::string>{"172.18.255.200", "172.18.254.10"}));
  EXPECT_EQ(sp.firewall_ips, std::vector<std::string>{"172.18.255.200"}) << "spec.externalIPs are not filtered";

  Json ann = service("LoadBalancer");
  ann["metadata"]["annotations"] = {{api::kSourceRangesAnnotation, "10.244.2.0/24,10.244.3.0/24"}};
  sp = port_of(ann);
  EXPECT_EQ(sp.source_ranges, (std::vector<std::string>{"10.244.2.0/24", "10.244.3.0/24"}));
  EXPECT_EQ(sp.firewall_ips, std::vector<std::string>{"172.18.255.200"});
  ann["spec"]["loadBalancerSourceRanges"] = {"10.244.1.0/24"};  // the field wins
  EXPECT_EQ(port_of(ann).source_ranges, std::vector<std::string>{"10.244.1.0/24"});

  Json none = service("LoadBalancer");
  sp = port_of(none);
  EXPECT_TRUE(sp.source_ranges.empty());
  EXPECT_TRUE(sp.firewall_ips.empty());
  // A Service that is not (or no longer) a LoadBalancer is not filtered, whatever it holds.
  Json np = service("NodePort");
  np["metadata"]["annotations"] = {{api::kSourceRangesAnnotation, "10.244.2.0/24"}};
  np.erase("status");
  np["status"] = Json::object();
  sp = port_of(np);
  EXPECT_TRUE(sp.source_ranges.empty());
  EXPECT_TRUE(sp.firewall_ips.empty());
}

}  // namespace
}  // namespace lab
