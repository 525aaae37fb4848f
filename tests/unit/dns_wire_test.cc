// The DNS wire format through libldns: queries built and answers read back with ldns, as a
// client would; truncation for UDP (512 bytes, or the EDNS buffer), none over TCP; SERVFAIL until
// synced; malformed input; the cache of encoded answers.
#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include "lab/dns/server.h"
#include "lab/dns/wire.h"

using namespace lab::dns;
using Json = nlohmann::json;

namespace {

std::string query(const std::string& name, ldns_rr_type type, uint16_t id, int edns = 0) {
  ldns_pkt* q = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(q, id);
  if (edns) ldns_pkt_set_edns_udp_size(q, static_cast<uint16_t>(edns));
  uint8_t* buf = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&buf, q, &size), LDNS_STATUS_OK);
  std::string out(reinterpret_cast<char*>(buf), size);
  free(buf);
  ldns_pkt_free(q);
  return out;
}

struct Answer {
  ldns_pkt* pkt = nullptr;
  ~Answer() { ldns_pkt_free(pkt); }
  size_t count(ldns_pkt_section s) const {
    switch (s) {
      case LDNS_SECTION_ANSWER: return ldns_pkt_ancount(pkt);
      case LDNS_SECTION_AUTHORITY: return ldns_pkt_nscount(pkt);
      case LDNS_SECTION_ADDITIONAL: return ldns_pkt_arcount(pkt);
      default: return ldns_pkt_qdcount(pkt);
    }
  }
};

void parse(const std::string& wire, Answer& a) {
  ASSERT_EQ(ldns_wire2pkt(&a.pkt, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()), LDNS_STATUS_OK);
}

std::string ask(const Zone& zone, const std::string& q, Transport t = Transport::Udp, bool synced = true) {
  QueryInfo info;
  return handle_query(zone, synced, reinterpret_cast<const uint8_t*>(q.data()), q.size(), t, info);
}

void fill(Zone& zone, int endpoints) {
  zone.apply(Kind::Service, EventType::Added,
             {{"metadata", {{"namespace", "default"}, {"name", "big"}}}, {"spec", {{"clusterIP", "None"}}}});
  Json eps = Json::array();
  for (int i = 0; i < endpoints; ++i)
    eps.push_back({{"addresses", {"10.244." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 2)}}});
  zone.apply(Kind::EndpointSlice, EventType::Added,
             {{"metadata", {{"namespace", "default"}, {"name", "big-1"}, {"labels", {{"kubernetes.io/service-name", "big"}}}}},
              {"addressType", "IPv4"},
              {"endpoints", eps}});
  zone.apply(Kind::Service, EventType::Added,
             {{"metadata", {{"namespace", "default"}, {"name", "web"}}}, {"spec", {{"clusterIP", "10.96.7.7"}}}});
}

TEST(DnsWire, AnswersWithIdQuestionAndCaseOfTheQuery) {
  Zone zone;
  fill(zone, 1);
  Answer a;
  parse(ask(zone, query("WEB.default.svc.Cluster.Local.", LDNS_RR_TYPE_A, 4242)), a);
  EXPECT_EQ(ldns_pkt_id(a.pkt), 4242);
  EXPECT_TRUE(ldns_pkt_qr(a.pkt));
  EXPECT_TRUE(ldns_pkt_aa(a.pkt));
  EXPECT_TRUE(ldns_pkt_rd(a.pkt));
  EXPECT_EQ(ldns_pkt_get_rcode(a.pkt), LDNS_RCODE_NOERROR);
  ASSERT_EQ(a.count(LDNS_SECTION_ANSWER), 1u);
  ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(a.pkt), 0);
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  EXPECT_STREQ(owner, "WEB.default.svc.Cluster.Local.");
  free(owner);
  char* addr = ldns_rdf2str(ldns_rr_rdf(rr, 0));
  EXPECT_STREQ(addr, "10.96.7.7");
  free(addr);
  EXPECT_EQ(ldns_rr_ttl(rr), 30u);
}

TEST(DnsWire, NxdomainRefusedServfail) {
  Zone zone;
  fill(zone, 1);
  Answer nx;
  parse(ask(zone, query("nope.default.svc.cluster.local.", LDNS_RR_TYPE_A, 1)), nx);
  EXPECT_EQ(ldns_pkt_get_rcode(nx.pkt), LDNS_RCODE_NXDOMAIN);
  ASSERT_EQ(nx.count(LDNS_SECTION_AUTHORITY), 1u);
  EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(nx.pkt), 0)), LDNS_RR_TYPE_SOA);
  Answer refused;
  parse(ask(zone, query("example.com.", LDNS_RR_TYPE_A, 2)), refused);
  EXPECT_EQ(ldns_pkt_get_rcode(refused.pkt), LDNS_RCODE_REFUSED);
  Answer early;
  parse(ask(zone, query("web.default.svc.cluster.local.", LDNS_RR_TYPE_A, 3), Transport::Udp, false), early);
  EXPECT_EQ(ldns_pkt_get_rcode(early.pkt), LDNS_RCODE_SERVFAIL);
  Answer srv;
  parse(ask(zone, query("_x._tcp.web.default.svc.cluster.local.", LDNS_RR_TYPE_SRV, 4)), srv);
  EXPECT_EQ(ldns_pkt_get_rcode(srv.pkt), LDNS_RCODE_NXDOMAIN);
}

TEST(DnsWire, UdpTruncatesAt512AndAtTheEdnsBuffer) {
  Zone zone;
  fill(zone, 300);
  const std::string name = "big.default.svc.cluster.local.";
  std::string plain = ask(zone, query(name, LDNS_RR_TYPE_A, 7));
  EXPECT_LE(plain.size(), 512u);
  Answer a;
  parse(plain, a);
  EXPECT_TRUE(ldns_pkt_tc(a.pkt));
  EXPECT_GT(a.count(LDNS_SECTION_ANSWER), 10u);  // as many as fit, not none
  std::string edns = ask(zone, query(name, LDNS_RR_TYPE_A, 8, 4096));
  EXPECT_GT(edns.size(), 512u);
  EXPECT_LE(edns.size(), kUdpEdnsMax);
  Answer e;
  parse(edns, e);
  EXPECT_TRUE(ldns_pkt_tc(e.pkt));
  EXPECT_TRUE(ldns_pkt_edns(e.pkt));
  Answer tcp;
  parse(ask(zone, query(name, LDNS_RR_TYPE_A, 9), Transport::Tcp), tcp);
  EXPECT_FALSE(ldns_pkt_tc(tcp.pkt));
  EXPECT_EQ(tcp.count(LDNS_SECTION_ANSWER), 300u);
  // A small answer over UDP is whole.
  Answer small;
  parse(ask(zone, query("web.default.svc.cluster.local.", LDNS_RR_TYPE_A, 10)), small);
  EXPECT_FALSE(ldns_pkt_tc(small.pkt));
}

TEST(DnsWire, MalformedInput) {
  Zone zone;
  EXPECT_EQ(ask(zone, ""), "");
  EXPECT_EQ(ask(zone, "abc"), "");
  std::string junk(12, '\0');
  junk[0] = 0x12;
  junk[1] = 0x34;
  junk[5] = 5;  // five questions that are not there
  Answer a;
  parse(ask(zone, junk), a);
  EXPECT_EQ(ldns_pkt_id(a.pkt), 0x1234);
  EXPECT_EQ(ldns_pkt_get_rcode(a.pkt), LDNS_RCODE_FORMERR);
  // A response is never answered.
  std::string response = query("web.default.svc.cluster.local.", LDNS_RR_TYPE_A, 5);
  response[2] = static_cast<char>(response[2] | 0x80);
  EXPECT_EQ(ask(zone, response), "");
}

TEST(DnsWire, CacheAnswersAsHandleQueryAndFollowsChanges) {
  Zone zone;
  fill(zone, 2);
  AnswerCache cache;
  auto via_cache = [&](const std::string& q) {
    QueryInfo info;
    return cache.answer(zone, true, reinterpret_cast<const uint8_t*>(q.data()), q.size(), Transport::Udp, info);
  };
  const std::string q1 = query("web.default.svc.cluster.local.", LDNS_RR_TYPE_A, 100);
  const std::string q2 = query("web.default.svc.cluster.local.", LDNS_RR_TYPE_A, 200);
  EXPECT_EQ(via_cache(q1), ask(zone, q1));
  EXPECT_EQ(via_cache(q2), ask(zone, q2));  // a hit, with the second query's ID
  zone.apply(Kind::Service, EventType::Modified,
             {{"metadata", {{"namespace", "default"}, {"name", "web"}}}, {"spec", {{"clusterIP", "10.96.8.8"}}}});
  Answer a;
  parse(via_cache(q1), a);
  char* addr = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(a.pkt), 0), 0));
  EXPECT_STREQ(addr, "10.96.8.8");
  free(addr);
}

}  // namespace
