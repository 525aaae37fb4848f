// Unit tests for lab/proxy/rules: the generated nft text for a small view and, above all, the
// diffs a sync sends (only what changed). Pure text, no root; the kernel side is in
// tests/kernel (the fast path against the text) and the bench.
#include "lab/proxy/rules.h"
#include "tests/unit/nft_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace lab::proxy {
namespace {

using lab::testing::HasLine;
using lab::testing::has_line;
using lab::testing::lines_of;

ServicePort web() {
  ServicePort sp;
  sp.ns = "default";
  sp.service = "my-nginx";
  sp.port_name = "http";
  sp.cluster_ip = "10.96.0.20";
  sp.port = 80;
  sp.endpoints = {{"10.244.1.5", 80}, {"10.244.2.7", 80}};
  return sp;
}

ServicePort dns() {
  ServicePort sp;
  sp.ns = "kube-system";
  sp.service = "kube-dns";
  sp.port_name = "dns";
  sp.protocol = "UDP";
  sp.cluster_ip = "10.96.0.10";
  sp.port = 53;
  sp.endpoints = {{"10.244.1.53", 53}};
  return sp;
}

using lab::testing::view;

std::string diff(const NodeView& a, const NodeView& b) {
  auto d = diff_ruleset(a, b);
  EXPECT_TRUE(d) << (d ? "" : d.error().what());
  return d.value_or("");
}

const std::string kT = " ip lab-proxy ";

TEST(ProxyRules, Names) {
  ServicePort sp = web();
  std::string svc = service_chain_name(sp);
  EXPECT_EQ(svc.rfind("svc-", 0), 0u);
  EXPECT_EQ(svc.size(), std::string("svc-XXXXXXXX-default/my-nginx/tcp/http").size());
  EXPECT_TRUE(svc.ends_with("-default/my-nginx/tcp/http")) << svc;
  EXPECT_TRUE(external_chain_name(sp).ends_with("-default/my-nginx/tcp/http"));
  EXPECT_TRUE(affinity_map_name(sp).starts_with("affinity-"));
  EXPECT_TRUE(affinity_map_name(sp).ends_with("-default/my-nginx/tcp/http"));
  // The hash makes names unique where the readable part is not (truncation, sanitising, and the
  // affinity timeout, which a map cannot change in place).
  ServicePort longer = sp;
  longer.affinity_timeout = 60;
  EXPECT_NE(affinity_map_name(sp), affinity_map_name(longer));
  ServicePort a = sp, b = sp;
  a.service = "x y";
  b.service = "x;y";
  EXPECT_NE(service_chain_name(a), service_chain_name(b));
  // Stable: the same identity always gives the same name (rules of unchanged services are kept).
  EXPECT_EQ(service_chain_name(web()), svc);

  ServicePort longp = web();
  longp.service = std::string(300, 'a');
  EXPECT_EQ(service_chain_name(longp).size(), 255u);
  ServicePort odd = web();
  odd.port_name = "we ird;name";
  EXPECT_TRUE(service_chain_name(odd).ends_with("/tcp/we_ird_name"));
}

TEST(ProxyRules, FullRulesetKeyLines) {
  ServicePort w = web();
  w.node_port = 30080;
  w.lb_ips = {"172.18.255.200"};
  auto text = full_ruleset(view({w, dns()}));
  ASSERT_TRUE(text) << text.error().what();
  const std::string svc = service_chain_name(w), ext = external_chain_name(w);
  auto ls = lines_of(*text);
  ASSERT_GE(ls.size(), 3u);
  // A leftover table of a crashed proxy is replaced in the same transaction.
  EXPECT_EQ(ls[0], "add table ip lab-proxy");
  EXPECT_EQ(ls[1], "delete table ip lab-proxy");
  EXPECT_EQ(ls[2], "table ip lab-proxy {");
  EXPECT_TRUE(HasLine(*text, "type ipv4_addr . inet_proto . inet_service : verdict"));
  EXPECT_TRUE(HasLine(*text, "type inet_proto . inet_service : verdict"));
  EXPECT_TRUE(HasLine(*text, "10.96.0.20 . tcp . 80 : goto " + svc + ","));
  EXPECT_TRUE(HasLine(*text, "172.18.255.200 . tcp . 80 : goto " + ext + ","));
  EXPECT_TRUE(HasLine(*text, "tcp . 30080 : goto " + ext));
  EXPECT_TRUE(HasLine(*text, "type nat hook prerouting priority -100; policy accept;"));
  EXPECT_TRUE(HasLine(*text, "type nat hook output priority -100; policy accept;"));
  EXPECT_TRUE(HasLine(*text, "type nat hook postrouting priority 100; policy accept;"));
  EXPECT_TRUE(HasLine(*text, "type filter hook forward priority -110; policy accept;"));
  EXPECT_TRUE(HasLine(*text, "ip daddr . meta l4proto . th dport vmap @service-ips"));
  EXPECT_TRUE(HasLine(*text, "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"));
  EXPECT_TRUE(HasLine(*text, "ip daddr . meta l4proto . th dport vmap @no-endpoint-services"));
  EXPECT_TRUE(HasLine(*text, "elements = { 172.18.0.2 }"));
  EXPECT_TRUE(HasLine(*text, "meta l4proto tcp reject with tcp reset"));
  EXPECT_TRUE(HasLine(*text, "ip daddr 10.96.0.0/12 reject"));
  EXPECT_TRUE(HasLine(*text, "meta mark & 0x4000 == 0x4000 meta mark set meta mark ^ 0x4000 masquerade fully-random"));
  EXPECT_TRUE(HasLine(*text, "chain " + ext + " {"));
  EXPECT_TRUE(HasLine(*text, "meta mark set meta mark | 0x4000 goto " + svc));
  // The service chain picks an endpoint number; the shared chain DNATs by it.
  EXPECT_TRUE(HasLine(*text, "chain " + svc + " {"));
  EXPECT_TRUE(HasLine(*text, "ct mark set numgen random mod 2 offset 4096"));
  EXPECT_TRUE(HasLine(*text, "ct mark set numgen random mod 1 offset 8192"));  // kube-dns, slot 2
  EXPECT_TRUE(HasLine(*text, "ct mark != 0 goto endpoint-dnat"));
  EXPECT_TRUE(HasLine(*text, "chain endpoint-dnat {"));
  EXPECT_TRUE(HasLine(*text, "ip saddr != 10.244.0.0/16 ip daddr 10.96.0.0/12 meta mark set meta mark | 0x4000"));
  EXPECT_TRUE(HasLine(*text, "meta l4proto tcp dnat ip to ct mark map @endpoints-tcp"));
  EXPECT_TRUE(HasLine(*text, "meta l4proto udp dnat ip to ct mark map @endpoints-udp"));
  EXPECT_TRUE(HasLine(*text, "typeof ct mark : ip daddr . tcp dport"));
  EXPECT_TRUE(HasLine(*text, "4096 : 10.244.1.5 . 80,"));
  EXPECT_TRUE(HasLine(*text, "4097 : 10.244.2.7 . 80"));
  EXPECT_TRUE(HasLine(*text, "8192 : 10.244.1.53 . 53"));
  // Hairpin: every endpoint, once.
  EXPECT_TRUE(HasLine(*text, "ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random"));
  EXPECT_TRUE(HasLine(*text, "10.244.1.5 . 10.244.1.5,"));
  EXPECT_TRUE(HasLine(*text, "10.244.1.53 . 10.244.1.53"));
  EXPECT_EQ(text->find("ep-"), std::string::npos);  // no chain per endpoint without affinity
  // B6: no anonymous sets or inline vmaps anywhere.
  EXPECT_EQ(text->find("vmap {"), std::string::npos);
  EXPECT_EQ(text->find("map {"), std::string::npos);
  // B11: no symbolic priorities (dstnat is refused in an output hook by nft 1.0.6).
  EXPECT_EQ(text->find("priority dstnat"), std::string::npos);
}

TEST(ProxyRules, EndpointsAreSortedMapElements) {
  ServicePort w = web();
  w.endpoints = {{"10.244.1.3", 80}, {"10.244.1.1", 80}, {"10.244.1.2", 80}};
  auto text = full_ruleset(view({w}));
  ASSERT_TRUE(text);
  // Sorted by address, numbered from the slot's base; numgen picks uniformly among them.
  EXPECT_TRUE(HasLine(*text, "4096 : 10.244.1.1 . 80,"));
  EXPECT_TRUE(HasLine(*text, "4097 : 10.244.1.2 . 80,"));
  EXPECT_TRUE(HasLine(*text, "4098 : 10.244.1.3 . 80"));
  EXPECT_TRUE(HasLine(*text, "ct mark set numgen random mod 3 offset 4096"));
}

TEST(ProxyRules, AffinityRemembersEachClientsEndpointNumber) {
  ServicePort w = web();
  w.affinity_client_ip = true;
  w.endpoints = {{"10.244.1.3", 80}, {"10.244.1.1", 80}, {"10.244.1.2", 80}};
  auto text = full_ruleset(view({w}));
  ASSERT_TRUE(text);
  const std::string aff = affinity_map_name(w);
  const std::string pick = pick_chain_name(w);
  EXPECT_TRUE(pick.starts_with("pick-"));
  // Endpoints in the shared map as for any port; a random pick (in a chain of its own, the one
  // rule an endpoint count changes), overridden by the client's remembered number, which is
  // then stored or refreshed.
  EXPECT_TRUE(HasLine(*text, "map " + aff + " {"));
  EXPECT_TRUE(HasLine(*text, "typeof ip saddr : ct mark; flags dynamic,timeout; timeout 10800s;"));
  EXPECT_TRUE(HasLine(*text, "4096 : 10.244.1.1 . 80,"));
  EXPECT_TRUE(HasLine(*text, "4098 : 10.244.1.3 . 80"));
  auto ls = lines_of(*text);
  auto at = std::find(ls.begin(), ls.end(), "chain " + service_chain_name(w) + " {");
  ASSERT_NE(at, ls.end());
  ASSERT_GE(ls.end() - at, 5);
  EXPECT_EQ(at[1], "jump " + pick);
  EXPECT_EQ(at[2], "ct mark set ip saddr map @" + aff);
  EXPECT_EQ(at[3], "ct mark != 0 update @" + aff + " { ip saddr : ct mark }");
  EXPECT_EQ(at[4], "}");
  at = std::find(ls.begin(), ls.end(), "chain " + pick + " {");
  ASSERT_NE(at, ls.end());
  ASSERT_GE(ls.end() - at, 3);
  EXPECT_EQ(at[1], "ct mark set numgen random mod 3 offset 4096");
  EXPECT_EQ(at[2], "}");
  EXPECT_EQ(text->find("ep-"), std::string::npos);  // no chain per endpoint
}

TEST(ProxyRules, UnchangedViewGivesEmptyDiff) {
  ServicePort w = web();
  w.node_port = 30080;
  w.affinity_client_ip = true;
  NodeView v = view({w, dns()});
  EXPECT_EQ(diff(v, v), "");
  // Reordered endpoints are the same set: no rule changes.
  NodeView r = v;
  std::reverse(r.ports[0].endpoints.begin(), r.ports[0].endpoints.end());
  EXPECT_EQ(diff(v, r), "");
}

TEST(ProxyRules, EndpointAdded) {
  NodeView a = view({web(), dns()});
  NodeView b = a;
  b.ports[0].endpoints.push_back({"10.244.3.3", 80});
  const std::string svc = service_chain_name(b.ports[0]);
  std::string d = diff(a, b);
  // The count changed: the one rule of the service chain, one element, one hairpin element.
  EXPECT_EQ(d, "flush chain" + kT + svc + "\n" +
                   "add rule" + kT + svc + " ct mark set numgen random mod 3 offset 4096\n" +
                   "add element" + kT + "endpoints-tcp { 4098 : 10.244.3.3 . 80 }\n" +
                   "add element" + kT + "hairpin { 10.244.3.3 . 10.244.3.3 }\n");
  // Nothing of the other service.
  EXPECT_EQ(d.find("kube-dns"), std::string::npos);
}

TEST(ProxyRules, EndpointReplacedIsElementsOnly) {
  NodeView a = view({web(), dns()});
  NodeView b = a;
  b.ports[0].endpoints[1].ip = "10.244.2.9";
  EXPECT_EQ(diff(a, b), "delete element" + kT + "endpoints-tcp { 4097 }\n" +
                            "add element" + kT + "endpoints-tcp { 4097 : 10.244.2.9 . 80 }\n" +
                            "add element" + kT + "hairpin { 10.244.2.9 . 10.244.2.9 }\n");
}

TEST(ProxyRules, EndpointRemovedAndNotReady) {
  NodeView a = view({web(), dns()});
  const ServicePort& w = a.ports[0];
  const std::string svc = service_chain_name(w);
  for (bool remove : {true, false}) {
    NodeView b = a;
    if (remove)
      b.ports[0].endpoints.pop_back();
    else
      b.ports[0].endpoints[1].ready = false;  // not ready = not used for new connections
    // The hairpin element stays (it only ever matches a pod reaching itself).
    EXPECT_EQ(diff(a, b), "flush chain" + kT + svc + "\n" +
                              "add rule" + kT + svc + " ct mark set numgen random mod 1 offset 4096\n" +
                              "delete element" + kT + "endpoints-tcp { 4097 }\n");
  }
}

TEST(ProxyRules, TerminatingEndpointsServeWhenNoneIsReady) {
  ServicePort w = web();
  w.endpoints = {{"10.244.1.5", 80, false, true, true}, {"10.244.2.7", 80, false, false, true}};
  auto eps = usable_endpoints(w);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].ip, "10.244.1.5");
  w.endpoints.push_back({"10.244.3.1", 80});
  eps = usable_endpoints(w);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].ip, "10.244.3.1");
}

TEST(ProxyRules, ServiceAddedAndRemoved) {
  NodeView a = view({dns()});
  NodeView b = view({dns(), web()});
  const std::string svc = service_chain_name(b.ports[1]);
  std::string add = diff(a, b);
  // kube-dns keeps slot 1; my-nginx takes slot 2.
  EXPECT_EQ(add, "add chain" + kT + svc + "\n" +
                     "add rule" + kT + svc + " ct mark set numgen random mod 2 offset 8192\n" +
                     "add element" + kT + "service-ips { 10.96.0.20 . tcp . 80 : goto " + svc + " }\n" +
                     "add element" + kT + "endpoints-tcp { 8192 : 10.244.1.5 . 80 }\n" +
                     "add element" + kT + "hairpin { 10.244.1.5 . 10.244.1.5 }\n" +
                     "add element" + kT + "endpoints-tcp { 8193 : 10.244.2.7 . 80 }\n" +
                     "add element" + kT + "hairpin { 10.244.2.7 . 10.244.2.7 }\n");

  std::string del = diff(b, a);
  EXPECT_EQ(del, "delete element" + kT + "service-ips { 10.96.0.20 . tcp . 80 }\n" +
                     "delete element" + kT + "endpoints-tcp { 8192 }\n" +
                     "delete element" + kT + "endpoints-tcp { 8193 }\n" +
                     "flush chain" + kT + svc + "\n" + "delete chain" + kT + svc + "\n");
}

TEST(ProxyRules, SlotsAreKeptAndReused) {
  EndpointSlots slots;
  slots.clear();
  EXPECT_EQ(slots.assign("a"), 1u);
  EXPECT_EQ(slots.assign("b"), 2u);
  EXPECT_EQ(slots.assign("c"), 3u);
  EXPECT_EQ(slots.assign("b"), 2u);
  slots.release("b");
  slots.release("a");
  EXPECT_FALSE(slots.find("a"));
  EXPECT_EQ(slots.assign("d"), 1u);  // lowest free first
  EXPECT_EQ(slots.assign("e"), 2u);
  EXPECT_EQ(slots.assign("f"), 4u);

  // Through diffs: a removed port's slot goes to a port added in the same transaction, whose
  // elements are added after the old ones are deleted.
  NodeView a = view({web(), dns()});
  EndpointSlots s;
  ASSERT_TRUE(full_ruleset(a, s));
  ServicePort other = web();
  other.service = "other";
  other.cluster_ip = "10.96.0.30";
  NodeView b = view({dns(), other});
  auto d = diff_ruleset(a, b, s);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(s.find(other.identity()), 1u);
  EXPECT_FALSE(s.find(web().identity()));
  EXPECT_LT(d->find("delete element" + kT + "endpoints-tcp { 4096 }"), d->find("add element" + kT + "endpoints-tcp { 4096 :"));
  // A refused diff leaves the slots alone.
  NodeView bad = b;
  bad.ports[1].cluster_ip = "nope";
  EndpointSlots before = s;
  EXPECT_FALSE(diff_ruleset(b, bad, s));
  EXPECT_EQ(s.find(other.identity()), before.find(other.identity()));
  EXPECT_EQ(s.size(), before.size());
}

TEST(ProxyRules, EndpointUpdatesOnlyForEndpointOnlyChanges) {
  NodeView a = view({web(), dns()});
  EndpointSlots slots;
  ASSERT_TRUE(full_ruleset(a, slots));
  NodeView b = a;
  b.ports[0].endpoints[1].ip = "10.244.2.9";
  b.ports[1].endpoints.push_back({"10.244.2.53", 53});
  auto u = endpoint_updates(a, b, slots);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->size(), 2u);
  EXPECT_EQ((*u)[0].chain, service_chain_name(web()));
  EXPECT_EQ((*u)[0].map, "endpoints-tcp");
  EXPECT_EQ((*u)[0].base, 4096u);
  EXPECT_EQ((*u)[0].after[1].ip, "10.244.2.9");
  EXPECT_EQ((*u)[1].map, "endpoints-udp");
  EXPECT_EQ((*u)[1].base, 8192u);
  EXPECT_EQ(pick_rules((*u)[1].base, (*u)[1].after.size()), std::vector<std::string>{"ct mark set numgen random mod 2 offset 8192"});
  // Readiness of an endpoint that is not used either way changes nothing.
  NodeView c = a;
  c.ports[0].endpoints.push_back({"10.244.3.3", 80, false, false, false});
  u = endpoint_updates(a, c, slots);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->empty());

  // To no endpoints and back: elements and the chain's rules, so the fast path too.
  NodeView e = a;
  e.ports[0].endpoints.clear();
  u = endpoint_updates(a, e, slots);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->size(), 1u);
  EXPECT_TRUE((*u)[0].after.empty());
  EXPECT_EQ((*u)[0].addresses, std::vector<std::string>{"10.96.0.20"});
  EXPECT_EQ((*u)[0].port, 80);
  EXPECT_TRUE((*u)[0].affinity_map.empty());
  EXPECT_TRUE(pick_rules((*u)[0].base, 0).empty());
  u = endpoint_updates(e, a, slots);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->size(), 1u);
  EXPECT_EQ((*u)[0].after.size(), 2u);
  EXPECT_EQ(pick_rules((*u)[0].base, 2), std::vector<std::string>{"ct mark set numgen random mod 2 offset 4096"});
  // With session affinity as well.
  NodeView s1 = a, s2 = a;
  s1.ports[0].affinity_client_ip = s2.ports[0].affinity_client_ip = true;
  s2.ports[0].endpoints.clear();
  u = endpoint_updates(s1, s2, slots);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->size(), 1u);
  EXPECT_EQ((*u)[0].affinity_map, affinity_map_name(s1.ports[0]));
  EXPECT_EQ((*u)[0].chain, pick_chain_name(s1.ports[0]));  // the rule a count change rewrites

  auto not_fast = [&](const NodeView& v) { return !endpoint_updates(a, v, slots).has_value(); };
  NodeView d = a;
  d.ports[0].lb_ips = {"172.18.255.200"};
  EXPECT_TRUE(not_fast(d));
  d = a;
  d.ports[0].node_port = 30080;
  EXPECT_TRUE(not_fast(d));
  d = a;
  d.ports.pop_back();
  EXPECT_TRUE(not_fast(d));
  d = a;
  d.ports[0].affinity_client_ip = true;
  EXPECT_TRUE(not_fast(d));
  d = a;
  d.pod_cidr = "10.245.0.0/16";
  EXPECT_TRUE(not_fast(d));
}

TEST(ProxyRules, NoEndpointsRejects) {
  NodeView a = view({web()});
  a.ports[0].node_port = 30080;
  a.ports[0].lb_ips = {"172.18.255.200"};
  NodeView b = a;
  b.ports[0].endpoints.clear();
  const ServicePort& w = a.ports[0];
  const std::string svc = service_chain_name(w), ext = external_chain_name(w);
  auto full = full_ruleset(b);
  ASSERT_TRUE(full);
  EXPECT_TRUE(HasLine(*full, "10.96.0.20 . tcp . 80 : goto reject-chain,"));
  EXPECT_TRUE(HasLine(*full, "172.18.255.200 . tcp . 80 : goto reject-chain"));
  EXPECT_TRUE(HasLine(*full, "tcp . 30080 : goto reject-chain"));
  // The port's chains and dispatch elements stay; the service chain is empty (nothing to DNAT
  // to: the filter hooks have rejected the connection already).
  EXPECT_TRUE(HasLine(*full, "10.96.0.20 . tcp . 80 : goto " + svc + ","));
  EXPECT_TRUE(HasLine(*full, "tcp . 30080 : goto " + ext));
  auto ls = lines_of(*full);
  auto at = std::find(ls.begin(), ls.end(), "chain " + svc + " {");
  ASSERT_NE(at, ls.end());
  EXPECT_EQ(at[1], "}");
  EXPECT_EQ(full->find("4096 :"), std::string::npos);

  // Going to none is element changes and the chain's rules only.
  EXPECT_EQ(diff(a, b), "flush chain" + kT + svc + "\n" +
                            "delete element" + kT + "endpoints-tcp { 4096 }\n" +
                            "delete element" + kT + "endpoints-tcp { 4097 }\n" +
                            "add element" + kT + "no-endpoint-services { 10.96.0.20 . tcp . 80 : goto reject-chain }\n" +
                            "add element" + kT + "no-endpoint-services { 172.18.255.200 . tcp . 80 : goto reject-chain }\n" +
                            "add element" + kT + "no-endpoint-nodeports { tcp . 30080 : goto reject-chain }\n");
  // And back: the reject goes, the endpoints come.
  EXPECT_EQ(diff(b, a), "flush chain" + kT + svc + "\n" +
                            "add rule" + kT + svc + " ct mark set numgen random mod 2 offset 4096\n" +
                            "delete element" + kT + "no-endpoint-services { 10.96.0.20 . tcp . 80 }\n" +
                            "delete element" + kT + "no-endpoint-services { 172.18.255.200 . tcp . 80 }\n" +
                            "delete element" + kT + "no-endpoint-nodeports { tcp . 30080 }\n" +
                            "add element" + kT + "endpoints-tcp { 4096 : 10.244.1.5 . 80 }\n" +
                            "add element" + kT + "hairpin { 10.244.1.5 . 10.244.1.5 }\n" +
                            "add element" + kT + "endpoints-tcp { 4097 : 10.244.2.7 . 80 }\n" +
                            "add element" + kT + "hairpin { 10.244.2.7 . 10.244.2.7 }\n");
  // A port added without endpoints: its chains and elements, the reject.
  std::string added = diff(view({}), view({b.ports[0]}));
  EXPECT_TRUE(HasLine(added, "add chain" + kT + svc));
  EXPECT_TRUE(HasLine(added, "add element" + kT + "service-ips { 10.96.0.20 . tcp . 80 : goto " + svc + " }"));
  EXPECT_TRUE(HasLine(added, "add element" + kT + "no-endpoint-services { 10.96.0.20 . tcp . 80 : goto reject-chain }"));
}

TEST(ProxyRules, SessionAffinity) {
  NodeView a = view({web()});
  NodeView b = a;
  b.ports[0].affinity_client_ip = true;
  b.ports[0].affinity_timeout = 60;
  const ServicePort& w = b.ports[0];
  const std::string svc = service_chain_name(w);
  const std::string aff = affinity_map_name(w);

  auto full = full_ruleset(b);
  ASSERT_TRUE(full);
  EXPECT_TRUE(HasLine(*full, "map " + aff + " {"));
  EXPECT_TRUE(HasLine(*full, "typeof ip saddr : ct mark; flags dynamic,timeout; timeout 60s;"));

  const std::string pick = pick_chain_name(w);

  // Turned on: the map, the pick chain and the service chain's rules; the endpoint elements stay.
  EXPECT_EQ(diff(a, b), "add map" + kT + aff + " { typeof ip saddr : ct mark; flags dynamic,timeout; timeout 60s; }\n" +
                            "add chain" + kT + pick + "\n" +
                            "flush chain" + kT + svc + "\n" +
                            "add rule" + kT + svc + " jump " + pick + "\n" +
                            "add rule" + kT + svc + " ct mark set ip saddr map @" + aff + "\n" +
                            "add rule" + kT + svc + " ct mark != 0 update @" + aff + " { ip saddr : ct mark }\n" +
                            "add rule" + kT + pick + " ct mark set numgen random mod 2 offset 4096\n");

  // Endpoint numbers that change meaning empty the map; an endpoint added after the others
  // (numbers kept) does not.
  NodeView more = b;
  more.ports[0].endpoints.push_back({"10.244.9.9", 80});
  EXPECT_FALSE(has_line(diff(b, more), "flush map" + kT + aff));
  NodeView fewer = b;
  fewer.ports[0].endpoints.pop_back();
  EXPECT_TRUE(HasLine(diff(b, fewer), "flush map" + kT + aff));
  NodeView replaced = b;
  replaced.ports[0].endpoints[0].ip = "10.244.1.1";
  EXPECT_TRUE(HasLine(diff(b, replaced), "flush map" + kT + aff));
  NodeView none = b;
  none.ports[0].endpoints.clear();
  std::string to_none = diff(b, none);
  // To none: the map emptied, the pick rule gone; the service chain stays as it is.
  EXPECT_TRUE(HasLine(to_none, "flush map" + kT + aff));
  EXPECT_TRUE(HasLine(to_none, "flush chain" + kT + pick));
  EXPECT_EQ(to_none.find("add rule"), std::string::npos);
  EXPECT_EQ(to_none.find(svc), std::string::npos);
  std::string back = diff(none, b);
  EXPECT_FALSE(has_line(back, "flush map" + kT + aff));
  EXPECT_TRUE(HasLine(back, "add rule" + kT + pick + " ct mark set numgen random mod 2 offset 4096"));
  EXPECT_EQ(back.find(svc), std::string::npos);
  EXPECT_TRUE(endpoint_numbers_moved({{"10.244.1.5", 80}}, {{"10.244.1.5", 81}}));
  EXPECT_FALSE(endpoint_numbers_moved({}, {{"10.244.1.5", 80}}));

  // A new timeout is a new map (a map's timeout cannot change in place); the old one goes last.
  NodeView c = b;
  c.ports[0].affinity_timeout = 120;
  std::string t = diff(b, c);
  const std::string aff2 = affinity_map_name(c.ports[0]);
  EXPECT_NE(aff2, aff);
  EXPECT_TRUE(HasLine(t, "add map" + kT + aff2 + " { typeof ip saddr : ct mark; flags dynamic,timeout; timeout 120s; }"));
  EXPECT_TRUE(HasLine(t, "delete map" + kT + aff));
  EXPECT_GT(t.find("delete map"), t.find("flush chain"));

  // Turning it off again deletes the map after the rules that use it are gone.
  std::string off = diff(b, a);
  EXPECT_TRUE(HasLine(off, "delete map" + kT + aff));
  EXPECT_GT(off.find("delete map"), off.rfind("add rule"));
}

TEST(ProxyRules, NodePortAndLoadBalancerIp) {
  NodeView a = view({web()});
  NodeView b = a;
  b.ports[0].node_port = 30080;
  const ServicePort& w = b.ports[0];
  const std::string svc = service_chain_name(w), ext = external_chain_name(w);
  std::string d = diff(a, b);
  EXPECT_EQ(d, "add chain" + kT + ext + "\n" + "add rule" + kT + ext + " meta mark set meta mark | 0x4000 goto " + svc +
                   "\n" + "add element" + kT + "service-nodeports { tcp . 30080 : goto " + ext + " }\n");

  // An LB IP is assigned later: one element, the ext chain exists already.
  NodeView c = b;
  c.ports[0].lb_ips = {"172.18.255.200"};
  EXPECT_EQ(diff(b, c), "add element" + kT + "service-ips { 172.18.255.200 . tcp . 80 : goto " + ext + " }\n");
  // Released again.
  EXPECT_EQ(diff(c, b), "delete element" + kT + "service-ips { 172.18.255.200 . tcp . 80 }\n");
  // NodePort moves: delete + add, in that order.
  NodeView e = b;
  e.ports[0].node_port = 30081;
  EXPECT_EQ(diff(b, e), "delete element" + kT + "service-nodeports { tcp . 30080 }\n" + "add element" + kT +
                            "service-nodeports { tcp . 30081 : goto " + ext + " }\n");
}

TEST(ProxyRules, MultiPortAndHeadless) {
  ServicePort http = web(), https = web();
  https.port_name = "https";
  https.port = 443;
  https.endpoints = {{"10.244.1.5", 443}};
  ServicePort headless = web();
  headless.service = "db";
  headless.cluster_ip = "";
  auto full = full_ruleset(view({http, https, headless}));
  ASSERT_TRUE(full) << full.error().what();
  EXPECT_TRUE(HasLine(*full, "chain " + service_chain_name(http) + " {"));
  EXPECT_TRUE(HasLine(*full, "chain " + service_chain_name(https) + " {"));
  EXPECT_TRUE(HasLine(*full, "10.96.0.20 . tcp . 443 : goto " + service_chain_name(https)));
  EXPECT_EQ(full->find("/db/"), std::string::npos);  // headless: nothing at all
  EXPECT_EQ(diff(view({http, https}), view({http, https, headless})), "");
}

TEST(ProxyRules, DiffPairsPortsByIdentityNotPosition) {
  ServicePort w = web(), d = dns();
  NodeView a = view({w, d});
  EXPECT_EQ(diff(a, view({d, w})), "");
  // Reordered and one changed: only that one.
  ServicePort d2 = d;
  d2.endpoints.push_back({"10.244.2.53", 53});
  std::string out = diff(a, view({d2, w}));
  EXPECT_NE(out.find(service_chain_name(d)), std::string::npos);
  EXPECT_EQ(out.find("my-nginx"), std::string::npos);
}

TEST(ProxyRules, DiffValidatesWhatChanged) {
  NodeView a = view({web(), dns()});
  auto refused = [&](const NodeView& b, const std::string& needle) {
    auto d = diff_ruleset(a, b);
    if (d) return ::testing::AssertionFailure() << "accepted, expected: " << needle << "\n" << *d;
    if (d.error().message.find(needle) == std::string::npos)
      return ::testing::AssertionFailure() << "error \"" << d.error().message << "\" lacks \"" << needle << "\"";
    return ::testing::AssertionSuccess();
  };
  NodeView b = a;
  b.ports.push_back(web());  // the same identity again
  EXPECT_TRUE(refused(b, "default/my-nginx/http appears twice"));
  b = a;
  b.ports[1].cluster_ip = "10.96.0.20";
  b.ports[1].protocol = "TCP";
  b.ports[1].port = 80;
  EXPECT_TRUE(refused(b, "both claim tcp 10.96.0.20:80"));
  b = a;
  b.ports[0].endpoints[0].ip = "10.244.1";
  EXPECT_TRUE(refused(b, "invalid endpoint IP \"10.244.1\""));
  b = a;
  b.ports[0].lb_ips = {"172.18.255.1", "172.18.255.1"};
  EXPECT_TRUE(refused(b, "tcp 172.18.255.1:80 listed twice"));
}

TEST(ProxyRules, NodeWideChangeIsFullReload) {
  NodeView a = view({web()});
  NodeView b = a;
  b.node_ips = {"172.18.0.9"};
  std::string d = diff(a, b);
  EXPECT_EQ(d.rfind("add table ip lab-proxy\ndelete table ip lab-proxy\n", 0), 0u);
  NodeView c = a;
  c.table = "other";
  d = diff(a, c);
  EXPECT_EQ(d.rfind("add table ip lab-proxy\ndelete table ip lab-proxy\nadd table ip other\n", 0), 0u);
}

TEST(ProxyRules, NodePortsOnAnyLocalAddressWithoutNodeIps) {
  NodeView v = view({web()});
  v.node_ips.clear();
  auto full = full_ruleset(v);
  ASSERT_TRUE(full);
  EXPECT_TRUE(HasLine(*full, "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports"));
  EXPECT_EQ(full->find("nodeport-ips"), std::string::npos);
}

TEST(ProxyRules, RefusesInvalidViews) {
  auto refused = [](NodeView v, const std::string& needle) {
    auto r = full_ruleset(v);
    if (r) return ::testing::AssertionFailure() << "accepted, expected: " << needle;
    if (r.error().message.find(needle) == std::string::npos)
      return ::testing::AssertionFailure() << "error \"" << r.error().message << "\" lacks \"" << needle << "\"";
    auto d = diff_ruleset(view({}), v);  // the diff validates too
    if (d) return ::testing::AssertionFailure() << "diff accepted: " << needle;
    return ::testing::AssertionSuccess();
  };
  ServicePort bad = web();
  bad.cluster_ip = "10.96.0.300";
  EXPECT_TRUE(refused(view({bad}), "invalid cluster IP \"10.96.0.300\""));
  bad = web();
  bad.endpoints[0].ip = "10.244.1.5; flush ruleset";
  EXPECT_TRUE(refused(view({bad}), "invalid endpoint IP"));
  bad = web();
  bad.protocol = "ICMP";
  EXPECT_TRUE(refused(view({bad}), "unknown protocol \"ICMP\""));
  bad = web();
  bad.port = 70000;
  EXPECT_TRUE(refused(view({bad}), "invalid port 70000"));
  bad = web();
  bad.endpoints[1].port = 0;
  EXPECT_TRUE(refused(view({bad}), "has invalid port 0"));
  EXPECT_TRUE(refused(view({web(), web()}), "default/my-nginx/http appears twice"));
  ServicePort other = web();
  other.service = "other";
  EXPECT_TRUE(refused(view({web(), other}), "both claim tcp 10.96.0.20:80"));
  ServicePort np1 = web(), np2 = dns();
  np1.node_port = np2.node_port = 30053;
  np2.protocol = "TCP";
  EXPECT_TRUE(refused(view({np1, np2}), "both claim node port 30053/tcp"));
  NodeView v = view({web()});
  v.table = "x y";
  EXPECT_TRUE(refused(v, "invalid nft table name"));
  v.table = "1abc";
  EXPECT_TRUE(refused(v, "invalid nft table name"));
  v = view({web()});
  v.pod_cidr = "10.244.0.1/16";
  EXPECT_TRUE(refused(v, "invalid pod CIDR"));
  // Same port on TCP and UDP is fine (DNS).
  ServicePort udp = dns(), tcp = dns();
  tcp.port_name = "dns-tcp";
  tcp.protocol = "TCP";
  EXPECT_TRUE(full_ruleset(view({udp, tcp})));
}

}  // namespace
}  // namespace lab::proxy
