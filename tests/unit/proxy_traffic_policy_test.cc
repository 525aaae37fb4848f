// Unit tests for the traffic policies in lab/proxy/rules (internalTrafficPolicy and
// externalTrafficPolicy Local): the local endpoints kube-proxy's CategorizeEndpoints picks, the
// chains and drop elements a node gets with and without local endpoints, and diffs between them
// (the kernel test checks that those diffs give the table a full load gives).
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "lab/proxy/rules.h"
#include "tests/unit/nft_text.h"

namespace lab::proxy {
namespace {

using lab::testing::HasLine;
using lab::testing::has_line;
using lab::testing::lines_of;

// The rules of chain `name` in a full ruleset.
std::vector<std::string> chain_rules(const std::string& text, const std::string& name) {
  auto ls = lines_of(text);
  auto at = std::find(ls.begin(), ls.end(), "chain " + name + " {");
  std::vector<std::string> out;
  if (at == ls.end()) return {"<no chain " + name + ">"};
  for (++at; at != ls.end() && *at != "}"; ++at) out.push_back(*at);
  return out;
}

// One endpoint on node-a (10.244.1.5), one on node-b (10.244.2.7).
ServicePort web() {
  ServicePort sp;
  sp.ns = "default";
  sp.service = "web";
  sp.port_name = "http";
  sp.cluster_ip = "10.96.0.20";
  sp.port = 80;
  sp.endpoints = {{"10.244.1.5", 8080, true, true, false, "node-a"}, {"10.244.2.7", 8080, true, true, false, "node-b"}};
  return sp;
}

NodeView view(const std::string& node, std::vector<ServicePort> ports) {
  NodeView v;
  v.node_ips = {"172.18.0.2"};
  v.pod_cidr = "10.244.0.0/16";
  v.service_cidr = "10.96.0.0/12";
  v.node_name = node;
  v.ports = std::move(ports);
  return v;
}

using lab::testing::full;

TEST(ProxyTrafficPolicy, LocalEndpointsAsCategorizeEndpoints) {
  ServicePort sp = web();
  sp.endpoints.push_back({"10.244.1.9", 8080, false, true, true, "node-a"});  // terminating on node-a
  auto a = local_endpoints(sp, "node-a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].ip, "10.244.1.5");
  EXPECT_TRUE(local_endpoints(sp, "node-c").empty());
  EXPECT_TRUE(local_endpoints(sp, "").empty());
  // All local ones terminating (but serving): those, although node-b has a ready one.
  sp.endpoints[0].ready = false;
  sp.endpoints[0].terminating = true;
  a = local_endpoints(sp, "node-a");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].ip, "10.244.1.5");
  EXPECT_EQ(a[1].ip, "10.244.1.9");
  // Terminating and no longer serving: never.
  sp.endpoints[0].serving = false;
  EXPECT_EQ(local_endpoints(sp, "node-a").size(), 1u);
  // The endpoint without a node is nobody's.
  sp.endpoints.push_back({"10.244.3.3", 8080});
  EXPECT_TRUE(local_endpoints(sp, "").empty());

  ServicePort plain = web();
  EXPECT_FALSE(uses_local_endpoints(plain));
  plain.external_local = true;  // no NodePort, no LoadBalancer IP: nothing external
  EXPECT_FALSE(uses_local_endpoints(plain));
  plain.node_port = 30080;
  EXPECT_TRUE(uses_local_endpoints(plain));
  ServicePort itp = web();
  itp.internal_local = true;
  EXPECT_TRUE(uses_local_endpoints(itp));
}

TEST(ProxyTrafficPolicy, InternalLocalUsesThisNodesEndpointsOrDrops) {
  ServicePort sp = web();
  sp.internal_local = true;
  const std::string svc = service_chain_name(sp), loc = local_chain_name(sp);
  EXPECT_EQ(loc.substr(0, 6), "local-");

  std::string a = full(view("node-a", {sp}));
  EXPECT_TRUE(HasLine(a, "10.96.0.20 . tcp . 80 : goto " + loc));
  EXPECT_EQ(chain_rules(a, loc), std::vector<std::string>{"ct mark set numgen random mod 1 offset 6144"});
  EXPECT_TRUE(HasLine(a, "6144 : 10.244.1.5 . 8080"));
  EXPECT_EQ(a.find(": drop"), std::string::npos);

  // node-b's endpoint is its own; node-c has none: the ClusterIP is dropped there (kube-proxy's
  // internalTrafficFilterVerdict), not rejected and not sent to another node.
  std::string c = full(view("node-c", {sp}));
  EXPECT_TRUE(chain_rules(c, loc).empty());
  EXPECT_TRUE(HasLine(c, "10.96.0.20 . tcp . 80 : drop"));
  EXPECT_EQ(c.find("goto reject-chain,"), std::string::npos);
  EXPECT_EQ(c.find("6144 :"), std::string::npos);

  // No endpoint anywhere: rejected, as without a policy.
  ServicePort none = sp;
  none.endpoints.clear();
  std::string n = full(view("node-a", {none}));
  EXPECT_TRUE(HasLine(n, "10.96.0.20 . tcp . 80 : goto reject-chain"));
  EXPECT_EQ(n.find(": drop"), std::string::npos);
}

TEST(ProxyTrafficPolicy, ExternalLocalKeepsTheClientAddress) {
  ServicePort sp = web();
  sp.node_port = 30080;
  sp.lb_ips = {"172.18.255.200"};
  sp.external_local = true;
  const std::string svc = service_chain_name(sp), ext = external_chain_name(sp), loc = local_chain_name(sp);
  std::string a = full(view("node-a", {sp}));
  // ClusterIP traffic keeps the Cluster policy.
  EXPECT_TRUE(HasLine(a, "10.96.0.20 . tcp . 80 : goto " + svc + ","));
  EXPECT_EQ(chain_rules(a, svc), std::vector<std::string>{"ct mark set numgen random mod 2 offset 4096"});
  // External: pods and the node itself short-circuit to the Cluster chain (the node's own traffic
  // masqueraded); everyone else goes to the local endpoints, unmarked: no masquerade.
  EXPECT_EQ(chain_rules(a, ext), (std::vector<std::string>{
                                     "ip saddr 10.244.0.0/16 goto " + svc,
                                     "fib saddr type local meta mark set meta mark | 0x4000 goto " + svc,
                                     "goto " + loc,
                                 }));
  EXPECT_EQ(chain_rules(a, loc), std::vector<std::string>{"ct mark set numgen random mod 1 offset 6144"});
  // The node-wide masquerade of non-pod sources is for ClusterIPs only.
  EXPECT_TRUE(HasLine(a, "ip saddr != 10.244.0.0/16 ip daddr 10.96.0.0/12 meta mark set meta mark | 0x4000"));

  // A node without local endpoints drops what the short-circuit did not take.
  std::string c = full(view("node-c", {sp}));
  EXPECT_TRUE(HasLine(c, "172.18.255.200 . tcp . 80 : drop"));
  EXPECT_TRUE(HasLine(c, "tcp . 30080 : drop"));
  EXPECT_TRUE(chain_rules(c, loc).empty());
  EXPECT_EQ(c.find("10.96.0.20 . tcp . 80 : drop"), std::string::npos);  // ClusterIP still served

  // Cluster policy: always masqueraded, no local chain.
  ServicePort cluster = sp;
  cluster.external_local = false;
  std::string cl = full(view("node-c", {cluster}));
  EXPECT_EQ(chain_rules(cl, ext), std::vector<std::string>{"meta mark set meta mark | 0x4000 goto " + svc});
  EXPECT_EQ(cl.find("chain " + loc), std::string::npos);
  EXPECT_EQ(cl.find(": drop"), std::string::npos);
}

TEST(ProxyTrafficPolicy, SessionAffinityHasALocalMapToo) {
  ServicePort sp = web();
  sp.internal_local = true;
  sp.affinity_client_ip = true;
  std::string a = full(view("node-a", {sp}));
  const std::string loc = local_chain_name(sp), map = local_affinity_map_name(sp);
  EXPECT_EQ(chain_rules(a, loc), (std::vector<std::string>{
                                     "jump " + local_pick_chain_name(sp),
                                     "ct mark set ip saddr map @" + map,
                                     "ct mark != 0 update @" + map + " { ip saddr : ct mark }",
                                 }));
  EXPECT_EQ(chain_rules(a, local_pick_chain_name(sp)),
            std::vector<std::string>{"ct mark set numgen random mod 1 offset 6144"});
  EXPECT_TRUE(HasLine(a, "map " + map + " {"));
}

TEST(ProxyTrafficPolicy, DiffsBetweenLocalAndNone) {
  ServicePort sp = web();
  sp.node_port = 30080;
  sp.external_local = true;
  sp.internal_local = true;
  NodeView before = view("node-a", {sp});
  NodeView after = before;
  after.ports[0].endpoints.erase(after.ports[0].endpoints.begin());  // node-a's endpoint went
  const std::string t = " ip lab-proxy ", loc = local_chain_name(sp);
  auto d = diff_ruleset(before, after);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_TRUE(HasLine(*d, "flush chain" + t + loc));
  EXPECT_TRUE(HasLine(*d, "add element" + t + "no-endpoint-services { 10.96.0.20 . tcp . 80 : drop }"));
  EXPECT_TRUE(HasLine(*d, "add element" + t + "no-endpoint-nodeports { tcp . 30080 : drop }"));
  EXPECT_TRUE(HasLine(*d, "delete element" + t + "endpoints-tcp { 6144 }"));
  // Not an endpoint-only change the fast path could send: the text diff does it.
  EndpointSlots slots;
  slots.assign(sp.identity());
  EXPECT_FALSE(endpoint_updates(before, after, slots).has_value());
  // A policy change is not one either, even with the same endpoints.
  NodeView cluster = before;
  cluster.ports[0].internal_local = cluster.ports[0].external_local = false;
  EXPECT_FALSE(endpoint_updates(before, cluster, slots).has_value());
  auto back = diff_ruleset(before, cluster);
  ASSERT_TRUE(back);
  EXPECT_TRUE(HasLine(*back, "delete chain" + t + loc));
  // Another node name is another table: a full load.
  NodeView other = before;
  other.node_name = "node-b";
  auto reload = diff_ruleset(before, other);
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->rfind("add table ip lab-proxy\ndelete table ip lab-proxy\n", 0), 0u);
}

}  // namespace
}  // namespace lab::proxy
