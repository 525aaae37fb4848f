// The API server against hostile input: thousands of mutated objects, patches, paths and queries
// (deterministic seed). Every answer is a 2xx object or a 4xx Status — never a 5xx, never a
// crash — and afterwards the store holds only objects that validate and that the controllers can
// process. The inputs that crashed the daemon before are named regression tests.
#include <gtest/gtest.h>

#include <random>

#include "lab/api/validate.h"
#include "lab/controllers/manager.h"
#include "lab/server/api_server.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"
#include "tests/fuzz/api_fuzzer.h"

using namespace lab;
using Json = nlohmann::json;
using namespace lab::fuzz;

namespace {

void expect_well_formed(const server::HttpResponse& r, const std::string& what) {
  ASSERT_LT(r.status, 500) << what << "\n" << r.body;
  Json body = Json::parse(r.body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << what;
  if (r.status >= 400) {
    EXPECT_EQ(body["kind"], "Status") << what;
    EXPECT_EQ(body["code"], r.status) << what;
  }
}

struct Api {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  server::ApiServer api{registry, "fuzz"};
};

}  // namespace

TEST(ApiFuzz, MutatedObjectsPatchesAndPathsAnswer4xxAndKeepTheStoreValid) {
  Api a;
  Fuzzer f(20261201);
  for (const auto& t : kTargets) ASSERT_EQ(a.api.handle({"POST", t.collection, {}, t.object->dump()}).status, 201);
  for (int i = 0; i < 4000; ++i) {
    const auto& t = kTargets[f.pick(std::size(kTargets))];
    auto [method, path, query, body, content_type] = f.request(t);
    server::HttpRequest req{method, path, query, body};
    if (!content_type.empty()) req.headers["content-type"] = content_type;
    auto r = a.api.handle(req);
    expect_well_formed(r, method + " " + path + " " + body.substr(0, 300));
    if (::testing::Test::HasFatalFailure()) return;
    // Bring the object back now and then so later mutations hit a live object again.
    if (f.pick(10) == 0) a.api.handle({"POST", t.collection, {}, t.object->dump()});
  }
  // Whatever got in is valid, and the controllers can work with all of it.
  for (const char* kind : {"Pod", "Deployment", "ReplicaSet", "Service", "EndpointSlice", "Event"}) {
    for (auto obj : a.st.list(kind, "")) {
      Json copy = obj;
      auto v = api::validate_object(copy, &obj);
      EXPECT_TRUE(v.errors.empty()) << kind << " " << obj.dump() << "\n" << api::invalid_message(obj, v.errors);
    }
  }
  store::InformerFactory informers(a.st);
  controllers::ControllerManager manager(a.registry, informers, {{"node-1"}, {}});
  informers.start();
  manager.run_until_idle();
}

// The inputs that crashed the daemon (issue: every restarted daemon aborted again, since the bad
// object was already stored).
TEST(ApiRegression, PatchReplicasAsStringIs422NamingTheField) {
  Api a;
  ASSERT_EQ(a.api.handle({"POST", kTargets[1].collection, {}, kDeployment.dump()}).status, 201);
  auto r = a.api.handle({"PATCH", kTargets[1].collection + "/web", {}, R"({"spec":{"replicas":"2"}})"});
  EXPECT_EQ(r.status, 422);
  auto status = Json::parse(r.body);
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_NE(status["message"].get<std::string>().find("spec.replicas: Invalid value: \"2\""), std::string::npos)
      << status["message"];
  EXPECT_EQ((*a.st.get("Deployment", "default", "web"))["spec"]["replicas"], 2) << "nothing changed";
}

TEST(ApiRegression, PatchMetadataNumberIsRefused) {
  Api a;
  ASSERT_EQ(a.api.handle({"POST", kTargets[1].collection, {}, kDeployment.dump()}).status, 201);
  auto r = a.api.handle({"PATCH", kTargets[1].collection + "/web", {}, R"({"metadata":5})"});
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
}

TEST(ApiRegression, EditSavingStatusNullKeepsTheStoredStatus) {
  Api a;
  ASSERT_EQ(a.api.handle({"POST", kTargets[1].collection, {}, kDeployment.dump()}).status, 201);
  ASSERT_TRUE(a.registry.patch("Deployment", "default", "web", {{"status", {{"replicas", 2}}}}, true));
  Json edited = *a.st.get("Deployment", "default", "web");
  edited["status"] = nullptr;
  auto r = a.api.handle({"PUT", kTargets[1].collection + "/web", {}, edited.dump()});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ((*a.st.get("Deployment", "default", "web"))["status"]["replicas"], 2);
}

TEST(ApiRegression, ServicePortOfTheWrongTypeIs422) {
  Api a;
  for (const char* ports : {R"([{"port":"abc"}])", R"([{"port":{"x":1}}])", R"([{"port":70000}])", R"("80")"}) {
    Json svc = kService;
    svc["spec"]["ports"] = Json::parse(ports);
    auto r = a.api.handle({"POST", kTargets[2].collection, {}, svc.dump()});
    EXPECT_EQ(r.status, 422) << ports << " " << r.body;
  }
  EXPECT_TRUE(a.st.list("Service", "").empty());
}

TEST(ApiRegression, UndecodableBodiesAre400) {
  Api a;
  for (const char* body : {"", "{", "[1]", "\"x\"", "\xff"}) {
    auto r = a.api.handle({"POST", kTargets[0].collection, {}, body});
    EXPECT_EQ(r.status, 400) << body;
  }
}
