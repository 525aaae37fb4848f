// Kernel tests for the proxy (root; the binary moves itself into a private netns first): after
// every sync, fast path or text diff, the table the kernel holds must be the one a fresh full
// load of the same view gives.
#include <sched.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "lab/proxy/proxier.h"
#include "lab/proxy/rules.h"
#include "netns/nft.h"

namespace lab::proxy {
namespace {

// `nft list table` with the table's name replaced and each elements = { ... } block sorted
// (the kernel lists hash sets in its own order). The hairpin set is returned apart: diffs only
// ever add to it.
struct Listing {
  std::string text;
  std::vector<std::string> hairpin;
};

std::vector<std::string> split_elements(const std::string& block) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : block + ",") {
    if (c == ',') {
      size_t b = cur.find_first_not_of(" \t\n"), e = cur.find_last_not_of(" \t\n");
      if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Sorts the blocks of text[first, last), each starting with one of `starts`.
void sort_blocks(std::string& text, size_t first, size_t last, const std::vector<std::string>& starts) {
  std::vector<std::string> blocks;
  for (size_t at = first; at < last;) {
    size_t next = last;
    for (const auto& s : starts) next = std::min(next, text.find(s, at + 1));
    blocks.push_back(text.substr(at, next - at));
    at = next;
  }
  std::sort(blocks.begin(), blocks.end());
  std::string sorted;
  for (const auto& b : blocks) sorted += b;
  text = text.substr(0, first) + sorted + text.substr(last);
}

Listing list(net::NftContext& nft, const std::string& table) {
  auto out = nft.run("list table ip " + table);
  EXPECT_TRUE(out) << (out ? "" : out.error().what());
  std::string s = out.value_or("");
  Listing l;
  size_t pos = 0;
  bool in_hairpin = false;
  while (pos < s.size()) {
    size_t el = s.find("elements = {", pos);
    if (el == std::string::npos) break;
    size_t decl = std::max(s.rfind("\tset ", el) + 1, s.rfind("\tmap ", el) + 1);  // npos + 1 == 0
    in_hairpin = decl > 0 && s.compare(decl - 1, 13, "\tset hairpin ") == 0;
    size_t end = s.find('}', el);
    auto elems = split_elements(s.substr(el + 12, end - el - 12));
    l.text += s.substr(pos, el - pos);
    if (in_hairpin) {
      l.hairpin = elems;
      l.text += "elements = <hairpin>";
    } else {
      l.text += "elements = {";
      for (const auto& e : elems) l.text += " " + e;
    }
    pos = end;
  }
  l.text += s.substr(std::min(pos, s.size()));
  // A full load without endpoints has no hairpin elements, while diffs leave theirs behind.
  const std::string bare_hairpin = "\tset hairpin {\n\t\ttype ipv4_addr . ipv4_addr\n\t}";
  if (size_t at = l.text.find(bare_hairpin); at != std::string::npos)
    l.text.replace(at, bare_hairpin.size(), "\tset hairpin {\n\t\ttype ipv4_addr . ipv4_addr\n\t\telements = <hairpin>}\n\t}");
  for (size_t at; (at = l.text.find("table ip " + table + " ")) != std::string::npos;) l.text.replace(at, 9 + table.size(), "table ip T");
  // Sets and maps, then chains, in name order: the kernel lists them in the order they were
  // made, and one made by a diff (a port's firewall set, its local chain when its policy goes
  // Cluster and back) comes last.
  const size_t chains_at = l.text.find("\n\tchain ");
  if (size_t first = std::min(l.text.find("\n\tset "), l.text.find("\n\tmap ")); first < chains_at)
    sort_blocks(l.text, first, chains_at, {"\n\tset ", "\n\tmap "});
  if (size_t first = l.text.find("\n\tchain "); first != std::string::npos)
    sort_blocks(l.text, first, l.text.rfind("\n}") + 1, {"\n\tchain "});  // each block with its newline
  return l;
}

ServicePort port(const std::string& name, const std::string& proto, const std::string& ip, int p,
                 std::vector<Endpoint> eps) {
  ServicePort sp;
  sp.ns = "default";
  sp.service = name;
  sp.port_name = "p";
  sp.protocol = proto;
  sp.cluster_ip = ip;
  sp.port = p;
  sp.endpoints = std::move(eps);
  return sp;
}

NodeView base_view(const std::string& table) {
  NodeView v;
  v.table = table;
  v.node_ips = {"172.18.0.2"};
  v.pod_cidr = "10.244.0.0/16";
  v.service_cidr = "10.96.0.0/12";
  ServicePort web = port("web", "TCP", "10.96.0.20", 80, {{"10.244.1.5", 8080}, {"10.244.2.7", 8080}});
  web.node_port = 30080;
  web.lb_ips = {"172.18.255.200"};
  ServicePort sticky = port("sticky", "TCP", "10.96.0.40", 80, {{"10.244.1.5", 8080}, {"10.244.1.6", 8080}});
  sticky.affinity_client_ip = true;
  v.ports = {web, port("dns", "UDP", "10.96.0.10", 53, {{"10.244.1.53", 53}}), sticky,
             port("empty", "TCP", "10.96.0.30", 80, {})};
  return v;
}

class ProxyKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Proxier::open_here();
    ASSERT_TRUE(p) << p.error().what();
    proxier_.emplace(std::move(*p));
    auto c = net::NftContext::open_here();
    ASSERT_TRUE(c);
    check_.emplace(std::move(*c));
  }
  void TearDown() override {
    if (proxier_) (void)proxier_->cleanup();
    if (check_) (void)check_->run("add table ip check\ndelete table ip check\n");
  }

  // Syncs `v` through the proxier, then compares with a full load of it in table "check" that
  // numbers the ports' endpoints as the proxier does (its diffs reuse freed numbers).
  void sync_and_compare(const NodeView& v, Proxier::SyncInfo::Kind expected, const char* step) {
    SCOPED_TRACE(step);
    auto ok = proxier_->sync(v);
    ASSERT_TRUE(ok) << ok.error().what();
    EXPECT_EQ(proxier_->last_sync().kind, expected);
    NodeView fresh = v;
    fresh.table = "check";
    EndpointSlots slots = proxier_->slots();
    auto text = full_ruleset(fresh, slots);
    ASSERT_TRUE(text) << text.error().what();
    auto loaded = check_->run(*text);
    ASSERT_TRUE(loaded) << loaded.error().what();
    Listing got = list(*check_, v.table), want = list(*check_, "check");
    EXPECT_EQ(got.text, want.text);
    for (const auto& e : want.hairpin)
      EXPECT_NE(std::find(got.hairpin.begin(), got.hairpin.end(), e), got.hairpin.end()) << "hairpin lacks " << e;
  }

  std::optional<Proxier> proxier_;
  std::optional<net::NftContext> check_;
};

TEST_F(ProxyKernel, FastPathAndTextDiffsGiveTheTableAFullLoadGives) {
  using K = Proxier::SyncInfo;
  NodeView v = base_view("lab-proxy");
  sync_and_compare(v, K::kFull, "full load");

  v.ports[0].endpoints[1].ip = "10.244.2.9";  // a pod replaced: elements only
  sync_and_compare(v, K::kEndpoints, "endpoint replaced");
  v.ports[0].endpoints.push_back({"10.244.3.3", 8080});  // scaled up: the pick rule too
  sync_and_compare(v, K::kEndpoints, "endpoint added");
  v.ports[0].endpoints[0].ready = false;
  v.ports[1].endpoints.push_back({"10.244.2.53", 53});  // two services in one batch
  sync_and_compare(v, K::kEndpoints, "one not ready, one added");
  v.ports[0].endpoints.resize(1);
  v.ports[0].endpoints[0].ready = true;
  sync_and_compare(v, K::kEndpoints, "down to one");
  v.ports[2].endpoints.push_back({"10.244.1.7", 8080});  // affinity: numbers kept, map kept
  sync_and_compare(v, K::kEndpoints, "affinity endpoint added");
  v.ports[2].endpoints.erase(v.ports[2].endpoints.begin());  // numbers move: the map is emptied
  sync_and_compare(v, K::kEndpoints, "affinity endpoint removed");
  v.ports[1].endpoints.clear();  // to none: reject elements instead of endpoint elements
  sync_and_compare(v, K::kEndpoints, "dns without endpoints");

  // A service goes and another comes in one sync: the new one reuses the slot, and later
  // endpoint changes of it take the fast path.
  v.ports.erase(v.ports.begin());
  v.ports.push_back(port("web2", "TCP", "10.96.0.21", 80, {{"10.244.4.4", 80}}));
  sync_and_compare(v, K::kDiff, "service swapped");
  v.ports.back().endpoints.push_back({"10.244.4.5", 80});
  sync_and_compare(v, K::kEndpoints, "endpoint of the new service");
}

// Every kind of port (ClusterIP, NodePort, LoadBalancer IP; TCP and UDP; with and without
// session affinity) between no endpoints and some: element changes and the service chain's
// rules, all on the fast path, and the table equal to a full load after each step.
TEST_F(ProxyKernel, ZeroToSomeEndpointsTakeTheFastPath) {
  using K = Proxier::SyncInfo;
  NodeView v = base_view("lab-proxy");
  ServicePort udp_np = port("udp-np", "UDP", "10.96.0.50", 5353, {{"10.244.5.1", 53}});
  udp_np.node_port = 30053;
  udp_np.lb_ips = {"172.18.255.201", "172.18.255.202"};
  udp_np.affinity_client_ip = true;
  udp_np.affinity_timeout = 30;
  ServicePort tcp_lb = port("tcp-lb", "TCP", "10.96.0.60", 443, {});
  tcp_lb.lb_ips = {"172.18.255.203"};
  v.ports.push_back(udp_np);
  v.ports.push_back(tcp_lb);
  sync_and_compare(v, K::kFull, "full load");
  const std::vector<Endpoint> one = {{"10.244.6.1", 8443}};
  const std::vector<Endpoint> three = {{"10.244.6.3", 8443}, {"10.244.6.1", 8443}, {"10.244.6.2", 8443}};

  for (size_t i = 0; i < v.ports.size(); ++i) {
    const std::string name = v.ports[i].service;
    const std::vector<Endpoint> original = v.ports[i].endpoints;
    v.ports[i].endpoints.clear();
    sync_and_compare(v, original.empty() ? K::kDiff : K::kEndpoints, (name + ": N->0").c_str());
    v.ports[i].endpoints = one;
    sync_and_compare(v, K::kEndpoints, (name + ": 0->1").c_str());
    v.ports[i].endpoints.clear();
    sync_and_compare(v, K::kEndpoints, (name + ": 1->0").c_str());
    v.ports[i].endpoints = three;
    sync_and_compare(v, K::kEndpoints, (name + ": 0->3").c_str());
    v.ports[i].endpoints[1].ready = false;  // 3->2 by readiness
    sync_and_compare(v, K::kEndpoints, (name + ": 3->2").c_str());
    v.ports[i].endpoints.clear();
    sync_and_compare(v, K::kEndpoints, (name + ": 2->0").c_str());
    v.ports[i].endpoints = original;
    sync_and_compare(v, original.empty() ? K::kDiff : K::kEndpoints, (name + ": back").c_str());
  }
  // All at once, both ways, in one batch each.
  NodeView none = v;
  for (auto& sp : none.ports) sp.endpoints.clear();
  sync_and_compare(none, K::kEndpoints, "all to none");
  for (auto& sp : v.ports) sp.endpoints = three;
  sync_and_compare(v, K::kEndpoints, "all to three");
  // Only a not-ready endpoint left: none usable.
  for (auto& sp : v.ports) sp.endpoints = {{"10.244.7.1", 80, false, false, false}};
  sync_and_compare(v, K::kEndpoints, "only not ready");
}

// One pod's readiness across 150 Services (bench/endpoints.sh's fan-out): 1,050 messages in one
// fast-path batch (per Service 2 endpoints renumbered, 1 gone, the pick rule rewritten), each
// acknowledged. The acknowledgements outgrow the socket's default receive
// buffer (~270 fit): the kernel applied such a batch, its acks were lost to ENOBUFS, and the
// proxier fell back to a text diff of the same change, which the kernel refused, then a full load.
TEST_F(ProxyKernel, AFanOutOfHundredsOfServicesTakesTheFastPath) {
  using K = Proxier::SyncInfo;
  NodeView v = base_view("lab-proxy");
  v.ports.clear();
  const std::vector<Endpoint> four = {{"10.244.1.2", 80}, {"10.244.1.3", 80}, {"10.244.2.2", 80}, {"10.244.2.3", 80}};
  // 150 Services: ~1,050 messages, more acknowledgements than the default receive buffer holds;
  // 500: ~3,500 messages, ~300 KiB, more than the default send buffer takes in one message.
  for (int services : {150, 500, 1000}) {
    v.ports.clear();
    for (int i = 0; i < services; ++i)
      v.ports.push_back(port("web-" + std::to_string(i), "TCP", "10.96." + std::to_string(1 + i / 200) + "." + std::to_string(i % 200 + 1), 80, four));
    sync_and_compare(v, services == 150 ? K::kFull : K::kDiff, "the Services in place");
    for (int round = 0; round < 3; ++round) {
      for (auto& sp : v.ports) sp.endpoints[1].ready = false;
      sync_and_compare(v, K::kEndpoints, "one endpoint not ready in every Service");
      for (auto& sp : v.ports) sp.endpoints[1].ready = true;
      sync_and_compare(v, K::kEndpoints, "ready again in every Service");
    }
  }
}

// Traffic policies Local: the local chains, the drop elements of a node without local
// endpoints, and every way between them and Cluster (text diffs), equal to a full load.
TEST_F(ProxyKernel, TrafficPolicyDiffsGiveTheTableAFullLoadGives) {
  using K = Proxier::SyncInfo;
  NodeView v = base_view("lab-proxy");
  v.node_name = "node-a";
  auto on = [](const std::string& ip, const std::string& node) { return Endpoint{ip, 8080, true, true, false, node}; };
  ServicePort itp = port("itp", "TCP", "10.96.0.70", 80, {on("10.244.1.8", "node-a"), on("10.244.2.8", "node-b")});
  itp.internal_local = true;
  ServicePort etp = port("etp", "TCP", "10.96.0.71", 80, {on("10.244.1.9", "node-a"), on("10.244.2.9", "node-b")});
  etp.external_local = true;
  etp.node_port = 30071;
  etp.lb_ips = {"172.18.255.210"};
  etp.affinity_client_ip = true;
  v.ports.push_back(itp);
  v.ports.push_back(etp);
  sync_and_compare(v, K::kFull, "full load");
  const size_t i = v.ports.size() - 2, e = v.ports.size() - 1;
  v.ports[i].endpoints.erase(v.ports[i].endpoints.begin());  // node-a's endpoint goes: dropped here
  v.ports[e].endpoints.erase(v.ports[e].endpoints.begin());
  sync_and_compare(v, K::kDiff, "no local endpoints");
  v.ports[i].endpoints.push_back({"10.244.1.10", 8080, false, true, true, "node-a"});  // terminating, serving
  v.ports[e].endpoints.push_back(on("10.244.1.11", "node-a"));
  sync_and_compare(v, K::kDiff, "local endpoints again");
  v.ports[i].internal_local = false;  // the policy changes
  v.ports[e].external_local = false;
  sync_and_compare(v, K::kDiff, "to Cluster");
  v.ports[i].internal_local = true;
  v.ports[e].external_local = true;
  sync_and_compare(v, K::kDiff, "back to Local");
  v.ports[e].endpoints.clear();  // none anywhere: rejected
  sync_and_compare(v, K::kDiff, "no endpoints at all");
  v.ports.erase(v.ports.begin() + static_cast<long>(i), v.ports.end());
  sync_and_compare(v, K::kDiff, "removed");
}

TEST_F(ProxyKernel, HostPortDiffsGiveTheTableAFullLoadGives) {
  using K = Proxier::SyncInfo;
  NodeView v = base_view("lab-proxy");
  sync_and_compare(v, K::kFull, "full load");
  v.host_ports.push_back({"TCP", "", 8080, "10.244.1.5", 80});
  sync_and_compare(v, K::kDiff, "a mapping added");
  v.host_ports.push_back({"UDP", "172.18.0.2", 5353, "10.244.1.6", 53});
  v.host_ports.push_back({"SCTP", "", 9000, "10.244.1.6", 9000});
  v.ports[0].endpoints.pop_back();  // with a service change in the same sync
  sync_and_compare(v, K::kDiff, "two more and an endpoint change");
  v.host_ports.erase(v.host_ports.begin());
  sync_and_compare(v, K::kDiff, "one removed");
  v.ports[0].endpoints.push_back({"10.244.2.8", 8080});  // endpoint-only again: the fast path
  sync_and_compare(v, K::kEndpoints, "endpoints only");
  v.host_ports.clear();
  sync_and_compare(v, K::kDiff, "all removed");
}

// loadBalancerSourceRanges: the firewall set, chain and firewall-ips elements as ranges come,
// change (one growing over another in the same transaction, adjacent ones, the node within
// them), meet an endpoint change and a second address, go, and go with their Service.
TEST_F(ProxyKernel, SourceRangeDiffsGiveTheTableAFullLoadGives) {
  using K = Proxier::SyncInfo;
  NodeView v = base_view("lab-proxy");
  ServicePort udp = port("udp-lb", "UDP", "10.96.0.80", 5353, {{"10.244.5.1", 53}});
  udp.lb_ips = {"172.18.255.220", "172.18.254.20"};  // the second one an external IP: not guarded
  udp.source_ranges = {"10.244.0.0/16"};
  udp.firewall_ips = {"172.18.255.220"};
  v.ports.push_back(udp);
  sync_and_compare(v, K::kFull, "full load with ranges");
  v.ports[0].source_ranges = {"10.244.1.0/24"};
  v.ports[0].firewall_ips = {"172.18.255.200"};
  sync_and_compare(v, K::kDiff, "ranges added");
  v.ports[0].source_ranges = {"10.244.0.0/16", "192.0.2.7/32"};
  sync_and_compare(v, K::kDiff, "a range grows over the old one");
  v.ports[0].source_ranges = {"10.244.1.0/25", "10.244.1.128/25", "172.18.0.0/24"};
  sync_and_compare(v, K::kDiff, "adjacent ranges, the node within them (its LB address allowed)");
  v.ports[0].endpoints.push_back({"10.244.3.3", 8080});
  sync_and_compare(v, K::kEndpoints, "an endpoint change keeps the fast path");
  v.ports[0].lb_ips.push_back("172.18.255.201");
  v.ports[0].firewall_ips.push_back("172.18.255.201");
  v.ports[0].endpoints.pop_back();
  sync_and_compare(v, K::kDiff, "a second address, with an endpoint change");
  v.node_ips = {"172.18.1.2"};
  sync_and_compare(v, K::kFull, "the node moves out of the ranges");
  v.ports[0].source_ranges.clear();
  v.ports[0].firewall_ips.clear();
  sync_and_compare(v, K::kDiff, "ranges removed");
  v.ports[0].source_ranges = {"0.0.0.0/0"};
  v.ports[0].firewall_ips = {"172.18.255.200", "172.18.255.201"};
  sync_and_compare(v, K::kDiff, "everyone");
  v.ports.erase(v.ports.begin());
  sync_and_compare(v, K::kDiff, "the Service removed");
  v.ports.pop_back();
  sync_and_compare(v, K::kDiff, "the UDP Service removed");
}

TEST_F(ProxyKernel, RefusedFastPathFallsBackToText) {
  NodeView v = base_view("lab-proxy");
  ASSERT_TRUE(proxier_->sync(v));
  // Someone removed an element behind the proxy's back: the fast path's delete fails, the text
  // diff fails the same way, and the proxier reloads everything.
  ASSERT_TRUE(check_->run("delete element ip lab-proxy endpoints-tcp { 4097 }"));
  v.ports[0].endpoints[1].ip = "10.244.2.9";
  sync_and_compare(v, Proxier::SyncInfo::kFallbackFull, "after tampering");
}

}  // namespace
}  // namespace lab::proxy

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // A private netns: nothing of the host is touched, and the tables go with it.
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "unshare(CLONE_NEWNET): %s (these tests need root)\n", std::strerror(errno));
    return 1;
  }
  return RUN_ALL_TESTS();
}
