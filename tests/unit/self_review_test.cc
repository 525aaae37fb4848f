// `kubectl auth can-i` and `kubectl auth whoami`: the self reviews answer for the caller, by the
// same policy that admits its requests (auth.h), from JSON (kubectl 1.29) or protobuf (1.32+).
#include "lab/server/self_review.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace lab;
using namespace lab::server;
using Json = nlohmann::json;

namespace {

const std::string kAccess = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
const std::string kWhoami = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

HttpRequest as(const std::string& who, const std::string& path, const Json& body) {
  HttpRequest r{"POST", path, {}, body.dump(), {{"content-type", "application/json"}}};
  if (who == "root") {
    r.transport = "unix";
  } else {
    r.transport = "tls";
    r.client_cn = who;
  }
  return r;
}

Json can_i(const std::string& who, const Json& attributes, bool resource = true) {
  Json review = {{"kind", "SelfSubjectAccessReview"}, {"apiVersion", "authorization.k8s.io/v1"},
                 {"spec", {{resource ? "resourceAttributes" : "nonResourceAttributes", attributes}}}};
  auto r = serve_self_review(as(who, kAccess, review), Credentials{});
  EXPECT_TRUE(r.has_value());
  if (!r) return nullptr;
  EXPECT_EQ(r->status, 201) << r->body;
  return Json::parse(r->body, nullptr, false);
}

bool allowed(const std::string& who, const Json& attributes, bool resource = true) {
  Json answer = can_i(who, attributes, resource);
  return answer.is_object() && answer["status"]["allowed"] == true;
}

TEST(SelfReview, CanIFollowsTheAuthorizer) {
  const Json create_pods = {{"namespace", "default"}, {"verb", "create"}, {"resource", "pods"}};
  const Json list_pods = {{"namespace", "default"}, {"verb", "list"}, {"resource", "pods"}};
  const Json exec = {{"namespace", "default"}, {"verb", "create"}, {"resource", "pods"}, {"subresource", "exec"}};
  EXPECT_TRUE(allowed("root", create_pods));
  EXPECT_TRUE(allowed("root", exec));
  // A client certificate outside system:masters: a reader, as the gate treats it.
  EXPECT_FALSE(allowed("jane", create_pods));
  EXPECT_TRUE(allowed("jane", list_pods));
  EXPECT_FALSE(allowed("jane", exec));
  EXPECT_TRUE(allowed("jane", {{"verb", "get"}, {"path", "/version"}}, false));
  EXPECT_FALSE(allowed("jane", {{"verb", "get"}, {"path", "/logs"}}, false));
  EXPECT_TRUE(allowed("root", {{"verb", "get"}, {"path", "/logs"}}, false));
  // The answer is the review, with its status.
  Json answer = can_i("jane", create_pods);
  EXPECT_EQ(answer["kind"], "SelfSubjectAccessReview");
  EXPECT_EQ(answer["spec"]["resourceAttributes"], create_pods);
  // Asking about itself is what any identity may do; the gate lets it through.
  Identity jane{"jane", {"system:authenticated"}};
  EXPECT_FALSE(authorize(jane, as("jane", kAccess, Json::object())).has_value());
  EXPECT_FALSE(authorize(jane, as("jane", kWhoami, Json::object())).has_value());
}

TEST(SelfReview, WhoAmI) {
  auto r = serve_self_review(as("jane", kWhoami, {{"kind", "SelfSubjectReview"}, {"apiVersion", "authentication.k8s.io/v1"}}),
                             Credentials{});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  Json answer = Json::parse(r->body);
  EXPECT_EQ(answer["status"]["userInfo"]["username"], "jane");
  EXPECT_EQ(answer["status"]["userInfo"]["groups"], Json::array({"system:authenticated"}));
  r = serve_self_review(as("root", kWhoami, Json::object()), Credentials{});
  ASSERT_TRUE(r);
  EXPECT_EQ(Json::parse(r->body)["status"]["userInfo"]["username"], "system:admin");
}

TEST(SelfReview, ProtobufBodiesAsKubectlSendsThem) {
  std::ifstream in(std::string(LAB_SOURCE_DIR) + "/tests/fixtures/protobuf/selfsubjectaccessreviews.bin", std::ios::binary);
  std::stringstream body;
  body << in.rdbuf();  // kubectl 1.32's `kubectl auth can-i create pods`
  HttpRequest req{"POST", kAccess, {}, body.str(), {{"content-type", "application/vnd.kubernetes.protobuf"}}};
  req.transport = "unix";
  auto r = serve_self_review(req, Credentials{});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  Json answer = Json::parse(r->body);
  EXPECT_EQ(answer["spec"]["resourceAttributes"], (Json{{"namespace", "default"}, {"verb", "create"}, {"resource", "pods"}}));
  EXPECT_EQ(answer["status"]["allowed"], true);

  std::ifstream in2(std::string(LAB_SOURCE_DIR) + "/tests/fixtures/protobuf/selfsubjectreviews.bin", std::ios::binary);
  std::stringstream body2;
  body2 << in2.rdbuf();  // `kubectl auth whoami`
  req.path = kWhoami;
  req.body = body2.str();
  r = serve_self_review(req, Credentials{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST(SelfReview, RefusalsAreStatuses) {
  // Neither or both attribute kinds: 422.
  auto r = serve_self_review(as("root", kAccess, {{"spec", Json::object()}}), Credentials{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  r = serve_self_review(as("root", kAccess, {{"spec", {{"resourceAttributes", Json::object()}, {"nonResourceAttributes", Json::object()}}}}),
                        Credentials{});
  EXPECT_EQ(r->status, 422) << r->body;
  // Not JSON; another kind; GET; nobody.
  HttpRequest bad = as("root", kAccess, Json::object());
  bad.body = "{";
  EXPECT_EQ(serve_self_review(bad, Credentials{})->status, 400);
  EXPECT_EQ(serve_self_review(as("root", kAccess, {{"kind", "Pod"}}), Credentials{})->status, 400);
  HttpRequest get = as("root", kAccess, Json::object());
  get.method = "GET";
  EXPECT_EQ(serve_self_review(get, Credentials{})->status, 405);
  HttpRequest nobody = as("root", kWhoami, Json::object());
  nobody.transport = "tls";
  EXPECT_EQ(serve_self_review(nobody, Credentials{})->status, 401);
  // Any other path is not this handler's.
  EXPECT_FALSE(serve_self_review(as("root", "/api/v1/pods", Json::object()), Credentials{}).has_value());
}

}  // namespace
