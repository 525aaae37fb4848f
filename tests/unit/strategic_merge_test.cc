// Patches as kubectl sends them (apply's three-way patch, edit's difference, scale's merge patch,
// kubectl patch --type json), applied as kube-apiserver applies them.
#include "lab/api/strategic_merge.h"

#include <gtest/gtest.h>

namespace lab::api {
namespace {

using Json = nlohmann::json;

const Json kDeployment = Json::parse(R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "my-nginx", "namespace": "default", "finalizers": ["a", "b"],
               "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n", "keep": "me"}},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"run": "my-nginx"}},
           "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
           "template": {"metadata": {"labels": {"run": "my-nginx"}},
                        "spec": {"containers": [
                          {"name": "my-nginx", "image": "nginx", "args": ["-g", "daemon off;"],
                           "ports": [{"containerPort": 80}, {"containerPort": 443}],
                           "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                          {"name": "sidecar", "image": "busybox"}],
                          "volumes": [{"name": "secret-volume", "secret": {"secretName": "nginxsecret"}}]}}}})");

Json merged(const Json& patch, const Json& obj = kDeployment) {
  auto r = strategic_merge("Deployment", obj, patch);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r ? *r : Json();
}

const Json& container(const Json& d, size_t i) { return d["spec"]["template"]["spec"]["containers"][i]; }

TEST(StrategicMerge, AppliesThreeWayPatchChangesReplicasAndTheAnnotationOnly) {
  Json out = merged(Json::parse(R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"x\":1}\n"}},
                                   "spec":{"replicas":3}})"));
  EXPECT_EQ(out["spec"]["replicas"], 3);
  EXPECT_EQ(out["metadata"]["annotations"]["keep"], "me");
  EXPECT_EQ(out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"], "{\"x\":1}\n");
  EXPECT_EQ(out["spec"]["template"], kDeployment["spec"]["template"]);
}

TEST(StrategicMerge, ContainersMergeByNameAndKeepTheirOtherFields) {
  Json out = merged(Json::parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"my-nginx","image":"nginx:1.27"}]}}}})"));
  ASSERT_EQ(out["spec"]["template"]["spec"]["containers"].size(), 2u);
  EXPECT_EQ(container(out, 0)["image"], "nginx:1.27");
  EXPECT_EQ(container(out, 0)["ports"].size(), 2u);
  EXPECT_EQ(container(out, 1)["name"], "sidecar");
}

TEST(StrategicMerge, NewElementsAreAppendedAndDeleteDirectivesRemoveTheirMatch) {
  Json out = merged(Json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"sidecar","$patch":"delete"},
      {"name":"my-nginx","env":[{"name":"C","value":"3"},{"name":"A","value":"9"}],"ports":[{"containerPort":8080}]}]}}}})"));
  ASSERT_EQ(out["spec"]["template"]["spec"]["containers"].size(), 1u);
  const Json& c = container(out, 0);
  EXPECT_EQ(c["env"], Json::parse(R"([{"name":"A","value":"9"},{"name":"B","value":"2"},{"name":"C","value":"3"}])"));
  EXPECT_EQ(c["ports"], Json::parse(R"([{"containerPort":80},{"containerPort":443},{"containerPort":8080}])"));
}

TEST(StrategicMerge, ListsWithoutAStrategyAreReplaced) {
  Json out = merged(Json::parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"my-nginx","args":["-v"]}]}}}})"));
  EXPECT_EQ(container(out, 0)["args"], Json::parse(R"(["-v"])"));
}

TEST(StrategicMerge, NullDeletesAFieldAndRetainKeysDropsTheOthers) {
  // What kubectl apply sends when a file switches a Deployment to Recreate.
  Json out = merged(Json::parse(R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}})"));
  EXPECT_EQ(out["spec"]["strategy"], Json::parse(R"({"type":"Recreate"})"));
  out = merged(Json::parse(R"({"metadata":{"annotations":{"keep":null}}})"));
  EXPECT_FALSE(out["metadata"]["annotations"].contains("keep"));
}

TEST(StrategicMerge, SetElementOrderOrdersTheMergedList) {
  Json out = merged(Json::parse(R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"sidecar"},{"name":"my-nginx"}],
      "containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}})"));
  EXPECT_EQ(container(out, 0)["name"], "sidecar");
  EXPECT_EQ(container(out, 0)["image"], "busybox:1.36");
  EXPECT_EQ(container(out, 1)["name"], "my-nginx");
}

TEST(StrategicMerge, ReplaceDirectivesReplaceAListOrAMap) {
  Json out = merged(Json::parse(R"({"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"nginx"}]}}}})"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"], Json::parse(R"([{"name":"only","image":"nginx"}])"));
  out = merged(Json::parse(R"({"spec":{"selector":{"$patch":"replace","matchLabels":{"app":"x"}}}})"));
  EXPECT_EQ(out["spec"]["selector"], Json::parse(R"({"matchLabels":{"app":"x"}})"));
}

TEST(StrategicMerge, FinalizersAreASetWithDeleteFromPrimitiveList) {
  Json out = merged(Json::parse(R"({"metadata":{"finalizers":["b","c"],"$deleteFromPrimitiveList/finalizers":["a"]}})"));
  EXPECT_EQ(out["metadata"]["finalizers"], Json::parse(R"(["b","c"])"));
}

TEST(StrategicMerge, ServicePortsMergeByPort) {
  Json svc = Json::parse(R"({"kind":"Service","spec":{"type":"NodePort","ports":[
      {"name":"http","port":80,"nodePort":31000},{"name":"https","port":443,"nodePort":31001}]}})");
  auto out = strategic_merge("Service", svc, Json::parse(R"({"spec":{"type":"LoadBalancer","ports":[{"port":443,"name":"tls"}]}})"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)["spec"]["type"], "LoadBalancer");
  EXPECT_EQ((*out)["spec"]["ports"][1], Json::parse(R"({"name":"tls","port":443,"nodePort":31001})"));
  EXPECT_EQ((*out)["spec"]["ports"][0]["nodePort"], 31000);
}

TEST(StrategicMerge, BadPatchesAreBadRequestsInKubernetesWords) {
  auto r = strategic_merge("Deployment", kDeployment,
                           Json::parse(R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Reason::BadRequest);
  EXPECT_EQ(r.error().message, R"(map: {"image":"x"} does not contain declared merge key: name)");
  r = strategic_merge("Deployment", kDeployment, Json::parse(R"({"spec":{"$patch":"explode"}})"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Reason::BadRequest);
  EXPECT_FALSE(strategic_merge("Deployment", kDeployment, Json::parse("[1]")).has_value());
  EXPECT_FALSE(strategic_merge("Deployment", kDeployment, Json::parse(R"({"$patch":"delete"})")).has_value());
  EXPECT_FALSE(strategic_merge("Deployment", kDeployment, Json::parse(R"({"metadata":{"$retainKeys":5}})")).has_value());
  EXPECT_FALSE(strategic_merge("Deployment", kDeployment,
                               Json::parse(R"({"spec":{"template":{"spec":{"containers":[3]}}}})")).has_value());
}

TEST(StrategicMerge, PodAndNodeListsHaveTheirKeys) {
  EXPECT_EQ(list_strategy("Pod", {"spec", "containers", "volumeMounts"}).key, "mountPath");
  EXPECT_EQ(list_strategy("Pod", {"status", "conditions"}).key, "type");
  EXPECT_EQ(list_strategy("Node", {"status", "addresses"}).key, "type");
  EXPECT_TRUE(list_strategy("Node", {"spec", "podCIDRs"}).merge);
  EXPECT_FALSE(list_strategy("Pod", {"spec", "tolerations"}).merge);
  EXPECT_FALSE(list_strategy("EndpointSlice", {"endpoints"}).merge);
}

TEST(JsonPatch, AppliesOperationsAndRefusesWhatCannotApply) {
  auto r = json_patch(kDeployment, Json::parse(R"([{"op":"replace","path":"/spec/replicas","value":5},
                                                   {"op":"add","path":"/metadata/labels","value":{"a":"b"}}])"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ((*r)["spec"]["replicas"], 5);
  EXPECT_EQ((*r)["metadata"]["labels"]["a"], "b");

  r = json_patch(kDeployment, Json::parse(R"([{"op":"test","path":"/spec/replicas","value":7}])"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Reason::Invalid);
  r = json_patch(kDeployment, Json::parse(R"([{"op":"remove","path":"/spec/nothing"}])"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Reason::Invalid);

  for (const char* bad : {R"({"op":"add"})", R"([{"op":"explode","path":"/a"}])", R"([{"path":"/a"}])",
                          R"([{"op":"add","path":"/a"}])", R"([{"op":"move","path":"/a"}])", "[5]"}) {
    auto b = json_patch(kDeployment, Json::parse(bad));
    ASSERT_FALSE(b.has_value()) << bad;
    EXPECT_EQ(b.error().reason, Reason::BadRequest) << bad;
  }
}

}  // namespace
}  // namespace lab::api
