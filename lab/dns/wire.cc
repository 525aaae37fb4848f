// Queries in, answers out, both through libldns (ldns_wire2pkt, ldns_pkt2wire).
#include "lab/dns/wire.h"

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

namespace lab::dns {

namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;
struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
using Rdf = std::unique_ptr<ldns_rdf, RdfFree>;

ldns_rdf* dname(const std::string& name) { return ldns_dname_new_frm_str((name + ".").c_str()); }

// One record as an ldns_rr; nullptr when a name in it is not a valid domain name (an
// ExternalName the API let through, say): such a record is left out of the answer.
ldns_rr* make_rr(const RR& r, const std::string& qname, const ldns_rdf* qowner) {
  ldns_rdf* owner = r.name == qname ? ldns_rdf_clone(qowner) : dname(r.name);  // keeps the asker's case
  if (!owner) return nullptr;
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, owner);
  ldns_rr_set_ttl(rr, r.ttl);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_type(rr, static_cast<ldns_rr_type>(r.rec.type));
  bool ok = true;
  auto push = [&](ldns_rdf* f) {
    if (!f) ok = false;
    else ldns_rr_push_rdf(rr, f);
  };
  const Record& rec = r.rec;
  switch (rec.type) {
    case kA: push(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, rec.addr.data())); break;
    case kAAAA: push(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, rec.addr.data())); break;
    case kCNAME:
    case kPTR:
    case kNS: push(dname(rec.target)); break;
    case kSRV:
      push(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, rec.priority));
      push(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, rec.weight));
      push(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, rec.port));
      push(dname(rec.target));
      break;
    case kTXT: push(ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, rec.text.c_str())); break;
    case kSOA:
      push(dname(rec.mname));
      push(dname(rec.rname));
      push(ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, rec.serial));
      push(ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, rec.refresh));
      push(ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, rec.retry));
      push(ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, rec.expire));
      push(ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, rec.minimum));
      break;
    default: ok = false;
  }
  if (!ok) {
    ldns_rr_free(rr);
    return nullptr;
  }
  return rr;
}

std::string encode(const ldns_pkt* pkt) {
  uint8_t* buf = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&buf, pkt, &size) != LDNS_STATUS_OK) {
    std::free(buf);
    return "";
  }
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

// The header every answer shares: the query's ID, opcode, RD and CD, its question, and an OPT
// when the query had one.
Pkt reply_to(const ldns_pkt* q, uint8_t rcode) {
  Pkt r(ldns_pkt_new());
  ldns_pkt_set_id(r.get(), ldns_pkt_id(q));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_opcode(r.get(), ldns_pkt_get_opcode(q));
  ldns_pkt_set_rd(r.get(), ldns_pkt_rd(q));
  ldns_pkt_set_cd(r.get(), ldns_pkt_cd(q));
  ldns_pkt_set_rcode(r.get(), rcode);
  const ldns_rr_list* question = ldns_pkt_question(q);
  for (size_t i = 0; question && i < ldns_rr_list_rr_count(question); ++i)
    ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(question, i)));
  if (ldns_pkt_edns(q)) ldns_pkt_set_edns_udp_size(r.get(), kUdpEdnsMax);
  return r;
}

// The answer with the first n_answer answer records; additional and authority sections only
// when whole. Truncated answers carry TC.
std::string build(const ldns_pkt* q, const Response& resp, size_t n_answer, bool whole,
                  const std::string& qname, const ldns_rdf* qowner) {
  Pkt r = reply_to(q, static_cast<uint8_t>(resp.rcode));
  ldns_pkt_set_aa(r.get(), resp.authoritative);
  auto add = [&](ldns_pkt_section section, const RR& rr) {
    if (ldns_rr* made = make_rr(rr, qname, qowner)) ldns_pkt_push_rr(r.get(), section, made);
  };
  for (size_t i = 0; i < n_answer && i < resp.answer.size(); ++i) add(LDNS_SECTION_ANSWER, resp.answer[i]);
  if (whole) {
    for (const auto& rr : resp.authority) add(LDNS_SECTION_AUTHORITY, rr);
    for (const auto& rr : resp.additional) add(LDNS_SECTION_ADDITIONAL, rr);
  } else if (n_answer < resp.answer.size()) {
    ldns_pkt_set_tc(r.get(), true);
  }
  return encode(r.get());
}

}  // namespace

std::string handle_query(const Zone& zone, bool synced, const uint8_t* data, size_t len,
                         Transport transport, QueryInfo& info) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, data, len) != LDNS_STATUS_OK || !raw) {
    // Unparseable. Answer FORMERR to the ID when there is a header that is not a response's;
    // the header's first three bytes are read as bytes, nothing more.
    if (len < 12 || (data[2] & 0x80)) return "";
    Pkt r(ldns_pkt_new());
    ldns_pkt_set_id(r.get(), static_cast<uint16_t>(data[0] << 8 | data[1]));
    ldns_pkt_set_qr(r.get(), true);
    ldns_pkt_set_rcode(r.get(), LDNS_RCODE_FORMERR);
    info.rcode = Rcode::FormErr;
    return encode(r.get());
  }
  Pkt q(raw);
  if (ldns_pkt_qr(q.get())) return "";  // a response sent to us: never answer (no loops)
  const ldns_rr_list* question = ldns_pkt_question(q.get());
  auto fail_with = [&](Rcode rcode) {
    info.rcode = rcode;
    return encode(reply_to(q.get(), static_cast<uint8_t>(rcode)).get());
  };
  if (ldns_pkt_get_opcode(q.get()) != LDNS_PACKET_QUERY) return fail_with(Rcode::NotImp);
  if (!question || ldns_rr_list_rr_count(question) != 1) return fail_with(Rcode::FormErr);
  const ldns_rr* qrr = ldns_rr_list_rr(question, 0);
  info.qtype = static_cast<uint16_t>(ldns_rr_get_type(qrr));
  if (ldns_pkt_edns(q.get()) && ldns_pkt_edns_version(q.get()) > 0) {
    // BADVERS (16): extended rcode 1, header rcode 0 (RFC 6891 6.1.3).
    Pkt r = reply_to(q.get(), 0);
    ldns_pkt_set_edns_extended_rcode(r.get(), 1);
    info.ext_rcode = 16;
    return encode(r.get());
  }
  if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN || info.qtype == LDNS_RR_TYPE_AXFR ||
      info.qtype == LDNS_RR_TYPE_IXFR)
    return fail_with(Rcode::Refused);

  const ldns_rdf* qowner = ldns_rr_owner(qrr);
  char* text = ldns_rdf2str(qowner);
  if (!text) return fail_with(Rcode::ServFail);
  const std::string qname = canonical_name(text);
  std::free(text);
  Response resp = zone.answer(qname, info.qtype);
  info.zone = resp.zone;
  info.by_zone = resp.zone != ".";
  if (!synced && info.by_zone) {
    resp = Response{};
    resp.rcode = Rcode::ServFail;
    resp.zone = info.zone;
  }
  info.rcode = resp.rcode;

  size_t limit = 65535;
  if (transport == Transport::Udp) {
    limit = kUdpPlain;
    if (ldns_pkt_edns(q.get()))
      limit = std::clamp<size_t>(ldns_pkt_edns_udp_size(q.get()), kUdpPlain, kUdpEdnsMax);
  }
  std::string out = build(q.get(), resp, resp.answer.size(), true, qname, qowner);
  if (out.size() <= limit) return out;
  // Too big: first without authority and additional records (no TC needed for those), then
  // with as many answer records as fit, and TC so the client asks again over TCP.
  out = build(q.get(), resp, resp.answer.size(), false, qname, qowner);
  if (out.size() <= limit) return out;
  size_t lo = 0, hi = resp.answer.size();  // lo fits (an answer with no records always does)
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (build(q.get(), resp, mid, false, qname, qowner).size() <= limit) lo = mid;
    else hi = mid;
  }
  info.truncated = true;
  return build(q.get(), resp, lo, false, qname, qowner);
}

}  // namespace lab::dns
