// ?fieldValidation=, as kubectl sends it (--validate=strict, its default: Strict; --validate=warn:
// Warn; --validate=false: Ignore): a field the object's type does not have is refused (Strict), or
// dropped with a Warning header naming it (Warn, also the API's default without the parameter), or
// dropped silently (Ignore), on create, update and patch; the object stored is the one without it,
// defaulted as usual. Other errors are errors whatever the directive.
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
    "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx","colour":"red"}]}},
    "speed":9}})");
}

const std::string kDeployments = "/apis/apps/v1/namespaces/default/deployments";

std::vector<std::string> warnings(const server::HttpResponse& r) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers)
    if (k == "Warning") out.push_back(v);
  return out;
}

TEST(FieldValidation, StrictRefusesNamingEveryUnknownField) {
  Api a;
  auto r = a.send("POST", kDeployments + "?fieldValidation=Strict", deployment(2));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_of(r)["message"], "strict decoding error: unknown field \"spec.speed\", unknown field "
                                   "\"spec.template.spec.containers[0].colour\"");
  EXPECT_EQ(a.get(kDeployments + "/web").status, 404);
}

TEST(FieldValidation, WarnDropsTheFieldsAndSaysSoInWarningHeaders) {
  for (const std::string query : {"?fieldValidation=Warn", ""}) {  // Warn is also the default
    Api a;
    auto r = a.send("POST", kDeployments + query, deployment(2));
    ASSERT_EQ(r.status, 201) << query << r.body;
    EXPECT_EQ(warnings(r), (std::vector<std::string>{"299 - \"unknown field \\\"spec.speed\\\"\"",
                                                     "299 - \"unknown field \\\"spec.template.spec.containers[0].colour\\\"\""}));
    Json made = body_of(r);
    EXPECT_FALSE(made["spec"].contains("speed"));
    EXPECT_FALSE(made["spec"]["template"]["spec"]["containers"][0].contains("colour"));
    EXPECT_EQ(made["spec"]["strategy"]["type"], "RollingUpdate");  // defaulted once the fields are gone
    Json stored = body_of(a.get(kDeployments + "/web"));
    EXPECT_FALSE(stored["spec"].contains("speed"));
  }
}

TEST(FieldValidation, IgnoreDropsSilentlyOnCreateUpdateAndPatch) {
  Api a;
  auto r = a.send("POST", kDeployments + "?fieldValidation=Ignore", deployment(2));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(warnings(r).empty());
  Json put = body_of(r);
  put["spec"]["replicas"] = 3;
  put["spec"]["bogus"] = true;
  r = a.send("PUT", kDeployments + "/web?fieldValidation=Ignore", put);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 3);
  EXPECT_FALSE(body_of(r)["spec"].contains("bogus"));
  r = a.send("PATCH", kDeployments + "/web?fieldValidation=Strict", Json{{"spec", {{"bogus", 1}}}},
             "application/merge-patch+json");
  EXPECT_EQ(r.status, 400) << r.body;
  r = a.send("PATCH", kDeployments + "/web?fieldValidation=Warn", Json{{"spec", {{"bogus", 1}, {"replicas", 4}}}},
             "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(warnings(r), (std::vector<std::string>{"299 - \"unknown field \\\"spec.bogus\\\"\""}));
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 4);
}

TEST(FieldValidation, OtherErrorsStayAndUnknownDirectivesAreRefused) {
  Api a;
  auto r = a.send("POST", kDeployments + "?fieldValidation=Ignore", deployment(-1));
  EXPECT_EQ(r.status, 422) << r.body;
  r = a.send("POST", kDeployments + "?fieldValidation=Lenient", deployment(2));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_of(r)["message"],
            "fieldValidation: Unsupported value: \"Lenient\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
  EXPECT_EQ(a.get(kDeployments + "/web").status, 404);
}

}  // namespace
