// /version, discovery (aggregated v2 / v2beta1 and legacy), OpenAPI v3 and the scale subresource,
// through the API server as kubectl sees them: the documents checked against
// shared/reference/kubectl.md §1–§3, §5.9 and §5.18.
#include <gtest/gtest.h>

#include <set>

#include "lab/api/resources.h"
#include "lab/api/version.h"
#include "lab/server/api_server.h"
#include "tests/unit/api_fixture.h"
#include "lab/server/discovery.h"
#include "lab/server/openapi.h"
#include "lab/store/registry.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

// kubectl 1.32's discovery Accept; 1.29's asks for v2beta1 only.
const char* kAcceptV2 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const char* kAcceptV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

using Api = lab::testing::TestApi;

using lab::testing::body_of;

const Json* find_named(const Json& list, const char* key, const std::string& value) {
  for (const auto& x : list)
    if (x.value(key, "") == value) return &x;
  return nullptr;
}

TEST(Version, ReportsMinor32AndEveryField) {
  Api a;
  auto r = a.get("/version");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  Json v = body_of(r);
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "32");
  EXPECT_EQ(v["gitVersion"], "v1.32.0-lab");
  for (const char* f : {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"})
    EXPECT_TRUE(v[f].is_string() && !v[f].get<std::string>().empty()) << f;
  EXPECT_EQ(v["platform"], "linux/amd64");
  EXPECT_EQ(v["gitVersion"], api::git_version());  // the kubelets' kubeletVersion is the same constant
}

TEST(Discovery, AcceptPicksTheDocument) {
  using F = server::DiscoveryFormat;
  EXPECT_EQ(server::discovery_format(kAcceptV2), F::AggregatedV2);
  EXPECT_EQ(server::discovery_format(kAcceptV2Beta1), F::AggregatedV2Beta1);
  EXPECT_EQ(server::discovery_format("application/json"), F::Legacy);
  EXPECT_EQ(server::discovery_format("application/json, */*"), F::Legacy);
  EXPECT_EQ(server::discovery_format(""), F::Legacy);
  // Plain JSON first wins over a later aggregated range; an unknown discovery version is skipped.
  EXPECT_EQ(server::discovery_format("application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
            F::Legacy);
  EXPECT_EQ(server::discovery_format("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,"
                                     "application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList"),
            F::AggregatedV2);
  // A Table Accept is no discovery document: legacy JSON it is.
  EXPECT_EQ(server::discovery_format("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"), F::Legacy);
}

TEST(Discovery, AggregatedCoreGroupWithTheExactContentType) {
  Api a;
  auto r = a.get("/api", kAcceptV2);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  Json d = body_of(r);
  EXPECT_EQ(d["kind"], "APIGroupDiscoveryList");
  EXPECT_EQ(d["apiVersion"], "apidiscovery.k8s.io/v2");
  ASSERT_EQ(d["items"].size(), 1u);
  EXPECT_EQ(d["items"][0]["metadata"]["name"], "");
  const Json& v1 = d["items"][0]["versions"][0];
  EXPECT_EQ(v1["version"], "v1");
  EXPECT_EQ(v1["freshness"], "Current");
  const Json* pods = find_named(v1["resources"], "resource", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ((*pods)["responseKind"], (Json{{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}));
  EXPECT_EQ((*pods)["scope"], "Namespaced");
  EXPECT_EQ((*pods)["singularResource"], "pod");
  EXPECT_EQ((*pods)["shortNames"], Json::array({"po"}));
  EXPECT_EQ((*pods)["categories"], Json::array({"all"}));
  EXPECT_EQ((*pods)["verbs"],
            Json::array({"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}));
  std::set<std::string> subs;
  for (const auto& s : (*pods)["subresources"]) {
    subs.insert(s["subresource"].get<std::string>());
    EXPECT_TRUE(s["responseKind"].contains("kind"));
    EXPECT_FALSE(s["verbs"].empty());
  }
  EXPECT_EQ(subs, (std::set<std::string>{"attach", "eviction", "exec", "log", "portforward", "status"}));
  const Json* svc = find_named(v1["resources"], "resource", "services");
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ((*svc)["shortNames"], Json::array({"svc"}));
  EXPECT_EQ((*svc)["subresources"][0]["subresource"], "status");
  const Json* nodes = find_named(v1["resources"], "resource", "nodes");
  ASSERT_NE(nodes, nullptr);
  EXPECT_EQ((*nodes)["scope"], "Cluster");
  EXPECT_FALSE(nodes->contains("categories"));
  EXPECT_EQ((*find_named(v1["resources"], "resource", "configmaps"))["shortNames"], Json::array({"cm"}));
  EXPECT_EQ((*find_named(v1["resources"], "resource", "events"))["shortNames"], Json::array({"ev"}));
}

TEST(Discovery, AggregatedGroupsAdvertiseScale) {
  Api a;
  auto r = a.get("/apis", kAcceptV2);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  Json d = body_of(r);
  std::vector<std::string> groups;
  for (const auto& g : d["items"]) groups.push_back(g["metadata"]["name"]);
  // Not autoscaling: only deployments/scale answers in it, and a group-version listing no resources
  // makes kubectl read discovery afresh on every run (it caches none without resources).
  // In kube-apiserver's order: coordination.k8s.io (node leases) before discovery.k8s.io.
  EXPECT_EQ(groups, (std::vector<std::string>{"apps", "coordination.k8s.io", "discovery.k8s.io"}));
  const Json& apps = d["items"][0]["versions"][0];
  const Json* deploy = find_named(apps["resources"], "resource", "deployments");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ((*deploy)["shortNames"], Json::array({"deploy"}));
  EXPECT_EQ((*deploy)["categories"], Json::array({"all"}));
  const Json* scale = find_named((*deploy)["subresources"], "subresource", "scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ((*scale)["responseKind"], (Json{{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}));
  EXPECT_EQ((*scale)["verbs"], Json::array({"get", "patch", "update"}));
  const Json* rs = find_named(apps["resources"], "resource", "replicasets");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ((*rs)["shortNames"], Json::array({"rs"}));
  EXPECT_NE(find_named((*rs)["subresources"], "subresource", "scale"), nullptr);
  EXPECT_NE(find_named((*rs)["subresources"], "subresource", "status"), nullptr);
}

TEST(Discovery, V2Beta1WhenOnlyThatIsAsked) {
  Api a;
  for (const char* path : {"/api", "/apis"}) {
    auto r = a.get(path, kAcceptV2Beta1);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
    EXPECT_EQ(body_of(r)["apiVersion"], "apidiscovery.k8s.io/v2beta1");
  }
}

TEST(Discovery, LegacyDocuments) {
  Api a;
  auto r = a.call("GET", "/api", "", {{"accept", "application/json, */*"}, {"host", "127.0.0.1:6443"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  Json v = body_of(r);
  EXPECT_EQ(v["kind"], "APIVersions");
  EXPECT_EQ(v["versions"], Json::array({"v1"}));
  EXPECT_EQ(v["serverAddressByClientCIDRs"][0]["serverAddress"], "127.0.0.1:6443");

  Json groups = body_of(a.get("/apis"));
  EXPECT_EQ(groups["kind"], "APIGroupList");
  const Json* apps = find_named(groups["groups"], "name", "apps");
  ASSERT_NE(apps, nullptr);
  EXPECT_EQ((*apps)["versions"][0], (Json{{"groupVersion", "apps/v1"}, {"version", "v1"}}));
  EXPECT_EQ((*apps)["preferredVersion"]["groupVersion"], "apps/v1");
  // kubectl then reads every listed group-version: each must answer.
  for (const auto& g : groups["groups"])
    for (const auto& ver : g["versions"]) {
      auto list = a.get("/apis/" + ver["groupVersion"].get<std::string>());
      EXPECT_EQ(list.status, 200) << ver["groupVersion"];
      EXPECT_EQ(body_of(list)["kind"], "APIResourceList");
    }
  Json group = body_of(a.get("/apis/apps"));
  EXPECT_EQ(group["kind"], "APIGroup");
  EXPECT_EQ(group["name"], "apps");

  Json appsv1 = body_of(a.get("/apis/apps/v1"));
  EXPECT_EQ(appsv1["groupVersion"], "apps/v1");
  const Json* deploy = find_named(appsv1["resources"], "name", "deployments");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ((*deploy)["singularName"], "deployment");
  EXPECT_EQ((*deploy)["namespaced"], true);
  EXPECT_EQ((*deploy)["kind"], "Deployment");
  EXPECT_EQ((*deploy)["shortNames"], Json::array({"deploy"}));
  const Json* scale = find_named(appsv1["resources"], "name", "deployments/scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(*scale, Json::parse(R"({"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling",
                                    "version":"v1","kind":"Scale","verbs":["get","patch","update"]})"));
  const Json* status = find_named(appsv1["resources"], "name", "deployments/status");
  ASSERT_NE(status, nullptr);
  EXPECT_FALSE(status->contains("group"));
  EXPECT_EQ((*status)["kind"], "Deployment");

  Json core = body_of(a.get("/api/v1"));
  EXPECT_EQ(core["groupVersion"], "v1");
  ASSERT_NE(find_named(core["resources"], "name", "pods/exec"), nullptr);
  EXPECT_EQ((*find_named(core["resources"], "name", "pods/log"))["verbs"], Json::array({"get"}));
  EXPECT_EQ((*find_named(core["resources"], "name", "nodes"))["namespaced"], false);
  // Trailing slashes are the same path; what is not served is a 404 Status.
  EXPECT_EQ(a.get("/apis/").status, 200);
  EXPECT_EQ(a.get("/apis/batch/v1").status, 404);
  EXPECT_EQ(body_of(a.get("/apis/batch"))["reason"], "NotFound");
  EXPECT_EQ(a.get("/api/v2").status, 404);
  EXPECT_EQ(a.call("POST", "/api/v1", "{}").status, 405);
}

// Every kind's names as discovery advertises them resolve to that kind through the one table
// the CLI uses too.
TEST(Discovery, EveryAdvertisedNameResolves) {
  for (const auto& t : api::resource_types()) {
    for (const auto& s : t.short_names) EXPECT_EQ(api::find_resource(s)->kind, t.kind) << s;
    EXPECT_EQ(api::find_resource(t.singular)->kind, t.kind);
    EXPECT_EQ(api::find_resource(t.plural)->kind, t.kind);
    EXPECT_FALSE(t.verbs.empty()) << t.kind;
  }
}

TEST(OpenApi, RootListsEveryGroupVersionWithAHashedUrl) {
  Api a;
  auto r = a.get("/openapi/v3");
  ASSERT_EQ(r.status, 200);
  Json root = body_of(r);
  for (const char* key : {"api/v1", "apis/apps/v1", "apis/discovery.k8s.io/v1"}) {
    ASSERT_TRUE(root["paths"].contains(key)) << key;
    std::string url = root["paths"][key]["serverRelativeURL"];
    EXPECT_EQ(url.rfind(std::string("/openapi/v3/") + key + "?hash=", 0), 0u) << url;
    // kubectl follows the URL verbatim; the query is the client's business.
    server::HttpRequest req{"GET", url.substr(0, url.find('?')), {{"hash", url.substr(url.find('=') + 1)}}, ""};
    req.headers["accept"] = "application/json";
    auto doc = a.api.handle(req);
    EXPECT_EQ(doc.status, 200) << key;
    EXPECT_EQ(body_of(doc)["openapi"], "3.0.0");
  }
  EXPECT_FALSE(root["paths"].contains("apis/autoscaling/v1"));  // no kinds to validate there
}

TEST(OpenApi, EveryKindHasAPatchOperationWithFieldValidation) {
  for (const auto& t : api::resource_types()) {
    auto doc = server::openapi_document(server::openapi_gv_key(t.group, t.version));
    ASSERT_TRUE(doc) << t.kind;
    std::string base = "/" + server::openapi_gv_key(t.group, t.version);
    std::string path = base + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}";
    ASSERT_TRUE((*doc)["paths"].contains(path)) << path;
    const Json& patch = (*doc)["paths"][path]["patch"];
    EXPECT_EQ(patch["x-kubernetes-group-version-kind"],
              (Json{{"group", t.group}, {"version", t.version}, {"kind", t.kind}}));
    bool field_validation = false;
    for (const auto& p : patch["parameters"])
      field_validation = field_validation || (p["name"] == "fieldValidation" && p["in"] == "query");
    EXPECT_TRUE(field_validation) << t.kind;
    // No requestBody: kubectl computes apply patches from its compiled-in strategies.
    EXPECT_FALSE(patch.contains("requestBody"));
  }
  EXPECT_EQ(server::openapi_document("apis/apps/v1")->at("paths").size(), 2u);
}

TEST(OpenApi, V2AndUnknownDocumentsAre404) {
  Api a;
  auto r = a.get("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_of(r)["kind"], "Status");
  EXPECT_EQ(a.get("/openapi/v3/apis/batch/v1").status, 404);
}

// --- the scale subresource -------------------------------------------------------------------

const char* kDeploys = "/apis/apps/v1/namespaces/default/deployments";
const Json kDeployment = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"my-nginx"},
  "spec":{"replicas":2,"selector":{"matchLabels":{"run":"my-nginx","tier":"web"}},
          "template":{"metadata":{"labels":{"run":"my-nginx","tier":"web"}},
                      "spec":{"containers":[{"name":"my-nginx","image":"nginx"}]}}}})");

TEST(Scale, GetAnswersAnAutoscalingV1Scale) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump(), {{"content-type", "application/json"}}).status, 201);
  auto r = a.get(std::string(kDeploys) + "/my-nginx/scale");
  ASSERT_EQ(r.status, 200) << r.body;
  Json s = body_of(r);
  EXPECT_EQ(s["kind"], "Scale");
  EXPECT_EQ(s["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(s["metadata"]["name"], "my-nginx");
  EXPECT_EQ(s["metadata"]["namespace"], "default");
  EXPECT_FALSE(s["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_EQ(s["spec"]["replicas"], 2);
  EXPECT_EQ(s["status"]["replicas"], 0);
  EXPECT_EQ(s["status"]["selector"], "run=my-nginx,tier=web");
  r = a.get(std::string(kDeploys) + "/nope/scale");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_of(r)["message"], "deployments.apps \"nope\" not found");
  // Pods have no scale subresource.
  EXPECT_EQ(a.get("/api/v1/namespaces/default/pods/x/scale").status, 404);
}

TEST(Scale, MergePatchAsKubectlScaleSendsIt) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump()).status, 201);
  auto r = a.call("PATCH", std::string(kDeploys) + "/my-nginx/scale", R"({"spec":{"replicas":0}})",
                  {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 0);
  EXPECT_EQ(body_of(a.get(std::string(kDeploys) + "/my-nginx"))["spec"]["replicas"], 0);
  // JSON patch too.
  r = a.call("PATCH", std::string(kDeploys) + "/my-nginx/scale", R"([{"op":"replace","path":"/spec/replicas","value":3}])",
             {{"content-type", "application/json-patch+json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(a.get(std::string(kDeploys) + "/my-nginx"))["spec"]["replicas"], 3);
}

TEST(Scale, PutWithoutContentTypeAndAStaleVersionIs409) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump()).status, 201);
  Json scale = body_of(a.get(std::string(kDeploys) + "/my-nginx/scale"));
  const std::string rv = scale["metadata"]["resourceVersion"];
  scale["spec"]["replicas"] = 4;
  auto r = a.call("PUT", std::string(kDeploys) + "/my-nginx/scale", scale.dump());  // no Content-Type
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["spec"]["replicas"], 4);
  EXPECT_NE(body_of(r)["metadata"]["resourceVersion"], rv);
  // The same Scale again: its resourceVersion is gone.
  scale["spec"]["replicas"] = 5;
  r = a.call("PUT", std::string(kDeploys) + "/my-nginx/scale", scale.dump());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(body_of(r)["reason"], "Conflict");
  EXPECT_EQ(body_of(r)["message"],
            "Operation cannot be fulfilled on deployments.apps \"my-nginx\": the object has been modified; "
            "please apply your changes to the latest version and try again");
  EXPECT_EQ(body_of(a.get(std::string(kDeploys) + "/my-nginx"))["spec"]["replicas"], 4);
  // A stale version in a patch is a precondition too.
  r = a.call("PATCH", std::string(kDeploys) + "/my-nginx/scale",
             Json{{"metadata", {{"resourceVersion", rv}}}, {"spec", {{"replicas", 1}}}}.dump(),
             {{"content-type", "application/merge-patch+json"}});
  EXPECT_EQ(r.status, 409) << r.body;
}

TEST(Scale, BadScalesChangeNothing) {
  Api a;
  ASSERT_EQ(a.call("POST", kDeploys, kDeployment.dump()).status, 201);
  const std::string path = std::string(kDeploys) + "/my-nginx/scale";
  auto r = a.call("PATCH", path, R"({"spec":{"replicas":-1}})", {{"content-type", "application/merge-patch+json"}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(body_of(r)["message"],
            "Scale.autoscaling \"my-nginx\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  r = a.call("PATCH", path, R"({"spec":{"replicas":"many"}})", {{"content-type", "application/merge-patch+json"}});
  EXPECT_EQ(r.status, 400) << r.body;
  r = a.call("PUT", path, R"({"kind":"Scale","metadata":{"name":"other"},"spec":{"replicas":1}})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = a.call("PUT", path, "not json");
  EXPECT_EQ(r.status, 400) << r.body;
  r = a.call("PATCH", path, R"({"spec":{"replicas":1}})", {{"content-type", "text/plain"}});
  EXPECT_EQ(r.status, 415) << r.body;
  r = a.call("DELETE", path);
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(body_of(a.get(std::string(kDeploys) + "/my-nginx"))["spec"]["replicas"], 2);
}

TEST(Scale, ReplicaSetsScaleToo) {
  Api a;
  Json rs = kDeployment;
  rs["kind"] = "ReplicaSet";
  rs["metadata"]["name"] = "web";
  ASSERT_EQ(a.call("POST", "/apis/apps/v1/namespaces/default/replicasets", rs.dump()).status, 201);
  auto r = a.call("PATCH", "/apis/apps/v1/namespaces/default/replicasets/web/scale", R"({"spec":{"replicas":1}})",
                  {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(a.get("/apis/apps/v1/namespaces/default/replicasets/web"))["spec"]["replicas"], 1);
}

}  // namespace
