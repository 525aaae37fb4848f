// The cluster DNS zone against the Kubernetes DNS specification (schema 1.0.1): every record
// kind, NXDOMAIN/NODATA with the SOA, names outside the zone, case, and incremental updates.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "lab/dns/zone.h"

using namespace lab::dns;
using Json = nlohmann::json;

namespace {

Json service(const std::string& ns, const std::string& name, const std::string& ip, Json ports = Json::array()) {
  return {{"kind", "Service"},
          {"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", "1"}}},
          {"spec", {{"clusterIP", ip}, {"clusterIPs", Json::array({ip})}, {"ports", ports}}}};
}

Json endpoint(const std::string& ip, bool ready = true, const std::string& hostname = "",
              const std::string& pod = "") {
  Json e = {{"addresses", Json::array({ip})}, {"conditions", {{"ready", ready}}}};
  if (!hostname.empty()) e["hostname"] = hostname;
  if (!pod.empty()) e["targetRef"] = {{"kind", "Pod"}, {"name", pod}};
  return e;
}

Json slice(const std::string& ns, const std::string& name, const std::string& svc, Json endpoints,
           Json ports = Json::array()) {
  return {{"kind", "EndpointSlice"},
          {"metadata", {{"namespace", ns}, {"name", name}, {"labels", {{"kubernetes.io/service-name", svc}}}}},
          {"addressType", "IPv4"},
          {"endpoints", endpoints},
          {"ports", ports}};
}

std::string ip_of(const RR& rr) {
  char buf[64];
  ::inet_ntop(rr.rec.type == kA ? AF_INET : AF_INET6, rr.rec.addr.data(), buf, sizeof buf);
  return buf;
}

std::vector<std::string> ips(const Response& r) {
  std::vector<std::string> out;
  for (const auto& rr : r.answer)
    if (rr.rec.type == kA || rr.rec.type == kAAAA) out.push_back(ip_of(rr));
  std::sort(out.begin(), out.end());
  return out;
}

class DnsZone : public ::testing::Test {
 protected:
  Zone zone;
  void add(Kind k, const Json& obj) { zone.apply(k, EventType::Added, obj); }
};

TEST_F(DnsZone, ServiceARecordAndCase) {
  add(Kind::Service, service("default", "my-nginx", "10.96.0.42"));
  auto r = zone.answer("my-nginx.default.svc.cluster.local.", kA);
  EXPECT_EQ(r.rcode, Rcode::NoError);
  EXPECT_TRUE(r.authoritative);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(ip_of(r.answer[0]), "10.96.0.42");
  EXPECT_EQ(r.answer[0].ttl, 30u);
  EXPECT_EQ(r.zone, "cluster.local.");
  EXPECT_EQ(ips(zone.answer("My-NGINX.Default.SVC.Cluster.Local", kA)), std::vector<std::string>{"10.96.0.42"});
}

TEST_F(DnsZone, NodataAndNxdomainCarryTheSoa) {
  add(Kind::Service, service("default", "my-nginx", "10.96.0.42"));
  auto nodata = zone.answer("my-nginx.default.svc.cluster.local", kAAAA);
  EXPECT_EQ(nodata.rcode, Rcode::NoError);
  EXPECT_TRUE(nodata.answer.empty());
  ASSERT_EQ(nodata.authority.size(), 1u);
  EXPECT_EQ(nodata.authority[0].rec.type, kSOA);
  EXPECT_EQ(nodata.authority[0].name, "cluster.local");
  EXPECT_EQ(nodata.authority[0].rec.minimum, 30u);
  auto nx = zone.answer("nope.default.svc.cluster.local", kA);
  EXPECT_EQ(nx.rcode, Rcode::NXDomain);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].rec.type, kSOA);
  // Empty non-terminals exist: NODATA, not NXDOMAIN.
  EXPECT_EQ(zone.answer("default.svc.cluster.local", kA).rcode, Rcode::NoError);
  EXPECT_EQ(zone.answer("svc.cluster.local", kA).rcode, Rcode::NoError);
  EXPECT_EQ(zone.answer("other.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  auto apex = zone.answer("cluster.local", kSOA);
  ASSERT_EQ(apex.answer.size(), 1u);
  EXPECT_EQ(apex.answer[0].rec.mname, "ns.dns.cluster.local");
}

TEST_F(DnsZone, OutsideTheZoneIsRefusedAtOnce) {
  auto r = zone.answer("google.com.", kA);
  EXPECT_EQ(r.rcode, Rcode::Refused);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_EQ(r.zone, ".");
  EXPECT_EQ(zone.answer("notcluster.local", kA).rcode, Rcode::Refused);
  EXPECT_EQ(zone.answer(".", kNS).rcode, Rcode::Refused);
}

TEST_F(DnsZone, DnsVersionTxt) {
  auto r = zone.answer("dns-version.cluster.local", kTXT);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rec.text, "1.0.1");
}

TEST_F(DnsZone, SrvForNamedPortsOnly) {
  add(Kind::Service, service("default", "kubernetes", "10.96.0.1",
                             Json::array({{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}},
                                          {{"port", 8080}}})));
  auto r = zone.answer("_https._tcp.kubernetes.default.svc.cluster.local", kSRV);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rec.port, 443);
  EXPECT_EQ(r.answer[0].rec.target, "kubernetes.default.svc.cluster.local");
  EXPECT_EQ(r.answer[0].rec.weight, 100);
  ASSERT_EQ(r.additional.size(), 1u);  // the target's address
  EXPECT_EQ(ip_of(r.additional[0]), "10.96.0.1");
  EXPECT_EQ(zone.answer("_https._udp.kubernetes.default.svc.cluster.local", kSRV).rcode, Rcode::NXDomain);
  EXPECT_EQ(zone.answer("_tcp.kubernetes.default.svc.cluster.local", kSRV).rcode, Rcode::NoError);  // ENT
}

TEST_F(DnsZone, PtrForClusterIp) {
  add(Kind::Service, service("default", "my-nginx", "10.96.0.42"));
  auto r = zone.answer("42.0.96.10.in-addr.arpa.", kPTR);
  EXPECT_EQ(r.zone, "in-addr.arpa.");
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rec.target, "my-nginx.default.svc.cluster.local");
  auto nx = zone.answer("43.0.96.10.in-addr.arpa.", kPTR);
  EXPECT_EQ(nx.rcode, Rcode::NXDomain);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].name, "in-addr.arpa");
}

TEST_F(DnsZone, HeadlessService) {
  Json svc = service("default", "db", "None");
  add(Kind::Service, svc);
  // No ready endpoints: the name does not exist.
  EXPECT_EQ(zone.answer("db.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  add(Kind::EndpointSlice,
      slice("default", "db-abc", "db",
            Json::array({endpoint("10.244.1.5", true, "db-0"), endpoint("10.244.2.7", true),
                         endpoint("10.244.2.9", false)}),
            Json::array({{{"name", "pg"}, {"port", 5432}, {"protocol", "TCP"}}})));
  EXPECT_EQ(ips(zone.answer("db.default.svc.cluster.local", kA)),
            (std::vector<std::string>{"10.244.1.5", "10.244.2.7"}));
  EXPECT_EQ(ips(zone.answer("db-0.db.default.svc.cluster.local", kA)), std::vector<std::string>{"10.244.1.5"});
  // Without a hostname: a stable id made of the address.
  EXPECT_EQ(ips(zone.answer("10-244-2-7.db.default.svc.cluster.local", kA)), std::vector<std::string>{"10.244.2.7"});
  EXPECT_EQ(zone.answer("10-244-2-9.db.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);  // not ready
  auto srv = zone.answer("_pg._tcp.db.default.svc.cluster.local", kSRV);
  ASSERT_EQ(srv.answer.size(), 2u);
  std::set<std::string> targets;
  for (const auto& rr : srv.answer) {
    EXPECT_EQ(rr.rec.port, 5432);
    EXPECT_EQ(rr.rec.weight, 50);
    targets.insert(rr.rec.target);
  }
  EXPECT_EQ(targets, (std::set<std::string>{"db-0.db.default.svc.cluster.local",
                                            "10-244-2-7.db.default.svc.cluster.local"}));
  EXPECT_EQ(srv.additional.size(), 2u);
  auto ptr = zone.answer("5.1.244.10.in-addr.arpa", kPTR);
  ASSERT_EQ(ptr.answer.size(), 1u);
  EXPECT_EQ(ptr.answer[0].rec.target, "db-0.db.default.svc.cluster.local");

  // publishNotReadyAddresses: the not-ready endpoint too.
  svc["spec"]["publishNotReadyAddresses"] = true;
  zone.apply(Kind::Service, EventType::Modified, svc);
  EXPECT_EQ(ips(zone.answer("db.default.svc.cluster.local", kA)).size(), 3u);
}

TEST_F(DnsZone, HeadlessEndpointChangesAreIncremental) {
  add(Kind::Service, service("default", "db", "None"));
  Json s = slice("default", "db-abc", "db", Json::array({endpoint("10.244.1.5")}));
  add(Kind::EndpointSlice, s);
  const uint64_t before = zone.generation();
  s["endpoints"].push_back(endpoint("10.244.1.6"));
  zone.apply(Kind::EndpointSlice, EventType::Modified, s);
  EXPECT_GT(zone.generation(), before);
  EXPECT_EQ(ips(zone.answer("db.default.svc.cluster.local", kA)).size(), 2u);
  s["endpoints"][0]["conditions"]["ready"] = false;
  zone.apply(Kind::EndpointSlice, EventType::Modified, s);
  EXPECT_EQ(ips(zone.answer("db.default.svc.cluster.local", kA)), std::vector<std::string>{"10.244.1.6"});
  EXPECT_EQ(zone.answer("5.1.244.10.in-addr.arpa", kPTR).rcode, Rcode::NXDomain);
  // An unchanged object changes nothing (a status-only pod event, a resync).
  const uint64_t same = zone.generation();
  zone.apply(Kind::EndpointSlice, EventType::Modified, s);
  EXPECT_EQ(zone.generation(), same);
  zone.apply(Kind::EndpointSlice, EventType::Deleted, s);
  EXPECT_EQ(zone.answer("db.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  // A second slice of the same Service adds to it.
  add(Kind::EndpointSlice, slice("default", "db-1", "db", Json::array({endpoint("10.244.3.1")})));
  add(Kind::EndpointSlice, slice("default", "db-2", "db", Json::array({endpoint("10.244.3.2")})));
  EXPECT_EQ(ips(zone.answer("db.default.svc.cluster.local", kA)).size(), 2u);
}

TEST_F(DnsZone, PodHostnameAndSubdomain) {
  add(Kind::Service, service("default", "sub", "None"));
  add(Kind::EndpointSlice, slice("default", "sub-1", "sub", Json::array({endpoint("10.244.1.9", true, "", "web-0")})));
  EXPECT_EQ(ips(zone.answer("10-244-1-9.sub.default.svc.cluster.local", kA)).size(), 1u);
  Json pod = {{"kind", "Pod"},
              {"metadata", {{"namespace", "default"}, {"name", "web-0"}}},
              {"spec", {{"hostname", "web"}, {"subdomain", "sub"}}}};
  add(Kind::Pod, pod);
  EXPECT_EQ(ips(zone.answer("web.sub.default.svc.cluster.local", kA)), std::vector<std::string>{"10.244.1.9"});
  EXPECT_EQ(zone.answer("10-244-1-9.sub.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  zone.apply(Kind::Pod, EventType::Deleted, pod);
  EXPECT_EQ(zone.answer("web.sub.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);
}

TEST_F(DnsZone, ExternalNameCname) {
  Json svc = {{"kind", "Service"},
              {"metadata", {{"namespace", "prod"}, {"name", "db"}}},
              {"spec", {{"type", "ExternalName"}, {"externalName", "db.example.com"}}}};
  add(Kind::Service, svc);
  auto r = zone.answer("db.prod.svc.cluster.local", kA);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rec.type, kCNAME);
  EXPECT_EQ(r.answer[0].rec.target, "db.example.com");
  // A target inside the zone is followed.
  add(Kind::Service, service("prod", "real", "10.96.5.5"));
  svc["spec"]["externalName"] = "real.prod.svc.cluster.local";
  zone.apply(Kind::Service, EventType::Modified, svc);
  r = zone.answer("db.prod.svc.cluster.local", kA);
  ASSERT_EQ(r.answer.size(), 2u);
  EXPECT_EQ(r.answer[0].rec.type, kCNAME);
  EXPECT_EQ(ip_of(r.answer[1]), "10.96.5.5");
}

TEST_F(DnsZone, PodRecordsInsecure) {
  auto r = zone.answer("10-244-1-5.default.pod.cluster.local", kA);
  EXPECT_EQ(r.rcode, Rcode::NoError);
  EXPECT_EQ(ips(r), std::vector<std::string>{"10.244.1.5"});
  EXPECT_EQ(zone.answer("10-244-1-5.default.pod.cluster.local", kAAAA).rcode, Rcode::NoError);
  EXPECT_TRUE(zone.answer("10-244-1-5.default.pod.cluster.local", kAAAA).answer.empty());
  EXPECT_EQ(zone.answer("10-244-1.default.pod.cluster.local", kA).rcode, Rcode::NXDomain);
  EXPECT_EQ(zone.answer("x.10-244-1-5.default.pod.cluster.local", kA).rcode, Rcode::NXDomain);
  EXPECT_EQ(zone.answer("default.pod.cluster.local", kA).rcode, Rcode::NoError);
}

TEST_F(DnsZone, DeleteRemovesEverything) {
  add(Kind::Service, service("ns1", "a", "10.96.1.1", Json::array({{{"name", "http"}, {"port", 80}}})));
  const size_t names = zone.name_count();
  add(Kind::Service, service("ns2", "b", "10.96.1.2", Json::array({{{"name", "http"}, {"port", 80}}})));
  zone.apply(Kind::Service, EventType::Deleted, service("ns2", "b", "10.96.1.2"));
  EXPECT_EQ(zone.name_count(), names);  // no empty non-terminals left behind
  EXPECT_EQ(zone.answer("ns2.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  EXPECT_EQ(zone.answer("2.1.96.10.in-addr.arpa", kPTR).rcode, Rcode::NXDomain);
}

TEST_F(DnsZone, RelistDropsWhatIsGone) {
  add(Kind::Service, service("default", "a", "10.96.1.1"));
  add(Kind::Service, service("default", "b", "10.96.1.2"));
  zone.replace_all(Kind::Service, {service("default", "b", "10.96.1.3")});
  EXPECT_EQ(zone.answer("a.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  EXPECT_EQ(ips(zone.answer("b.default.svc.cluster.local", kA)), std::vector<std::string>{"10.96.1.3"});
}

// EndpointSlices come by two watches with disjoint selectors (follow.cc), each relisted on its
// own: a relist of one drops what it no longer lists, never what the other brought.
TEST_F(DnsZone, ARelistReplacesOnlyItsOwnFeed) {
  add(Kind::Service, service("default", "a", "None"));
  add(Kind::Service, service("default", "b", "None"));
  zone.apply(Kind::EndpointSlice, EventType::Added, slice("default", "a-1", "a", Json::array({endpoint("10.244.1.1")})), 0);
  zone.apply(Kind::EndpointSlice, EventType::Added, slice("default", "b-1", "b", Json::array({endpoint("10.244.1.2")})), 1);
  zone.apply(Kind::EndpointSlice, EventType::Added, slice("default", "b-2", "b", Json::array({endpoint("10.244.1.3")})), 1);

  zone.replace_all(Kind::EndpointSlice, {}, 0);  // feed 0 lists nothing now
  EXPECT_EQ(zone.answer("a.default.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  EXPECT_EQ(ips(zone.answer("b.default.svc.cluster.local", kA)), (std::vector<std::string>{"10.244.1.2", "10.244.1.3"}));

  zone.replace_all(Kind::EndpointSlice, {slice("default", "b-2", "b", Json::array({endpoint("10.244.1.3")}))}, 1);
  EXPECT_EQ(ips(zone.answer("b.default.svc.cluster.local", kA)), std::vector<std::string>{"10.244.1.3"});

  // A slice that moved to the other feed (its labels changed) belongs to the feed that brought
  // it last: the first feed's relist, which no longer lists it, leaves it.
  zone.apply(Kind::EndpointSlice, EventType::Modified, slice("default", "b-2", "b", Json::array({endpoint("10.244.1.4")})), 0);
  zone.replace_all(Kind::EndpointSlice, {}, 1);
  EXPECT_EQ(ips(zone.answer("b.default.svc.cluster.local", kA)), std::vector<std::string>{"10.244.1.4"});
}

TEST_F(DnsZone, HostileObjectsAreSkipped) {
  for (const Json& bad : {Json(nullptr), Json::array(), Json{{"metadata", 5}},
                          Json{{"metadata", {{"name", "x"}}}, {"spec", "nope"}},
                          Json{{"metadata", {{"name", "x"}, {"namespace", "d"}}},
                               {"spec", {{"clusterIP", "not-an-ip"}, {"ports", {{{"port", "80"}}}}}}},
                          Json{{"metadata", {{"name", "y"}, {"namespace", "d"}}},
                               {"endpoints", {{{"addresses", {7}}}}}, {"addressType", "IPv4"}}}) {
    add(Kind::Service, bad);
    add(Kind::EndpointSlice, bad);
    add(Kind::Pod, bad);
  }
  // The Service without a valid address has no records; nothing was made of the junk.
  EXPECT_EQ(zone.answer("x.d.svc.cluster.local", kA).rcode, Rcode::NXDomain);
  EXPECT_EQ(zone.answer("y.d.svc.cluster.local", kA).rcode, Rcode::NXDomain);
}

TEST_F(DnsZone, NameserverFromKubeDns) {
  add(Kind::Service, service("kube-system", "kube-dns", "10.96.0.10"));
  auto r = zone.answer("cluster.local", kNS);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rec.target, "ns.dns.cluster.local");
  ASSERT_EQ(r.additional.size(), 1u);
  EXPECT_EQ(ip_of(r.additional[0]), "10.96.0.10");
}

TEST(DnsZoneConfig, OtherZoneAndTtl) {
  Zone zone(ZoneConfig{"Lab.Example.", 5});
  zone.apply(Kind::Service, EventType::Added, service("default", "s", "10.96.0.9"));
  auto r = zone.answer("s.default.svc.lab.example", kA);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].ttl, 5u);
  EXPECT_EQ(zone.answer("s.default.svc.cluster.local", kA).rcode, Rcode::Refused);
}

}  // namespace
