// `kubectl drain`: pods/eviction (policy/v1 Eviction, JSON from kubectl 1.29, protobuf from
// 1.32), which the lab always allows (it has no PodDisruptionBudgets), and the protobuf
// DeleteOptions a typed client's DELETE carries.
#include <gtest/gtest.h>

#include "k8s.pb.h"
#include "tests/unit/api_fixture.h"

using namespace lab;
using Json = nlohmann::json;
using lab::testing::body_of;

namespace {

struct Api : lab::testing::TestApi {
  Api() {
    for (const char* name : {"a", "b"}) {
      Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", "default"}}},
                  {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}};
      EXPECT_TRUE(registry.create(pod));
    }
  }
  server::HttpResponse post(const std::string& path, const std::string& body, const std::string& type) {
    return call("POST", path, body, {{"content-type", type}});
  }
};

const std::string kEvictA = "/api/v1/namespaces/default/pods/a/eviction";

std::string protobuf(const std::string& api_version, const std::string& kind, const google::protobuf::Message& m) {
  lab::k8s::Unknown u;
  u.mutable_typemeta()->set_apiversion(api_version);
  u.mutable_typemeta()->set_kind(kind);
  u.set_raw(m.SerializeAsString());
  return std::string("k8s\0", 4) + u.SerializeAsString();
}

TEST(Eviction, AnEvictionDeletesThePod) {
  Api a;
  auto r = a.post(kEvictA, R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"a","namespace":"default"}})",
                  "application/json");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body_of(r)["status"], "Success");
  EXPECT_EQ(body_of(r)["code"], 201);
  EXPECT_EQ(a.get("/api/v1/namespaces/default/pods/a").status, 404);  // unbound: gone at once
  EXPECT_EQ(a.get("/api/v1/namespaces/default/pods/b").status, 200);
}

TEST(Eviction, ProtobufAsKubectlDrainSendsIt) {
  Api a;
  lab::k8s::Eviction e;
  e.mutable_metadata()->set_name("a");
  e.mutable_metadata()->set_namespace_("default");
  e.mutable_deleteoptions();
  auto r = a.post(kEvictA, protobuf("policy/v1", "Eviction", e), "application/vnd.kubernetes.protobuf");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(a.get("/api/v1/namespaces/default/pods/a").status, 404);
  // A typed client's DELETE body: DeleteOptions in protobuf (kubectl 1.32 drain's fallback).
  const std::string options("k8s\0\x0a\x13\x0a\x02v1\x12\x0d" "DeleteOptions\x12\x00\x1a\x00\x22\x00", 31);
  r = a.call("DELETE", "/api/v1/namespaces/default/pods/b", options, {{"content-type", "application/vnd.kubernetes.protobuf"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.get("/api/v1/namespaces/default/pods/b").status, 404);
}

TEST(Eviction, RefusalsAndDryRun) {
  Api a;
  auto r = a.post(kEvictA, R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"b"}})", "application/json");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_of(r)["message"], "name in URL does not match name in Eviction object");
  r = a.post("/api/v1/namespaces/default/pods/nope/eviction", R"({"metadata":{"name":"nope"}})", "application/json");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(a.call("GET", kEvictA).status, 405);
  EXPECT_EQ(a.post(kEvictA, "{", "application/json").status, 400);
  // A wrong uid precondition, and a dry run: the pod stays.
  r = a.post(kEvictA, R"({"metadata":{"name":"a"},"deleteOptions":{"preconditions":{"uid":"x"}}})", "application/json");
  EXPECT_EQ(r.status, 409) << r.body;
  r = a.post(kEvictA, R"({"metadata":{"name":"a"},"deleteOptions":{"dryRun":["All"]}})", "application/json");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(a.get("/api/v1/namespaces/default/pods/a").status, 200);
}

}  // namespace
