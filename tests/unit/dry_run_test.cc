// ?dryRun=All, as `kubectl diff`, `kubectl apply --dry-run=server` and `kubectl delete
// --dry-run=server` send it: every write is admitted, defaulted and validated as usual and answered
// with what it would store, and the store does not change (no version, no allocation, no delete).
#include <gtest/gtest.h>

#include "tests/unit/api_fixture.h"

using namespace lab;
using Json = nlohmann::json;
using lab::testing::body_of;

namespace {

using Api = lab::testing::TestApi;

Json deployment(int replicas) {
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":)" + std::to_string(replicas) + R"(,"selector":{"matchLabels":{"a":"b"}},
    "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
}

const std::string kDeployments = "/apis/apps/v1/namespaces/default/deployments";

TEST(DryRun, CreateAnswersTheDefaultedObjectAndStoresNothing) {
  Api a;
  const auto version = a.st.version();
  auto r = a.send("POST", kDeployments + "?dryRun=All&fieldManager=kubectl-client-side-apply", deployment(2));
  ASSERT_EQ(r.status, 201) << r.body;
  Json made = body_of(r);
  EXPECT_EQ(made["spec"]["strategy"]["type"], "RollingUpdate");  // defaulted
  EXPECT_FALSE(made["metadata"].value("uid", "").empty());
  EXPECT_FALSE(made["metadata"].contains("resourceVersion"));
  EXPECT_EQ(a.st.version(), version);
  EXPECT_EQ(a.get(kDeployments + "/web").status, 404);
  // Invalid is invalid, dry or not.
  r = a.send("POST", kDeployments + "?dryRun=All", deployment(-1));
  EXPECT_EQ(r.status, 422) << r.body;
  // An unknown dryRun value is refused, as the API server refuses it.
  r = a.send("POST", kDeployments + "?dryRun=Some", deployment(2));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_of(r)["message"], "dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"");
  EXPECT_EQ(a.st.version(), version);
  // A name that exists is a conflict, dry or not.
  ASSERT_EQ(a.send("POST", kDeployments, deployment(2)).status, 201);
  EXPECT_EQ(a.send("POST", kDeployments + "?dryRun=All", deployment(2)).status, 409);
}

TEST(DryRun, UpdatesAndPatchesAnswerTheResultAndLeaveTheObject) {
  Api a;
  ASSERT_EQ(a.send("POST", kDeployments, deployment(2)).status, 201);
  const Json stored = body_of(a.get(kDeployments + "/web"));
  const auto version = a.st.version();

  auto r = a.send("PATCH", kDeployments + "/web?dryRun=All", Json{{"spec", {{"replicas", 3}}}},
                  "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 3);
  EXPECT_EQ(body_of(r)["metadata"]["generation"], 2);  // what the write would make of it
  Json put = stored;
  put["spec"]["replicas"] = 5;
  r = a.send("PUT", kDeployments + "/web?dryRun=All", put);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 5);
  r = a.send("PATCH", kDeployments + "/web/scale?dryRun=All", Json{{"spec", {{"replicas", 7}}}},
             "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 7);
  r = a.send("PATCH", kDeployments + "/web?dryRun=All", Json{{"spec", {{"replicas", "x"}}}},
             "application/merge-patch+json");
  EXPECT_EQ(r.status, 422) << r.body;

  EXPECT_EQ(a.st.version(), version);
  EXPECT_EQ(body_of(a.get(kDeployments + "/web")), stored);
}

TEST(DryRun, DeletesLeaveTheObject) {
  Api a;
  ASSERT_EQ(a.send("POST", kDeployments, deployment(2)).status, 201);
  const auto version = a.st.version();
  auto r = a.call("DELETE", kDeployments + "/web?dryRun=All");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["metadata"]["name"], "web");
  // kubectl delete --dry-run=server sends it in the body's DeleteOptions.
  r = a.send("DELETE", kDeployments + "/web",
             Json::parse(R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background","dryRun":["All"]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = a.send("DELETE", kDeployments + "/web", Json::parse(R"({"dryRun":["Most"]})"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(a.call("DELETE", kDeployments + "/nope?dryRun=All").status, 404);
  EXPECT_EQ(a.st.version(), version);
  EXPECT_EQ(a.get(kDeployments + "/web").status, 200);
  EXPECT_EQ(a.get("/api/v1/namespaces/default").status, 200);
  ASSERT_EQ(a.call("DELETE", "/api/v1/namespaces/default?dryRun=All").status, 403);  // refused all the same
}

TEST(DryRun, AServiceAllocatesNothing) {
  Api a;
  Json svc = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
    "spec":{"type":"NodePort","selector":{"a":"b"},"ports":[{"port":80,"nodePort":30080}]}})");
  auto r = a.send("POST", "/api/v1/namespaces/default/services?dryRun=All", svc);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(body_of(r)["spec"].value("clusterIP", "").empty());
  // The port and address it was shown are free for a real create.
  svc["spec"]["clusterIP"] = body_of(r)["spec"]["clusterIP"];
  svc["metadata"]["name"] = "t";
  r = a.send("POST", "/api/v1/namespaces/default/services", svc);
  EXPECT_EQ(r.status, 201) << r.body;
}

}  // namespace
