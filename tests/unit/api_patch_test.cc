// PATCH bodies of each type and the bodies kubectl sends for writes, through the API server as a
// client sees it: kubectl apply's strategic-merge patch, kubectl patch --type json|merge,
// kubectl apply --server-side, and kubectl create secret's protobuf body.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lab/server/api_server.h"
#include "tests/unit/api_fixture.h"
#include "lab/store/registry.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

// Bodies with the Content-Type kubectl gives them ("" sends none).
struct Api : lab::testing::TestApi {
  server::HttpResponse call(const std::string& method, const std::string& path, const std::string& body,
                            const std::string& content_type = "") {
    return TestApi::call(method, path, body, content_type.empty() ? std::map<std::string, std::string>{}
                                                                  : std::map<std::string, std::string>{{"content-type", content_type}});
  }
};

const char* kDeploys = "/apis/apps/v1/namespaces/default/deployments";
const Json kDeployment = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"my-nginx"},
  "spec":{"replicas":2,"selector":{"matchLabels":{"run":"my-nginx"}},
          "template":{"metadata":{"labels":{"run":"my-nginx"}},
                      "spec":{"containers":[{"name":"my-nginx","image":"nginx","ports":[{"containerPort":80}]},
                                            {"name":"sidecar","image":"busybox","command":["sleep","3600"]}]}}}})");

using lab::testing::body_of;

TEST(ApiPatch, StrategicMergeKeepsTheContainersThePatchDoesNotName) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump(), "application/json").status, 201);
  auto r = a.call("PATCH", std::string(kDeploys) + "/my-nginx",
                  R"({"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"my-nginx","image":"nginx:1.27"}]}}}})",
                  "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  Json d = body_of(r);
  EXPECT_EQ(d["spec"]["replicas"], 3);
  const Json& containers = d["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"], "nginx:1.27");
  EXPECT_EQ(containers[0]["ports"][0]["containerPort"], 80);
  EXPECT_EQ(containers[1]["name"], "sidecar");
  // The same patch as a merge patch replaces the list: the sidecar goes.
  r = a.call("PATCH", std::string(kDeploys) + "/my-nginx",
             R"({"spec":{"template":{"spec":{"containers":[{"name":"my-nginx","image":"nginx"}]}}}})",
             "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["template"]["spec"]["containers"].size(), 1u);
}

TEST(ApiPatch, StrategicPatchWithAStaleResourceVersionIsAConflict) {
  Api a;
  auto created = a.call("POST", kDeploys, kDeployment.dump());
  ASSERT_EQ(created.status, 201);
  std::string rv = body_of(created)["metadata"]["resourceVersion"];
  ASSERT_EQ(a.call("PATCH", std::string(kDeploys) + "/my-nginx", R"({"spec":{"replicas":4}})",
                   "application/strategic-merge-patch+json").status, 200);
  auto r = a.call("PATCH", std::string(kDeploys) + "/my-nginx",
                  Json{{"metadata", {{"resourceVersion", rv}}}, {"spec", {{"replicas", 5}}}}.dump(),
                  "application/strategic-merge-patch+json");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(body_of(r)["reason"], "Conflict");
}

TEST(ApiPatch, JsonPatchAppliesAndAFailedTestIs422) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump()).status, 201);
  auto r = a.call("PATCH", std::string(kDeploys) + "/my-nginx",
                  R"([{"op":"replace","path":"/spec/replicas","value":1},{"op":"add","path":"/metadata/labels","value":{"tier":"web"}}])",
                  "application/json-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 1);
  EXPECT_EQ(body_of(r)["metadata"]["labels"]["tier"], "web");
  r = a.call("PATCH", std::string(kDeploys) + "/my-nginx", R"([{"op":"test","path":"/spec/replicas","value":9}])",
             "application/json-patch+json");
  EXPECT_EQ(r.status, 422) << r.body;
  // A JSON patch that makes the object invalid is refused by validation, as any write.
  r = a.call("PATCH", std::string(kDeploys) + "/my-nginx", R"([{"op":"replace","path":"/spec/replicas","value":"2"}])",
             "application/json-patch+json");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(body_of(r)["message"].get<std::string>().find("spec.replicas"), std::string::npos) << r.body;
}

TEST(ApiPatch, ServerSideApplyCreatesThenMerges) {
  Api a;
  const std::string svc = "/api/v1/namespaces/default/services/web";
  Json config = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
                                "spec":{"selector":{"app":"web"},"ports":[{"port":80}]}})");
  auto r = a.call("PATCH", svc, config.dump(), "application/apply-patch+yaml");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["ports"][0]["targetPort"], 80);
  config["spec"]["ports"][0]["name"] = "http";
  r = a.call("PATCH", svc, config.dump(), "application/apply-patch+yaml");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["ports"][0]["name"], "http");
  EXPECT_EQ(body_of(r)["spec"]["clusterIP"], body_of(a.call("GET", svc, ""))["spec"]["clusterIP"]);
}

TEST(ApiPatch, ProtobufSecretFromKubectlCreateSecretTls) {
  Api a;
  std::ifstream in(std::string(LAB_SOURCE_DIR) + "/tests/fixtures/protobuf/secret_tls.bin", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = a.call("POST", "/api/v1/namespaces/default/secrets", ss.str(), "application/vnd.kubernetes.protobuf");
  ASSERT_EQ(r.status, 201) << r.body;
  Json s = body_of(a.call("GET", "/api/v1/namespaces/default/secrets/nginxsecret", ""));
  EXPECT_EQ(s["type"], "kubernetes.io/tls");
  EXPECT_TRUE(s["data"].contains("tls.crt"));
  EXPECT_TRUE(s["data"].contains("tls.key"));
}

TEST(ApiPatch, KubectlExposeBodyIsAcceptedAndDefaulted) {
  // kubectl expose deployment/my-nginx sends exactly this (kubectl.md 5.4).
  Api a;
  auto r = a.call("POST", "/api/v1/namespaces/default/services",
                  R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"my-nginx","creationTimestamp":null},
                      "spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":80}],"selector":{"run":"my-nginx"}},
                      "status":{"loadBalancer":{}}})",
                  "application/json");
  ASSERT_EQ(r.status, 201) << r.body;
  Json svc = body_of(r);
  EXPECT_EQ(svc["spec"]["type"], "ClusterIP");
  EXPECT_TRUE(svc["spec"]["clusterIP"].is_string());
  EXPECT_TRUE(svc["metadata"]["creationTimestamp"].is_string());
}

TEST(ApiPatch, MediaTypesTheApiDoesNotTakeAre415) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump()).status, 201);
  auto r = a.call("PATCH", std::string(kDeploys) + "/my-nginx", R"({"spec":{"replicas":1}})", "text/plain");
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(body_of(r)["reason"], "UnsupportedMediaType");
  r = a.call("POST", kDeploys, "replicas: 2", "application/cbor");
  EXPECT_EQ(r.status, 415) << r.body;
  // A missing Content-Type is JSON (kubectl's scale PUT sends none).
  Json changed = body_of(a.call("GET", std::string(kDeploys) + "/my-nginx", ""));
  changed["spec"]["replicas"] = 7;
  r = a.call("PUT", std::string(kDeploys) + "/my-nginx", changed.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  // "application/json; charset=utf-8" is JSON.
  r = a.call("PATCH", std::string(kDeploys) + "/my-nginx", R"({"spec":{"replicas":2}})",
             "application/merge-patch+json; charset=utf-8");
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
