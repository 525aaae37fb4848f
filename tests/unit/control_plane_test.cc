// Store bookkeeping, the Deployment controller's naming, the scheduler's spreading and the API
// server's routes and Status errors, all without a kernel: the controllers run on informers,
// driven key by key on the test's thread.
#include <gtest/gtest.h>

#include <regex>

#include "lab/controllers/deployment.h"
#include "lab/controllers/manager.h"
#include "lab/controllers/scheduler.h"
#include "lab/server/api_server.h"
#include "lab/store/store.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

Json deployment(int replicas) {
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"my-nginx","namespace":"default"},
    "spec":{"replicas":)" + std::to_string(replicas) + R"(,"selector":{"matchLabels":{"run":"my-nginx"}},
      "template":{"metadata":{"labels":{"run":"my-nginx"}},
                  "spec":{"containers":[{"name":"my-nginx","image":"nginx"}]}}}})");
}

// A control plane without threads: registry, informers (following the store on their thread)
// and controllers drained on the test's thread.
struct Plane {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  controllers::ControllerManager manager{registry, informers, {{"node-1", "node-2"}, {}}};
  Plane() { informers.start(); }
  void settle() {
    informers.wait_synced(st.version(), 1000);
    manager.run_until_idle();
  }
};

}  // namespace

TEST(Store, StampsMetadataAndRefusesDuplicates) {
  store::Store st;
  auto a = st.create(deployment(1));
  ASSERT_TRUE(a);
  EXPECT_TRUE((*a)["metadata"].contains("uid"));
  EXPECT_TRUE((*a)["metadata"].contains("creationTimestamp"));
  EXPECT_TRUE((*a)["metadata"].contains("resourceVersion"));
  auto b = st.create(deployment(1));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().reason, Reason::AlreadyExists);
  EXPECT_EQ(b.error().message, "deployments.apps \"my-nginx\" already exists");
}

TEST(DeploymentController, NamesFollowKubernetes) {
  Plane plane;
  auto& st = plane.st;
  auto dep = plane.registry.create(deployment(3));
  ASSERT_TRUE(dep);
  plane.settle();
  auto rs = st.list("ReplicaSet", "default");
  ASSERT_EQ(rs.size(), 1u);
  std::string hash = controllers::pod_template_hash((*dep)["spec"]["template"]);
  EXPECT_EQ(rs[0]["metadata"]["name"], "my-nginx-" + hash);
  auto pods = st.list("Pod", "default");
  ASSERT_EQ(pods.size(), 3u);
  std::regex name("my-nginx-" + hash + "-[bcdfghjklmnpqrstvwxz2456789]{5}");
  for (const auto& p : pods) {
    EXPECT_TRUE(std::regex_match(p["metadata"]["name"].get<std::string>(), name)) << p["metadata"]["name"];
    EXPECT_EQ(p["metadata"]["labels"]["pod-template-hash"], hash);
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
  }
  // Reconciling again creates nothing more.
  plane.settle();
  EXPECT_EQ(st.list("Pod", "default").size(), 3u);
}

TEST(DeploymentController, AnObjectOfTheWrongShapeFailsItsPassWithoutThrowing) {
  // The store only holds validated objects; one that is not (an older daemon's) must fail the
  // reconcile with an error, not throw out of the controller's reads.
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  controllers::Context ctx{registry, informers, {{"node-1"}, {}}};
  for (const char* text : {R"({"metadata":{"name":"d"},"spec":"oops"})",
                           R"({"metadata":{"name":"d","uid":7},"spec":{"replicas":"2","strategy":[],"template":5,
                               "selector":{"matchLabels":"x"}},"status":{"replicas":"1","conditions":{}}})",
                           R"({"metadata":[],"spec":{"template":{"metadata":{"labels":[]}}}})"}) {
    Result<void> r;
    EXPECT_NO_THROW(r = controllers::DeploymentController::reconcile(ctx, Json::parse(text))) << text;
    EXPECT_FALSE(r) << text;
  }
  EXPECT_TRUE(st.list("ReplicaSet", "default").empty());
}

TEST(DeploymentController, TheDeploymentCarriesItsRevisionAndRollsBackByPatch) {
  Plane plane;
  auto& st = plane.st;
  ASSERT_TRUE(plane.registry.create(deployment(1)));
  plane.settle();
  auto revision = [&] {
    auto d = st.get("Deployment", "default", "my-nginx");
    return d ? (*d)["metadata"]["annotations"].value("deployment.kubernetes.io/revision", "") : "";
  };
  EXPECT_EQ(revision(), "1");
  const Json first_template = (*st.get("Deployment", "default", "my-nginx"))["spec"]["template"];
  const Json set_image = Json::parse(
      R"({"spec":{"template":{"spec":{"containers":[{"name":"my-nginx","image":"nginx:1.27"}]}}}})");
  ASSERT_TRUE(plane.registry.patch("Deployment", "default", "my-nginx", set_image, false, store::PatchType::Strategic));
  plane.settle();
  EXPECT_EQ(revision(), "2");
  // `kubectl rollout undo`: a JSON patch replacing the template and the annotations with the
  // earlier ReplicaSet's; replacing /metadata/annotations needs them to exist.
  // The template as kubectl's Go structs write it: creationTimestamp null, resources {}.
  Json sent_template = first_template;
  sent_template["metadata"]["creationTimestamp"] = nullptr;
  sent_template["spec"]["containers"][0]["resources"] = Json::object();
  const Json undo = Json::array({{{"op", "replace"}, {"path", "/spec/template"}, {"value", sent_template}},
                                 {{"op", "replace"}, {"path", "/metadata/annotations"},
                                  {"value", {{"deployment.kubernetes.io/revision", "1"}}}}});
  ASSERT_TRUE(plane.registry.patch("Deployment", "default", "my-nginx", undo, false, store::PatchType::Json));
  plane.settle();
  EXPECT_EQ(revision(), "3");  // the first ReplicaSet is the newest revision again
  EXPECT_EQ(st.list("ReplicaSet", "default").size(), 2u);
}

TEST(Scheduler, SpreadsAWorkloadAcrossNodes) {
  Plane plane;
  auto& st = plane.st;
  ASSERT_TRUE(plane.registry.create(deployment(4)));
  plane.settle();
  int on1 = 0, on2 = 0;
  for (const auto& p : st.list("Pod", "")) (p["spec"]["nodeName"] == "node-1" ? on1 : on2)++;
  EXPECT_EQ(on1, 2);
  EXPECT_EQ(on2, 2);
}

TEST(Scheduler, HonoursNodeNameAndRefusesUnknownNodes) {
  store::Store st;
  store::InformerFactory informers(st);
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", {{"nodeName", "node-9"}}}};
  auto r = controllers::choose_node(informers.informer("Pod"), pod, {"node-1"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("node \"node-9\" does not exist"), std::string::npos);
}

TEST(Scheduler, ACordonedNodeGetsNoPodsButThoseThatTolerateIt) {
  store::Store st;
  store::InformerFactory informers(st);
  auto& pods = informers.informer("Pod");
  pods.add_index(store::kByNode, store::index_by_node);
  informers.start();
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", Json::object()}};
  auto r = controllers::choose_node(pods, pod, {"node-1", "node-2"}, 0, {}, {"node-1"});
  auto none = controllers::choose_node(pods, pod, {"node-1"}, 0, {}, {"node-1"});
  Json tolerant = pod;
  tolerant["spec"]["tolerations"] = Json::parse(R"([{"key":"node.kubernetes.io/unschedulable","operator":"Exists","effect":"NoSchedule"}])");
  auto t = controllers::choose_node(pods, tolerant, {"node-1"}, 0, {}, {"node-1"});
  informers.stop();
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r, "node-2");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "0/1 nodes are available: 1 node(s) were unschedulable.");
  ASSERT_TRUE(t) << t.error().what();
  EXPECT_EQ(*t, "node-1");
}

TEST(Scheduler, ANodeWhosePodAddressesAreTakenGetsNoMorePods) {
  store::Store st;
  store::Registry registry(st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")});
  for (const char* name : {"a", "b"}) {
    Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"nodeName", "node-1"}, {"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}};
    ASSERT_TRUE(registry.create(pod));
  }
  store::InformerFactory informers(st);
  auto& pods = informers.informer("Pod");
  pods.add_index(store::kByNode, store::index_by_node);
  informers.start();
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", Json::object()}};
  auto r = controllers::choose_node(pods, pod, {"node-1", "node-2"}, 2);
  auto full = controllers::choose_node(pods, pod, {"node-1"}, 2);
  informers.stop();
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r, "node-2");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().message, "0/1 nodes are available: 1 Too many pods.");
}

TEST(ApiServer, RoutesAndStatusErrors) {
  store::Store st;
  store::Registry registry(st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")});
  ASSERT_TRUE(registry.create(deployment(1)));
  server::ApiServer api(registry, "test");
  auto list = api.handle({"GET", "/apis/apps/v1/namespaces/default/deployments", {}, ""});
  EXPECT_EQ(list.status, 200);
  auto j = Json::parse(list.body);
  EXPECT_EQ(j["kind"], "DeploymentList");
  EXPECT_EQ(j["items"].size(), 1u);

  auto missing = api.handle({"GET", "/api/v1/namespaces/default/pods/nope", {}, ""});
  EXPECT_EQ(missing.status, 404);
  auto status = Json::parse(missing.body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["message"], "pods \"nope\" not found");

  auto selected = api.handle({"GET", "/apis/apps/v1/deployments", {{"labelSelector", "x=y"}}, ""});
  EXPECT_EQ(Json::parse(selected.body)["items"].size(), 0u);
  EXPECT_EQ(api.handle({"GET", "/api/v1/things", {}, ""}).status, 404);
}
