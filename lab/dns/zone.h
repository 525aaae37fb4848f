// The cluster DNS zone (kubernetes/dns docs/specification.md, schema 1.0.1), as CoreDNS's
// kubernetes plugin serves it with `pods insecure`: records built from Services, EndpointSlices
// and Pods as the lab's API serves them, kept up to date one watch event at a time, and answers
// to questions. Pure: no sockets, no wire format (lab/dns/wire does that with libldns).
//
// Incremental: a Service is the unit of recomputation. An event on a Service, on one of its
// EndpointSlices, or on a Pod one of those slices names, recomputes that Service's records only
// (O(its endpoints x ports)), never the whole zone.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace lab::dns {

// RR types the zone holds or synthesizes (IANA numbers, as on the wire).
enum RType : uint16_t {
  kA = 1, kNS = 2, kCNAME = 5, kSOA = 6, kPTR = 12, kTXT = 16, kAAAA = 28, kSRV = 33, kANY = 255,
};
enum class Rcode : uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NXDomain = 3, NotImp = 4, Refused = 5 };

struct Record {
  uint16_t type = 0;
  std::array<uint8_t, 16> addr{};  // A: first 4 bytes; AAAA: all 16
  std::string target;              // CNAME, PTR, NS, SRV target: a name without the final dot
  uint16_t priority = 0, weight = 0, port = 0;  // SRV
  std::string text;                // TXT (one string)
  // SOA
  std::string mname, rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  bool operator==(const Record&) const = default;
};

// A resource record of an answer: owner name (lower case, no final dot), TTL, data.
struct RR {
  std::string name;
  uint32_t ttl = 0;
  Record rec;
};

struct Response {
  Rcode rcode = Rcode::NoError;
  bool authoritative = false;
  std::vector<RR> answer, authority, additional;
  std::string zone = ".";  // the zone that answered, for metrics ("cluster.local.", ".")
};

struct ZoneConfig {
  std::string zone = "cluster.local";
  // kubeadm's Corefile writes `ttl 30` in the kubernetes block (CoreDNS's built-in default is 5);
  // the lab does what a kubeadm cluster does.
  uint32_t ttl = 30;
};

enum class Kind { Service, EndpointSlice, Pod };
enum class EventType { Added, Modified, Deleted };

// The parts of API objects the zone reads, extracted with checked accessors (anything of the
// wrong shape is left out, never thrown on).
struct PortInfo {
  std::string name, protocol;  // protocol lower case: "tcp", "udp", "sctp"
  uint16_t port = 0;
  bool operator==(const PortInfo&) const = default;
};
struct ServiceInfo {
  enum class Type { ClusterIP, Headless, ExternalName } type = Type::ClusterIP;
  std::vector<std::string> ips;  // ClusterIPs
  std::vector<PortInfo> ports;
  std::string external_name;
  bool publish_not_ready = false;
  bool operator==(const ServiceInfo&) const = default;
};
struct EndpointInfo {
  std::vector<std::string> addresses;
  bool ready = true;  // conditions.ready; nil means ready
  std::string hostname;
  std::string pod;  // targetRef "ns/name" when it is a Pod
  bool operator==(const EndpointInfo&) const = default;
};
struct SliceInfo {
  std::string service;  // "ns/name" from the kubernetes.io/service-name label
  std::vector<PortInfo> ports;
  std::vector<EndpointInfo> endpoints;
  bool operator==(const SliceInfo&) const = default;
};
struct PodInfo {
  std::string hostname, subdomain;
  bool operator==(const PodInfo&) const = default;
};

// "ns/name" of an object, or "" when it has no name.
std::string object_key(const nlohmann::json& obj);
ServiceInfo parse_service(const nlohmann::json& obj);
SliceInfo parse_slice(const nlohmann::json& obj);
PodInfo parse_pod(const nlohmann::json& obj);

// "My-Svc.Default.svc.cluster.local." -> "my-svc.default.svc.cluster.local" (ASCII only, as DNS).
std::string canonical_name(std::string_view name);

class Zone {
 public:
  explicit Zone(ZoneConfig config = {});

  // One watch event (or one item of a list, as Added). Thread-safe against answer().
  // `feed`: which of a kind's watches it came by, when the kind is followed by several, each with
  // its own selector (EndpointSlices, follow.cc); 0 otherwise.
  void apply(Kind kind, EventType type, const nlohmann::json& obj, unsigned feed = 0);
  // A list: everything of this kind that came by this feed is replaced (objects not in items are
  // deleted), as a relist. What another feed brought stays: its watch answers for it.
  void replace_all(Kind kind, const std::vector<nlohmann::json>& items, unsigned feed = 0);

  // The answer to one question (IN class). name as asked (any case, final dot optional).
  Response answer(std::string_view qname, uint16_t qtype) const;

  // Bumped on every change of the records: caches of encoded answers compare it.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  const ZoneConfig& config() const { return config_; }
  size_t name_count() const;

 private:
  using Owner = uint32_t;
  struct Node {
    std::map<Owner, std::vector<Record>> records;  // by the Service that made them
    uint32_t descendants = 0;                      // nodes below holding records (empty non-terminals)
  };
  using RecordSet = std::map<std::string, std::vector<Record>>;  // name -> records

  void apply_locked(Kind kind, EventType type, const std::string& key, const nlohmann::json& obj, unsigned feed);
  void set_service(const std::string& key, const ServiceInfo* info);
  void set_slice(const std::string& key, const SliceInfo* info);
  void set_pod(const std::string& key, const PodInfo* info);
  void recompute(const std::string& service_key);
  RecordSet build(const std::string& service_key) const;
  void install(Owner owner, RecordSet records);
  void add_name(const std::string& name, Owner owner, std::vector<Record> recs);
  void remove_name(const std::string& name, Owner owner);
  void touch();

  // Which of the served zones holds name ("cluster.local", "in-addr.arpa", "ip6.arpa"), or "".
  std::string zone_of(const std::string& name) const;
  bool exists(const std::string& name, const std::string& zone) const;
  void collect(const std::string& name, uint16_t qtype, std::vector<Record>& out) const;
  Record soa(const std::string& zone) const;
  RR rr(const std::string& name, Record rec) const { return RR{name, config_.ttl, std::move(rec)}; }
  bool pod_answer(const std::string& name, uint16_t qtype, Response& resp) const;

  ZoneConfig config_;
  mutable std::shared_mutex mu_;
  std::atomic<uint64_t> generation_{1};
  std::atomic<uint32_t> serial_;

  std::unordered_map<std::string, ServiceInfo> services_;
  std::unordered_map<std::string, SliceInfo> slices_;
  std::unordered_map<std::string, unsigned> slice_feed_;  // slice key -> the feed that last brought it
  std::unordered_map<std::string, PodInfo> pods_;  // only pods with hostname and subdomain
  std::unordered_map<std::string, std::set<std::string>> slices_of_;  // service key -> slice keys
  std::unordered_map<std::string, std::map<std::string, int>> services_of_pod_;  // pod -> services
  std::unordered_map<std::string, Owner> owners_;  // service key -> owner id
  std::unordered_map<Owner, std::vector<std::string>> names_of_;  // owner -> names it holds
  Owner next_owner_ = 1;
  std::unordered_map<std::string, Node> nodes_;
};

// The name under in-addr.arpa (or ip6.arpa) of an address, "" when it is not one.
std::string reverse_name(const std::string& ip);

}  // namespace lab::dns
