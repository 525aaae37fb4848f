// The zone's records and how one event changes them (the answering is in answer.cc).
#include "lab/dns/zone.h"

#include <arpa/inet.h>

#include <chrono>
#include <mutex>
#include <unordered_set>

namespace lab::dns {

using Json = nlohmann::json;

namespace {

Record address_record(const std::string& ip) {
  Record r;
  if (::inet_pton(AF_INET, ip.c_str(), r.addr.data()) == 1) {
    r.type = kA;
  } else if (::inet_pton(AF_INET6, ip.c_str(), r.addr.data()) == 1) {
    r.type = kAAAA;
  }
  return r;
}

Record name_record(uint16_t type, std::string target) {
  Record r;
  r.type = type;
  r.target = std::move(target);
  return r;
}

// The system-assigned id of an endpoint without a hostname: its address with dashes, as
// CoreDNS's endpointHostname() makes it ("10-244-1-5"), stable for as long as the address is.
std::string dashed(const std::string& ip) {
  std::string out = ip;
  for (char& c : out)
    if (c == '.' || c == ':') c = '-';
  return out;
}

uint32_t now_seconds() {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

Zone::Zone(ZoneConfig config) : config_(std::move(config)), serial_(now_seconds()) {
  config_.zone = canonical_name(config_.zone);
  if (config_.zone.empty()) config_.zone = "cluster.local";
  // Owner 0 holds what is there from the start: the apex's NS, dns-version (spec 1.0.1).
  nodes_[config_.zone];
  nodes_["in-addr.arpa"];
  nodes_["ip6.arpa"];
  add_name(config_.zone, 0, {name_record(kNS, "ns.dns." + config_.zone)});
  Record version;
  version.type = kTXT;
  version.text = "1.0.1";
  add_name("dns-version." + config_.zone, 0, {version});
}

size_t Zone::name_count() const {
  std::shared_lock lock(mu_);
  return nodes_.size();
}

void Zone::touch() {
  serial_.store(now_seconds(), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::string Zone::zone_of(const std::string& name) const {
  auto under = [&](const std::string& zone) {
    return name == zone || (name.size() > zone.size() && name.ends_with(zone) &&
                            name[name.size() - zone.size() - 1] == '.');
  };
  if (under(config_.zone)) return config_.zone;
  if (under("in-addr.arpa")) return "in-addr.arpa";
  if (under("ip6.arpa")) return "ip6.arpa";
  return "";
}

void Zone::add_name(const std::string& name, Owner owner, std::vector<Record> recs) {
  if (recs.empty()) return remove_name(name, owner);
  Node& node = nodes_[name];
  const bool had = !node.records.empty();
  node.records[owner] = std::move(recs);
  if (had) return;
  const std::string zone = zone_of(name);
  for (std::string p = name; p != zone;) {
    const size_t dot = p.find('.');
    if (dot == std::string::npos) break;
    p = p.substr(dot + 1);
    nodes_[p].descendants++;
  }
}

void Zone::remove_name(const std::string& name, Owner owner) {
  auto it = nodes_.find(name);
  if (it == nodes_.end() || it->second.records.erase(owner) == 0 || !it->second.records.empty()) return;
  if (it->second.descendants == 0) nodes_.erase(it);
  const std::string zone = zone_of(name);
  for (std::string p = name; p != zone;) {
    const size_t dot = p.find('.');
    if (dot == std::string::npos) break;
    p = p.substr(dot + 1);
    auto a = nodes_.find(p);
    if (a == nodes_.end()) continue;
    if (a->second.descendants > 0) a->second.descendants--;
    if (a->second.descendants == 0 && a->second.records.empty() && p != zone) nodes_.erase(a);
  }
}

void Zone::install(Owner owner, RecordSet records) {
  auto& names = names_of_[owner];
  for (const auto& name : names)
    if (!records.contains(name)) remove_name(name, owner);
  names.clear();
  for (auto& [name, recs] : records) {
    names.push_back(name);
    add_name(name, owner, std::move(recs));
  }
}

Zone::RecordSet Zone::build(const std::string& key) const {
  RecordSet out;
  auto svc = services_.find(key);
  if (svc == services_.end()) return out;  // slices without their Service make no records
  const ServiceInfo& info = svc->second;
  const size_t slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  const std::string base = name + "." + ns + ".svc." + config_.zone;

  switch (info.type) {
    case ServiceInfo::Type::ExternalName:
      if (!info.external_name.empty()) out[base].push_back(name_record(kCNAME, info.external_name));
      break;
    case ServiceInfo::Type::ClusterIP:
      for (const auto& ip : info.ips) {
        Record a = address_record(ip);
        out[base].push_back(a);
        out[reverse_name(ip)].push_back(name_record(kPTR, base));
        // The nameserver of the zone's NS record: the kube-dns Service's address.
        if (key == "kube-system/kube-dns") out["ns.dns." + config_.zone].push_back(a);
      }
      if (info.ips.empty()) break;
      for (const auto& p : info.ports) {
        if (p.name.empty()) continue;  // unnamed ports get no SRV (spec 2.3.2)
        Record srv = name_record(kSRV, base);
        srv.port = p.port;
        out["_" + p.name + "._" + p.protocol + "." + base].push_back(srv);
      }
      break;
    case ServiceInfo::Type::Headless: {
      auto slices = slices_of_.find(key);
      if (slices == slices_of_.end()) break;
      for (const auto& slice_key : slices->second) {
        auto slice = slices_.find(slice_key);
        if (slice == slices_.end()) continue;
        for (const auto& ep : slice->second.endpoints) {
          if (!ep.ready && !info.publish_not_ready) continue;
          std::string host = ep.hostname;
          if (host.empty() && !ep.pod.empty()) {
            // A pod's hostname + subdomain naming this Service (the EndpointSlice controller of
            // Kubernetes copies it into the endpoint; this lab's leaves it to us).
            auto pod = pods_.find(ep.pod);
            if (pod != pods_.end() && pod->second.subdomain == name) host = pod->second.hostname;
          }
          if (host.empty()) host = dashed(ep.addresses.front());
          const std::string host_name = host + "." + base;
          for (const auto& ip : ep.addresses) {
            Record a = address_record(ip);
            out[base].push_back(a);
            out[host_name].push_back(a);
            out[reverse_name(ip)].push_back(name_record(kPTR, host_name));
          }
          for (const auto& p : slice->second.ports) {
            if (p.name.empty()) continue;
            Record srv = name_record(kSRV, host_name);
            srv.port = p.port;
            out["_" + p.name + "._" + p.protocol + "." + base].push_back(srv);
          }
        }
      }
      break;
    }
  }
  // SRV weights: CoreDNS spreads 100 over the records of one name (priority 0 for all).
  for (auto& [n, recs] : out) {
    if (recs.empty() || recs.front().type != kSRV) continue;
    const uint16_t w = static_cast<uint16_t>(std::max<size_t>(1, 100 / recs.size()));
    for (auto& r : recs) r.weight = w;
  }
  return out;
}

void Zone::recompute(const std::string& key) {
  RecordSet records = build(key);
  auto owner = owners_.find(key);
  if (owner == owners_.end()) {
    if (records.empty()) return;
    owner = owners_.emplace(key, next_owner_++).first;
  }
  install(owner->second, std::move(records));
  if (names_of_[owner->second].empty()) {
    names_of_.erase(owner->second);
    owners_.erase(owner);
  }
  touch();
}

void Zone::set_service(const std::string& key, const ServiceInfo* info) {
  auto it = services_.find(key);
  if (info) {
    if (it != services_.end() && it->second == *info) return;
    services_[key] = *info;
  } else {
    if (it == services_.end()) return;
    services_.erase(it);
  }
  recompute(key);
}

void Zone::set_slice(const std::string& key, const SliceInfo* info) {
  auto it = slices_.find(key);
  std::string old_service;
  if (it != slices_.end()) {
    if (info && it->second == *info) return;
    old_service = it->second.service;
    slices_of_[old_service].erase(key);
    if (slices_of_[old_service].empty()) slices_of_.erase(old_service);
    for (const auto& ep : it->second.endpoints) {
      if (ep.pod.empty()) continue;
      auto& refs = services_of_pod_[ep.pod];
      if (--refs[old_service] <= 0) refs.erase(old_service);
      if (refs.empty()) services_of_pod_.erase(ep.pod);
    }
    slices_.erase(it);
  } else if (!info) {
    return;
  }
  if (info) {
    slices_[key] = *info;
    slices_of_[info->service].insert(key);
    for (const auto& ep : info->endpoints)
      if (!ep.pod.empty()) services_of_pod_[ep.pod][info->service]++;
  }
  // Only a headless Service's records come from its slices.
  auto headless = [&](const std::string& svc) {
    auto s = services_.find(svc);
    return s != services_.end() && s->second.type == ServiceInfo::Type::Headless;
  };
  if (!old_service.empty() && headless(old_service)) recompute(old_service);
  if (info && info->service != old_service && headless(info->service)) recompute(info->service);
}

void Zone::set_pod(const std::string& key, const PodInfo* info) {
  // Only a hostname with a subdomain can name a record; other pods are not kept.
  const bool keep = info && !info->hostname.empty() && !info->subdomain.empty();
  auto it = pods_.find(key);
  if (!keep && it == pods_.end()) return;
  if (keep && it != pods_.end() && it->second == *info) return;
  if (keep) pods_[key] = *info;
  else pods_.erase(it);
  auto refs = services_of_pod_.find(key);
  if (refs == services_of_pod_.end()) return;
  const auto services = refs->second;  // recompute() does not touch the index, but copy anyway
  for (const auto& [svc, count] : services) {
    auto s = services_.find(svc);
    if (s != services_.end() && s->second.type == ServiceInfo::Type::Headless) recompute(svc);
  }
}

void Zone::apply_locked(Kind kind, EventType type, const std::string& key, const Json& obj, unsigned feed) {
  const bool gone = type == EventType::Deleted;
  switch (kind) {
    case Kind::Service: {
      ServiceInfo info = parse_service(obj);
      set_service(key, gone ? nullptr : &info);
      break;
    }
    case Kind::EndpointSlice: {
      SliceInfo info = parse_slice(obj);
      set_slice(key, gone ? nullptr : &info);
      if (gone) slice_feed_.erase(key);
      else slice_feed_[key] = feed;
      break;
    }
    case Kind::Pod: {
      PodInfo info = parse_pod(obj);
      set_pod(key, gone ? nullptr : &info);
      break;
    }
  }
}

void Zone::apply(Kind kind, EventType type, const Json& obj, unsigned feed) {
  const std::string key = object_key(obj);
  if (key.empty()) return;
  std::unique_lock lock(mu_);
  apply_locked(kind, type, key, obj, feed);
}

void Zone::replace_all(Kind kind, const std::vector<Json>& items, unsigned feed) {
  std::unique_lock lock(mu_);
  std::unordered_set<std::string> present;
  for (const auto& obj : items) {
    const std::string key = object_key(obj);
    if (key.empty()) continue;
    present.insert(key);
    apply_locked(kind, EventType::Added, key, obj, feed);
  }
  std::vector<std::string> gone;
  auto collect_gone = [&](const auto& map) {
    for (const auto& [key, v] : map)
      if (!present.contains(key)) gone.push_back(key);
  };
  if (kind == Kind::Service) collect_gone(services_);
  if (kind == Kind::EndpointSlice)
    for (const auto& [key, from] : slice_feed_)
      if (from == feed && !present.contains(key)) gone.push_back(key);
  if (kind == Kind::Pod) collect_gone(pods_);
  for (const auto& key : gone) apply_locked(kind, EventType::Deleted, key, Json::object(), feed);
}

}  // namespace lab::dns
