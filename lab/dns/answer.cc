// Answering one question from the zone: records of the asked type, CNAME chasing inside the
// zone, SRV targets' addresses as additional records, pod names synthesized from the name
// itself (`pods insecure`), NXDOMAIN and NODATA with the zone's SOA, REFUSED outside the zones
// this server holds (it never forwards: nothing leaves the host).
#include <arpa/inet.h>

#include <mutex>

#include "lab/dns/zone.h"

namespace lab::dns {

bool Zone::exists(const std::string& name, const std::string& zone) const {
  if (name == zone) return true;
  auto it = nodes_.find(name);
  return it != nodes_.end() && (!it->second.records.empty() || it->second.descendants > 0);
}

void Zone::collect(const std::string& name, uint16_t qtype, std::vector<Record>& out) const {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  for (const auto& [owner, recs] : it->second.records)
    for (const auto& r : recs)
      if (qtype == kANY || r.type == qtype) out.push_back(r);
}

Record Zone::soa(const std::string& zone) const {
  // CoreDNS's values: refresh 2 h, retry 30 min, expire 1 d, minimum (negative TTL) = the TTL.
  Record r;
  r.type = kSOA;
  r.mname = "ns.dns." + zone;
  r.rname = "hostmaster." + zone;
  r.serial = serial_.load(std::memory_order_relaxed);
  r.refresh = 7200;
  r.retry = 1800;
  r.expire = 86400;
  r.minimum = config_.ttl;
  return r;
}

// `<a>-<b>-<c>-<d>.<ns>.pod.<zone>`: an A record for any address, without looking for a pod
// (CoreDNS `pods insecure`, kubeadm's default). True when name is in the pod subtree.
bool Zone::pod_answer(const std::string& name, uint16_t qtype, Response& resp) const {
  const std::string apex = "pod." + config_.zone;
  if (name != apex && !name.ends_with("." + apex)) return false;
  const std::string rel = name == apex ? "" : name.substr(0, name.size() - apex.size() - 1);
  const size_t dot = rel.find('.');
  if (rel.empty() || dot == std::string::npos) {  // pod.<zone>, <ns>.pod.<zone>: names without data
    resp.authority.push_back(rr(config_.zone, soa(config_.zone)));
    return true;
  }
  std::string ip = rel.substr(0, dot);
  const std::string ns = rel.substr(dot + 1);
  Record rec;
  std::string v4 = ip, v6 = ip;
  for (char& c : v4)
    if (c == '-') c = '.';
  for (char& c : v6)
    if (c == '-') c = ':';
  if (ns.find('.') == std::string::npos && ::inet_pton(AF_INET, v4.c_str(), rec.addr.data()) == 1)
    rec.type = kA;
  else if (ns.find('.') == std::string::npos && ::inet_pton(AF_INET6, v6.c_str(), rec.addr.data()) == 1)
    rec.type = kAAAA;
  if (rec.type == 0) {
    resp.rcode = Rcode::NXDomain;
  } else if (qtype == rec.type || qtype == kANY) {
    resp.answer.push_back(rr(name, rec));
    return true;
  }
  resp.authority.push_back(rr(config_.zone, soa(config_.zone)));
  return true;
}

Response Zone::answer(std::string_view qname, uint16_t qtype) const {
  Response resp;
  const std::string name = canonical_name(qname);
  const std::string zone = zone_of(name);
  if (zone.empty()) {
    resp.rcode = Rcode::Refused;  // not ours, and nothing is forwarded off the host
    return resp;
  }
  resp.zone = zone + ".";
  resp.authoritative = true;
  std::shared_lock lock(mu_);
  if (zone == config_.zone && pod_answer(name, qtype, resp)) return resp;
  if (!exists(name, zone)) {
    resp.rcode = Rcode::NXDomain;
    resp.authority.push_back(rr(zone, soa(zone)));
    return resp;
  }
  if (name == zone && (qtype == kSOA || qtype == kANY)) resp.answer.push_back(rr(zone, soa(zone)));
  std::vector<Record> found;
  collect(name, qtype, found);
  for (auto& r : found) resp.answer.push_back(rr(name, std::move(r)));

  if (resp.answer.empty() && qtype != kCNAME) {
    // An alias (ExternalName): the CNAME, then the target's records when the target is ours.
    std::string current = name;
    for (int hop = 0; hop < 8; ++hop) {
      std::vector<Record> alias;
      collect(current, kCNAME, alias);
      if (alias.empty()) break;
      resp.answer.push_back(rr(current, alias.front()));
      current = alias.front().target;
      if (zone_of(current).empty()) break;
      std::vector<Record> target;
      collect(current, qtype, target);
      for (auto& r : target) resp.answer.push_back(rr(current, std::move(r)));
      if (!target.empty()) break;
    }
  }
  if (resp.answer.empty()) {
    resp.authority.push_back(rr(zone, soa(zone)));  // NODATA
    return resp;
  }
  // Addresses of SRV targets and of the nameserver, so clients need no second query.
  std::vector<std::string> targets;
  for (const auto& a : resp.answer)
    if ((a.rec.type == kSRV || a.rec.type == kNS) &&
        std::find(targets.begin(), targets.end(), a.rec.target) == targets.end())
      targets.push_back(a.rec.target);
  for (const auto& t : targets) {
    std::vector<Record> addrs;
    collect(t, kA, addrs);
    collect(t, kAAAA, addrs);
    for (auto& r : addrs) resp.additional.push_back(rr(t, std::move(r)));
  }
  return resp;
}

}  // namespace lab::dns
