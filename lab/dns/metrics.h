// CoreDNS's request metrics in Prometheus text format, under CoreDNS's names and labels, so the
// dashboards and queries written for a cluster's coredns work on the lab's:
//   coredns_dns_requests_total{server,zone,proto,family,type}
//   coredns_dns_responses_total{server,zone,rcode,plugin}
//   coredns_dns_request_duration_seconds{server,zone,type} (histogram, CoreDNS's buckets)
// Counting is lock-free (relaxed atomics): it is on every query's path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "lab/dns/wire.h"

namespace lab::dns {

class Metrics {
 public:
  // server: CoreDNS's label ("dns://:53"); zone: the cluster zone without the final dot.
  Metrics(std::string server, const std::string& zone);
  void record(const QueryInfo& info, Transport transport, bool ipv6, double seconds);
  std::string render() const;

  static constexpr size_t kZones = 4;   // the cluster zone, in-addr.arpa., ip6.arpa., "."
  static constexpr size_t kTypes = 17;  // CoreDNS's monitored types, then "other"
  static constexpr size_t kRcodes = 24; // 0..23 as numbers, BADVERS (16) included
  static constexpr size_t kBuckets = 16;

 private:
  size_t zone_index(const std::string& zone) const;
  std::string server_;
  std::array<std::string, kZones> zones_;
  std::array<std::atomic<uint64_t>, kZones * 2 * 2 * kTypes> requests_{};  // zone, proto, family, type
  std::array<std::atomic<uint64_t>, kZones * kRcodes * 2> responses_{};    // zone, rcode, plugin
  std::array<std::atomic<uint64_t>, kZones * kTypes * kBuckets> buckets_{};  // not cumulative
  std::array<std::atomic<uint64_t>, kZones * kTypes> count_{};
  std::array<std::atomic<uint64_t>, kZones * kTypes> sum_ns_{};
};

}  // namespace lab::dns
