// healthCheckNodePort, end to end of the pure parts: the API server's validation and defaulting
// (lab/api/schema_services.cc, validate.cc), the allocator (lab/store/service_alloc.cc), and the
// answer each node's proxy gives a load balancer's health check (lab/node/health_check.h).
#include <gtest/gtest.h>

#include "lab/api/validate.h"
#include "lab/node/health_check.h"
#include "lab/store/service_alloc.h"

namespace lab {
namespace {

using Json = nlohmann::json;

std::string messages(const api::Validation& v) {
  std::string out;
  for (const auto& e : v.errors) out += e.field + ": " + e.detail + "\n";
  return out;
}

Json lb_service(const std::string& policy = "Local") {
  Json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec", {{"type", "LoadBalancer"}, {"selector", {{"app", "web"}}}, {"ports", Json::array({{{"port", 80}}})}}}};
  if (!policy.empty()) svc["spec"]["externalTrafficPolicy"] = policy;
  return svc;
}

const store::ServiceRanges kRanges{*net::Cidr::parse("10.96.0.0/12")};

// Validated (defaults filled), then allocated, as the registry does on create.
Result<Json> create(Json svc, const store::ServiceAllocations& taken = {}) {
  auto v = api::validate_object(svc, nullptr);
  if (!v.errors.empty()) return fail(messages(v));
  return store::allocate_service(taken, svc, nullptr, kRanges);
}

Result<Json> update(Json svc, const Json& old, const store::ServiceAllocations& taken = {}) {
  auto v = api::validate_object(svc, &old);
  if (!v.errors.empty()) return fail(messages(v));
  return store::allocate_service(taken, svc, old, kRanges);
}

TEST(HealthCheckNodePort, AllocatedForLocalLoadBalancersOnly) {
  auto lb = create(lb_service());
  ASSERT_TRUE(lb) << lb.error().what();
  const int hc = (*lb)["spec"].value("healthCheckNodePort", 0);
  EXPECT_GE(hc, 30000);
  EXPECT_LE(hc, 32767);
  EXPECT_NE(hc, (*lb)["spec"]["ports"][0].value("nodePort", 0));  // another number than its nodePort

  for (const char* policy : {"Cluster", ""}) {
    auto cluster = create(lb_service(policy));
    ASSERT_TRUE(cluster) << cluster.error().what();
    EXPECT_FALSE((*cluster)["spec"].contains("healthCheckNodePort")) << policy;
  }
  Json np = lb_service();
  np["spec"]["type"] = "NodePort";
  auto nodeport = create(np);
  ASSERT_TRUE(nodeport) << nodeport.error().what();
  EXPECT_FALSE((*nodeport)["spec"].contains("healthCheckNodePort"));
  // 0 asks for one, as for nodePort.
  Json zero = lb_service();
  zero["spec"]["healthCheckNodePort"] = 0;
  auto z = create(zero);
  ASSERT_TRUE(z) << z.error().what();
  EXPECT_GE((*z)["spec"].value("healthCheckNodePort", 0), 30000);
}

TEST(HealthCheckNodePort, ValidationAsTheApiServerWordsIt) {
  Json cluster = lb_service("Cluster");
  cluster["spec"]["healthCheckNodePort"] = 30100;
  auto v = api::validate_object(cluster, nullptr);
  EXPECT_EQ(messages(v), "spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' "
                         "and `externalTrafficPolicy` is 'Local'\n");
  Json np = lb_service();
  np["spec"]["type"] = "NodePort";
  np["spec"]["healthCheckNodePort"] = 30100;
  v = api::validate_object(np, nullptr);
  EXPECT_EQ(messages(v), "spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' "
                         "and `externalTrafficPolicy` is 'Local'\n");
  Json negative = lb_service();
  negative["spec"]["healthCheckNodePort"] = -1;
  v = api::validate_object(negative, nullptr);
  EXPECT_EQ(messages(v), "spec.healthCheckNodePort: Invalid value: -1: HealthCheckNodePort must be not less than 0\n");
  Json text = lb_service();
  text["spec"]["healthCheckNodePort"] = "30100";
  v = api::validate_object(text, nullptr);
  EXPECT_FALSE(v.errors.empty());
}

TEST(HealthCheckNodePort, AUserGivenOneIsKeptOrRefused) {
  Json mine = lb_service();
  mine["spec"]["healthCheckNodePort"] = 30100;
  auto got = create(mine);
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ((*got)["spec"]["healthCheckNodePort"], 30100);

  // Taken by another Service (as a nodePort or a health check port): the allocator's error,
  // which the API server returns as an internal error.
  store::ServiceAllocations taken;
  taken.add(*got);
  EXPECT_TRUE(taken.node_ports.contains(30100));
  Json again = lb_service();
  again["metadata"]["name"] = "web2";
  again["spec"]["healthCheckNodePort"] = 30100;
  auto refused = create(again, taken);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "Internal error occurred: failed to allocate requested HealthCheck NodePort 30100: provided port is already "
            "allocated");
  EXPECT_EQ(refused.error().reason, Reason::InternalError);
  Json outside = lb_service();
  outside["spec"]["healthCheckNodePort"] = 8080;
  refused = create(outside);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "Internal error occurred: failed to allocate requested HealthCheck NodePort 8080: provided port is not in "
            "the valid range. The range of valid ports is 30000-32767");
  // One of its own nodePorts.
  Json own = lb_service();
  own["spec"]["ports"][0]["nodePort"] = 30200;
  own["spec"]["healthCheckNodePort"] = 30200;
  refused = create(own);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("provided port is already allocated"), std::string::npos);
  // Removing the Service frees it.
  taken.remove(*got);
  EXPECT_FALSE(taken.node_ports.contains(30100));
}

TEST(HealthCheckNodePort, UpdatesKeepItAndReleaseItWhenNoLongerNeeded) {
  auto created = create(lb_service());
  ASSERT_TRUE(created) << created.error().what();
  const Json old = *created;
  const int hc = old["spec"]["healthCheckNodePort"];
  store::ServiceAllocations taken;
  taken.add(old);

  // An update that leaves it out keeps it (patchAllocatedValues).
  Json same = old;
  same["spec"].erase("healthCheckNodePort");
  auto kept = update(same, old, taken);
  ASSERT_TRUE(kept) << kept.error().what();
  EXPECT_EQ((*kept)["spec"]["healthCheckNodePort"], hc);

  // Another number: refused, in the API server's words.
  Json changed = old;
  changed["spec"]["healthCheckNodePort"] = hc == 30500 ? 30501 : 30500;
  auto refused = update(changed, old, taken);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "The Service \"web\" is invalid: spec.healthCheckNodePort: Invalid value: " +
                                         changed["spec"]["healthCheckNodePort"].dump() +
                                         ": cannot change healthCheckNodePort on loadBalancer service with "
                                         "externalTraffic=Local during update");

  // The policy goes to Cluster with the field left as it was (a merge patch): dropped, released.
  Json to_cluster = old;
  to_cluster.merge_patch({{"spec", {{"externalTrafficPolicy", "Cluster"}}}});
  auto cluster = update(to_cluster, old, taken);
  ASSERT_TRUE(cluster) << cluster.error().what();
  EXPECT_FALSE((*cluster)["spec"].contains("healthCheckNodePort"));
  store::ServiceAllocations after = taken;
  after.remove(old);
  after.add(*cluster);
  EXPECT_FALSE(after.node_ports.contains(hc));
  // ...but a new number with it is refused.
  Json to_cluster_new = to_cluster;
  to_cluster_new["spec"]["healthCheckNodePort"] = hc + 1;
  EXPECT_FALSE(update(to_cluster_new, old, taken));

  // The type goes to NodePort: dropped as well.
  Json to_np = old;
  to_np.merge_patch({{"spec", {{"type", "NodePort"}}}});
  auto np = update(to_np, old, taken);
  ASSERT_TRUE(np) << np.error().what();
  EXPECT_FALSE((*np)["spec"].contains("healthCheckNodePort"));

  // And back to Local: a fresh one.
  Json back = *cluster;
  back["spec"]["externalTrafficPolicy"] = "Local";
  auto local = update(back, *cluster, after);
  ASSERT_TRUE(local) << local.error().what();
  EXPECT_GE((*local)["spec"].value("healthCheckNodePort", 0), 30000);
}

// Splits an HTTP response into status line, headers (without Date) and body.
struct Parsed {
  std::string status;
  std::vector<std::string> headers;
  std::string body;
};
Parsed parse(const std::string& r) {
  Parsed p;
  size_t end = r.find("\r\n\r\n");
  p.body = r.substr(end + 4);
  size_t pos = 0;
  for (bool first = true; pos < end; first = false) {
    size_t eol = r.find("\r\n", pos);
    std::string line = r.substr(pos, eol - pos);
    if (first) p.status = line;
    else if (!line.starts_with("Date: ")) p.headers.push_back(line);
    pos = eol + 2;
  }
  return p;
}

TEST(HealthCheckResponse, AsKubeProxyAnswers) {
  Parsed ok = parse(node::health_check_response("default", "web", 1));
  EXPECT_EQ(ok.status, "HTTP/1.1 200 OK");
  EXPECT_EQ(ok.body,
            "{\n\t\"service\": {\n\t\t\"namespace\": \"default\",\n\t\t\"name\": \"web\"\n\t},\n"
            "\t\"localEndpoints\": 1,\n\t\"serviceProxyHealthy\": true\n}");
  EXPECT_EQ(ok.headers, (std::vector<std::string>{"Content-Type: application/json", "X-Content-Type-Options: nosniff",
                                                  "X-Load-Balancing-Endpoint-Weight: 1",
                                                  "Content-Length: " + std::to_string(ok.body.size()),
                                                  "Connection: close"}));
  auto body = Json::parse(ok.body);
  EXPECT_EQ(body["service"]["namespace"], "default");
  EXPECT_EQ(body["service"]["name"], "web");
  EXPECT_EQ(body["localEndpoints"], 1);
  EXPECT_EQ(body["serviceProxyHealthy"], true);

  Parsed none = parse(node::health_check_response("shop", "cart", 0));
  EXPECT_EQ(none.status, "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(Json::parse(none.body)["localEndpoints"], 0);
  EXPECT_NE(std::find(none.headers.begin(), none.headers.end(), "X-Load-Balancing-Endpoint-Weight: 0"),
            none.headers.end());
  // An unhealthy proxy answers 503 whatever the count.
  Parsed sick = parse(node::health_check_response("default", "web", 3, false));
  EXPECT_EQ(sick.status, "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(Json::parse(sick.body)["serviceProxyHealthy"], false);
}

}  // namespace
}  // namespace lab
