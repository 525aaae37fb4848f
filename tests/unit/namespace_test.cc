// Namespaces as objects: the four a cluster starts with, create/get/list/delete through the API,
// NamespaceLifecycle's refusals, and a deleted namespace taking what it holds with it.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lab/server/api_server.h"
#include "tests/unit/api_fixture.h"
#include "lab/store/registry.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

// Writes carry a JSON body, as kubectl sends them.
struct Api : lab::testing::TestApi {
  server::HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "") {
    return TestApi::call(method, path, body, body.empty() ? std::map<std::string, std::string>{}
                                                          : std::map<std::string, std::string>{{"content-type", "application/json"}});
  }
};

using lab::testing::body_of;

Json configmap(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"k", "v"}}}};
}

TEST(Namespaces, TheSystemNamespacesExistFromTheStart) {
  Api a;
  auto r = a.call("GET", "/api/v1/namespaces");
  ASSERT_EQ(r.status, 200) << r.body;
  Json list = body_of(r);
  EXPECT_EQ(list["kind"], "NamespaceList");
  std::set<std::string> names;
  for (const auto& ns : list["items"]) {
    names.insert(ns["metadata"]["name"].get<std::string>());
    EXPECT_EQ(ns["status"]["phase"], "Active");
    EXPECT_EQ(ns["spec"]["finalizers"], Json::array({"kubernetes"}));
    EXPECT_EQ(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], ns["metadata"]["name"]);
  }
  EXPECT_EQ(names, (std::set<std::string>{"default", "kube-node-lease", "kube-public", "kube-system"}));
  // A second registry on the same store (a restarted daemon) adds none.
  const auto version = a.st.version();
  store::Registry again{a.st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  EXPECT_EQ(a.st.version(), version);
}

TEST(Namespaces, CreateGetAndWritesIntoAMissingNamespace) {
  Api a;
  auto r = a.call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body_of(r)["status"]["phase"], "Active");
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/web").status, 200);
  EXPECT_EQ(a.call("POST", "/api/v1/namespaces/web/configmaps", configmap("c").dump()).status, 201);

  r = a.call("POST", "/api/v1/namespaces/nope/configmaps", configmap("c").dump());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(body_of(r)["reason"], "NotFound");
  EXPECT_EQ(body_of(r)["message"], "namespaces \"nope\" not found");
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/nope/configmaps/c").status, 404);

  // A namespace's name is a DNS label.
  r = a.call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a.b"}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(body_of(r)["message"].get<std::string>().find("metadata.name"), std::string::npos) << r.body;
  // Creating one that exists is 409.
  r = a.call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}})");
  EXPECT_EQ(r.status, 409) << r.body;
}

TEST(Namespaces, KubectlCreateNamespaceInProtobufMakesAnActiveOne) {
  Api a;
  std::ifstream in(std::string(LAB_SOURCE_DIR) + "/tests/fixtures/protobuf/namespaces.bin", std::ios::binary);
  std::stringstream body;
  body << in.rdbuf();  // kubectl 1.32's `kubectl create namespace demo`
  auto r = a.TestApi::call("POST", "/api/v1/namespaces", body.str(),
                           {{"content-type", "application/vnd.kubernetes.protobuf"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body_of(r)["status"]["phase"], "Active");
  EXPECT_EQ(body_of(r)["spec"]["finalizers"], Json::array({"kubernetes"}));
}

TEST(Namespaces, DeletingANamespaceDeletesWhatItHolds) {
  Api a;
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}})").status, 201);
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces/web/configmaps", configmap("c").dump()).status, 201);
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces/default/configmaps", configmap("c").dump()).status, 201);
  Json deploy = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},
            "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  ASSERT_EQ(a.call("POST", "/apis/apps/v1/namespaces/web/deployments", deploy.dump()).status, 201);

  auto r = a.call("DELETE", "/api/v1/namespaces/web");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/web").status, 404);
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/web/configmaps/c").status, 404);
  EXPECT_EQ(a.call("GET", "/apis/apps/v1/namespaces/web/deployments/d").status, 404);
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/default/configmaps/c").status, 200);  // another namespace's stays
  EXPECT_EQ(a.call("DELETE", "/api/v1/namespaces/web").status, 404);
}

TEST(Namespaces, TheClusterCannotLoseItsOwn) {
  Api a;
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    auto r = a.call("DELETE", std::string("/api/v1/namespaces/") + ns);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(body_of(r)["message"], "namespaces \"" + std::string(ns) + "\" is forbidden: this namespace may not be deleted");
    EXPECT_EQ(a.call("GET", std::string("/api/v1/namespaces/") + ns).status, 200);
  }
}

}  // namespace
