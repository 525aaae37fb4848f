// Namespaces as objects: the four a cluster starts with, create/get/list/delete through the API,
// NamespaceLifecycle's refusals, and a deleted namespace Terminating while the namespace
// controller empties it.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lab/server/api_server.h"
#include "tests/unit/api_fixture.h"
#include "lab/controllers/manager.h"
#include "lab/store/informer.h"
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

// The API with the controllers (their namespace controller among them) on the same store; no
// kubelet, so a pod bound to node-1 stays until the test removes it as the kubelet would.
struct Cluster : Api {
  store::InformerFactory informers{st};
  controllers::ControllerManager manager{registry, informers, {{"node-1"}, {}}};
  Cluster() { informers.start(); }
  void settle() {
    informers.wait_synced(st.version(), 1000);
    manager.run_until_idle();
  }
};

Json condition_of(const Json& ns, const std::string& type) {
  for (const auto& c : ns["status"]["conditions"])
    if (c["type"] == type) return c;
  return nullptr;
}

TEST(Namespaces, DeletingANamespaceMarksItTerminatingUntilItsContentIsGone) {
  Cluster a;
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}})").status, 201);
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces/web/configmaps", configmap("c").dump()).status, 201);
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces/default/configmaps", configmap("c").dump()).status, 201);
  Json deploy = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},
            "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  ASSERT_EQ(a.call("POST", "/apis/apps/v1/namespaces/web/deployments", deploy.dump()).status, 201);
  a.settle();
  auto pods = a.st.list("Pod", "web");
  ASSERT_EQ(pods.size(), 1u);
  ASSERT_EQ(pods[0]["spec"]["nodeName"], "node-1");

  // The first DELETE marks it, as the namespace REST storage: 200 with the namespace Terminating.
  auto r = a.call("DELETE", "/api/v1/namespaces/web");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["status"]["phase"], "Terminating");
  EXPECT_TRUE(body_of(r)["metadata"].contains("deletionTimestamp"));
  // Nothing new goes in meanwhile (NamespaceLifecycle), and another DELETE is a Conflict.
  r = a.call("POST", "/api/v1/namespaces/web/configmaps", configmap("late").dump());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(body_of(r)["message"],
            "configmaps \"late\" is forbidden: unable to create new content in namespace web because it is being terminated");
  r = a.call("DELETE", "/api/v1/namespaces/web");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(body_of(r)["message"],
            "Operation cannot be fulfilled on namespaces \"web\": The system is ensuring all content is removed from "
            "this namespace.  Upon completion, this namespace will automatically be purged by the system.");

  // The namespace controller empties it; the pod, deleted gracefully, is what remains.
  a.settle();
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/web/configmaps/c").status, 404);
  EXPECT_EQ(a.call("GET", "/apis/apps/v1/namespaces/web/deployments/d").status, 404);
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/default/configmaps/c").status, 200);  // another namespace's stays
  r = a.call("GET", "/api/v1/namespaces/web");
  ASSERT_EQ(r.status, 200) << r.body;
  Json ns = body_of(r);
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  EXPECT_EQ(ns["spec"]["finalizers"], Json::array({"kubernetes"}));
  ASSERT_EQ(ns["status"]["conditions"].size(), 5u) << ns.dump();
  Json remaining = condition_of(ns, "NamespaceContentRemaining");
  EXPECT_EQ(remaining["status"], "True");
  EXPECT_EQ(remaining["reason"], "SomeResourcesRemain");
  EXPECT_EQ(remaining["message"], "Some resources are remaining: pods. has 1 resource instances");
  EXPECT_EQ(condition_of(ns, "NamespaceDeletionContentFailure")["status"], "False");
  EXPECT_EQ(condition_of(ns, "NamespaceFinalizersRemaining")["reason"], "ContentHasNoFinalizers");
  pods = a.st.list("Pod", "web");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_TRUE(pods[0]["metadata"].contains("deletionTimestamp"));

  // The kubelet removes the stopped pod: the namespace finalizes and goes.
  ASSERT_TRUE(a.registry.remove("Pod", "web", pods[0]["metadata"]["name"], {.grace_seconds = 0, .uid = ""}));
  a.settle();
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/web").status, 404);
  EXPECT_EQ(a.call("DELETE", "/api/v1/namespaces/web").status, 404);
  EXPECT_TRUE(a.st.list("Event", "web").empty());
}

TEST(Namespaces, FinalizeAndStatusAreTheirOwnSubresources) {
  Cluster a;
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"held"}})").status, 201);
  // An update of the main resource changes neither spec.finalizers nor status.
  auto r = a.call("PUT", "/api/v1/namespaces/held",
                  R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"held","labels":{"x":"y"}},
                      "spec":{"finalizers":[]},"status":{"phase":"Terminating"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["finalizers"], Json::array({"kubernetes"}));
  EXPECT_EQ(body_of(r)["status"]["phase"], "Active");
  EXPECT_EQ(body_of(r)["metadata"]["labels"]["x"], "y");

  // Content that waits for a finalizer nobody removes keeps the namespace Terminating...
  Json held = configmap("c");
  held["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces/held/configmaps", held.dump()).status, 201);
  ASSERT_EQ(a.call("DELETE", "/api/v1/namespaces/held").status, 200);
  a.settle();
  Json ns = body_of(a.call("GET", "/api/v1/namespaces/held"));
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  EXPECT_EQ(condition_of(ns, "NamespaceContentRemaining")["message"],
            "Some resources are remaining: configmaps. has 1 resource instances");
  EXPECT_EQ(condition_of(ns, "NamespaceFinalizersRemaining")["message"],
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances");
  // ...until its owner finalizes it by hand (PUT .../finalize), which deletes it.
  EXPECT_EQ(a.call("PATCH", "/api/v1/namespaces/held/finalize", "{}").status, 405);
  r = a.call("PUT", "/api/v1/namespaces/held/finalize",
             R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"held"},"spec":{"finalizers":[]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/held").status, 404);
}

TEST(Namespaces, OneWithoutFinalizersGoesAtOnce) {
  Api a;
  ASSERT_EQ(a.call("POST", "/api/v1/namespaces",
                   R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bare"},"spec":{"finalizers":[]}})").status,
            201);
  auto r = a.call("DELETE", "/api/v1/namespaces/bare");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["status"], "Success");
  EXPECT_EQ(a.call("GET", "/api/v1/namespaces/bare").status, 404);
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
