// The read-only API's authorizer: what CoreDNS's ClusterRole allows, and kube-apiserver's 403
// for the rest.
#include "lab/server/read_only_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lab::server {
namespace {

HttpRequest req(std::string method, std::string path, std::map<std::string, std::string> query = {}) {
  return HttpRequest{std::move(method), std::move(path), std::move(query), ""};
}

TEST(ReadOnlyApi, CorednsReadsServicesEndpointSlicesPodsNamespaces) {
  for (const char* path : {"/api/v1/services", "/api/v1/namespaces/default/services", "/api/v1/namespaces/default/services/x",
                           "/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/pods", "/api/v1/namespaces",
                           "/api/v1/namespaces/kube-system", "/api/v1/endpoints", "/version", "/healthz", "/api",
                           "/api/v1", "/apis", "/apis/discovery.k8s.io/v1"})
    EXPECT_FALSE(forbid_unless_coredns_may(req("GET", path))) << path;
  EXPECT_FALSE(forbid_unless_coredns_may(req("GET", "/api/v1/services", {{"watch", "true"}})));
}

TEST(ReadOnlyApi, EverythingElseIsForbidden) {
  auto create = forbid_unless_coredns_may(req("POST", "/api/v1/namespaces/default/services"));
  ASSERT_TRUE(create);
  EXPECT_EQ(create->status, 403);
  auto status = nlohmann::json::parse(create->body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "Forbidden");
  EXPECT_EQ(status["code"], 403);
  EXPECT_EQ(status["message"],
            "services is forbidden: User \"system:serviceaccount:kube-system:coredns\" cannot create resource "
            "\"services\" in API group \"\" in the namespace \"default\"");
  auto del = forbid_unless_coredns_may(req("DELETE", "/api/v1/namespaces/default/services/x"));
  ASSERT_TRUE(del);
  EXPECT_EQ(nlohmann::json::parse(del->body)["message"],
            "services \"x\" is forbidden: User \"system:serviceaccount:kube-system:coredns\" cannot delete resource "
            "\"services\" in API group \"\" in the namespace \"default\"");
  auto deploys = forbid_unless_coredns_may(req("GET", "/apis/apps/v1/deployments"));
  ASSERT_TRUE(deploys);
  EXPECT_EQ(nlohmann::json::parse(deploys->body)["message"],
            "deployments.apps is forbidden: User \"system:serviceaccount:kube-system:coredns\" cannot list resource "
            "\"deployments\" in API group \"apps\" at the cluster scope");
  for (const auto& r : {req("PUT", "/api/v1/namespaces/default/pods/p"), req("PATCH", "/api/v1/namespaces/default/services/s"),
                        req("DELETE", "/api/v1/namespaces/default/pods"), req("GET", "/api/v1/namespaces/default/pods/p/log"),
                        req("POST", "/api/v1/namespaces/default/pods/p/exec"), req("GET", "/api/v1/nodes"),
                        req("GET", "/api/v1/namespaces/default/events"), req("PUT", "/api/v1/namespaces/default/services/s/status"),
                        req("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/e/status"),
                        req("POST", "/version"), req("GET", "/metrics"), req("GET", "/"), req("OPTIONS", "/api/v1/pods")}) {
    auto refused = forbid_unless_coredns_may(r);
    ASSERT_TRUE(refused) << r.method << " " << r.path;
    EXPECT_EQ(refused->status, 403) << r.method << " " << r.path;
  }
}

}  // namespace
}  // namespace lab::server
