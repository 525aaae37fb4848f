// The kubelet's pod sync against a real registry and informers but no kernel: the node netns it
// names does not exist, so a start fails the way a broken node would, and what the kubelet then
// writes (through the status subresource, never touching spec or metadata) is checked. Also the
// removal of a terminating pod it does not run, and pods of other nodes left alone.
#include <gtest/gtest.h>

#include <thread>

#include "lab/node/kubelet.h"
#include "tests/unit/kubelet_fixture.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

// A pod bound to node ("" = not scheduled yet).
Json pod(const std::string& name, const std::string& node) {
  Json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
            {"spec", {{"containers", Json::array({{{"name", "web"}, {"image", "nginx"}}})}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

struct Node {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  node::Kubelet kubelet{lab::fixture::kernelless_lab("unit-kubelet"), "/bin/false", registry, informers};
  Node() { informers.start(); }
  Json get(const std::string& name) {
    auto p = st.get("Pod", "default", name);
    return p ? *p : Json();
  }
  bool has_event(const std::string& reason) {
    for (const auto& e : st.list("Event", ""))
      if (e.value("reason", "") == reason && e["source"].value("component", "") == "kubelet") return true;
    return false;
  }
};

}  // namespace

TEST(KubeletSync, AStartFailureWritesFailedStatusOnly) {
  Node n;
  auto created = n.registry.create(pod("web", "node-1"));
  ASSERT_TRUE(created) << created.error().what();
  n.informers.wait_synced(n.st.version(), 1000);
  n.kubelet.sync_pod("default/web");
  Json after = n.get("web");
  EXPECT_EQ(after["status"]["phase"], "Failed");
  EXPECT_EQ(after["status"]["reason"], "StartError");
  EXPECT_NE(after["status"].value("message", "").find("lab-unit-kubelet-no-such-node"), std::string::npos)
      << after["status"].dump();
  EXPECT_EQ(after["spec"], (*created)["spec"]);
  EXPECT_EQ(after["metadata"]["labels"], (*created)["metadata"]["labels"]);
  EXPECT_EQ(after["metadata"]["uid"], (*created)["metadata"]["uid"]);
  EXPECT_TRUE(n.has_event("Failed"));
  EXPECT_EQ(n.kubelet.running_count(), 0u);
  // A failed pod is not started again.
  n.informers.wait_synced(n.st.version(), 1000);
  n.kubelet.sync_pod("default/web");
  EXPECT_EQ(n.get("web")["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);
  auto counts = n.kubelet.pod_counts();
  EXPECT_EQ(counts.failed, 1u);
  EXPECT_EQ(counts.running, 0u);
}

TEST(KubeletSync, ATerminatingPodItDoesNotRunIsRemoved) {
  Node n;
  ASSERT_TRUE(n.registry.create(pod("web", "node-1")));
  auto marked = n.registry.remove("Pod", "default", "web");
  ASSERT_TRUE(marked) << marked.error().what();
  ASSERT_TRUE((*marked)["metadata"].contains("deletionTimestamp"));
  n.informers.wait_synced(n.st.version(), 1000);
  n.kubelet.sync_pod("default/web");
  EXPECT_TRUE(n.get("web").is_null());
}

TEST(KubeletSync, PodsOfOtherNodesAreLeftAlone) {
  Node n;
  ASSERT_TRUE(n.registry.create(pod("elsewhere", "node-9")));
  ASSERT_TRUE(n.registry.create(pod("unbound", "")));
  Json before = n.get("elsewhere");
  n.informers.wait_synced(n.st.version(), 1000);
  n.kubelet.sync_pod("default/elsewhere");
  n.kubelet.sync_pod("default/unbound");
  EXPECT_EQ(n.get("elsewhere"), before);
  EXPECT_EQ(n.get("unbound")["status"]["phase"], "Pending");
  EXPECT_EQ(n.kubelet.pod_counts().pending, 2u);
}

TEST(KubeletSync, WorkersPickUpPodsFromTheInformer) {
  Node n;
  ASSERT_TRUE(n.kubelet.start(2));
  ASSERT_TRUE(n.registry.create(pod("a", "node-1")));
  ASSERT_TRUE(n.registry.create(pod("b", "node-1")));
  for (int i = 0; i < 500; ++i) {
    if (n.get("a")["status"].value("phase", "") == "Failed" && n.get("b")["status"].value("phase", "") == "Failed")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(n.get("a")["status"]["phase"], "Failed");
  EXPECT_EQ(n.get("b")["status"]["phase"], "Failed");
  n.kubelet.stop();
}

TEST(KubeletSync, NodesAreRegisteredWithTheirStatus) {
  Node n;
  // What the daemon's seed does: a create, which drops the status (Node has a status subresource).
  ASSERT_TRUE(n.registry.create(n.kubelet.node_objects()[0]));
  ASSERT_TRUE(n.kubelet.register_nodes());
  auto node = n.st.get("Node", "", "node-1");
  ASSERT_TRUE(node);
  EXPECT_EQ((*node)["status"]["addresses"][0]["address"], "172.18.0.2");
  EXPECT_EQ((*node)["status"]["conditions"][0]["type"], "Ready");
  EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/hostname"], "node-1");
  // Again (a restarted daemon): nothing to write, the Ready condition keeps its time.
  ASSERT_TRUE(n.kubelet.register_nodes());
  EXPECT_EQ(n.st.get("Node", "", "node-1")->at("metadata").at("resourceVersion"),
            (*node)["metadata"]["resourceVersion"]);
}
