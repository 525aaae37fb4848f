#include "lab/dns/metrics.h"

#include <cstdio>

namespace lab::dns {

namespace {

// CoreDNS's plugin/pkg/dnstest monitored types (vars.monitorType); anything else is "other".
constexpr std::array<std::pair<uint16_t, const char*>, Metrics::kTypes - 1> kTypeNames{{
    {1, "A"}, {28, "AAAA"}, {5, "CNAME"}, {15, "MX"}, {2, "NS"}, {12, "PTR"}, {6, "SOA"},
    {33, "SRV"}, {16, "TXT"}, {255, "ANY"}, {43, "DS"}, {48, "DNSKEY"}, {65, "HTTPS"},
    {64, "SVCB"}, {251, "IXFR"}, {252, "AXFR"},
}};

size_t type_index(uint16_t t) {
  for (size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i].first == t) return i;
  return Metrics::kTypes - 1;
}
const char* type_name(size_t i) { return i < kTypeNames.size() ? kTypeNames[i].second : "other"; }

const char* rcode_name(size_t r) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (r < std::size(names)) return names[r];
  if (r == 16) return "BADVERS";
  return nullptr;
}

// CoreDNS's plugin.TimeBuckets: prometheus.ExponentialBuckets(0.00025, 2, 16).
double bucket_bound(size_t i) { return 0.00025 * static_cast<double>(uint64_t{1} << i); }

}  // namespace

Metrics::Metrics(std::string server, const std::string& zone)
    : server_(std::move(server)), zones_{zone + ".", "in-addr.arpa.", "ip6.arpa.", "."} {}

size_t Metrics::zone_index(const std::string& zone) const {
  for (size_t i = 0; i < kZones; ++i)
    if (zones_[i] == zone) return i;
  return kZones - 1;
}

void Metrics::record(const QueryInfo& info, Transport transport, bool ipv6, double seconds) {
  const size_t z = zone_index(info.zone), t = type_index(info.qtype);
  const size_t proto = transport == Transport::Tcp ? 1 : 0, family = ipv6 ? 1 : 0;
  requests_[((z * 2 + proto) * 2 + family) * kTypes + t].fetch_add(1, std::memory_order_relaxed);
  size_t rcode = info.ext_rcode ? info.ext_rcode : static_cast<size_t>(info.rcode);
  if (rcode >= kRcodes) rcode = kRcodes - 1;
  responses_[(z * kRcodes + rcode) * 2 + (info.by_zone ? 1 : 0)].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets && seconds > bucket_bound(b)) ++b;
  if (b < kBuckets) buckets_[(z * kTypes + t) * kBuckets + b].fetch_add(1, std::memory_order_relaxed);
  count_[z * kTypes + t].fetch_add(1, std::memory_order_relaxed);
  sum_ns_[z * kTypes + t].fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  char line[512];
  out += "# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.\n";
  out += "# TYPE coredns_dns_requests_total counter\n";
  for (size_t z = 0; z < kZones; ++z)
    for (size_t proto = 0; proto < 2; ++proto)
      for (size_t family = 0; family < 2; ++family)
        for (size_t t = 0; t < kTypes; ++t) {
          uint64_t n = requests_[((z * 2 + proto) * 2 + family) * kTypes + t].load(std::memory_order_relaxed);
          if (n == 0) continue;
          std::snprintf(line, sizeof line,
                        "coredns_dns_requests_total{server=\"%s\",zone=\"%s\",view=\"\",proto=\"%s\",family=\"%d\",type=\"%s\"} %llu\n",
                        server_.c_str(), zones_[z].c_str(), proto ? "tcp" : "udp", family ? 2 : 1,
                        type_name(t), static_cast<unsigned long long>(n));
          out += line;
        }
  out += "# HELP coredns_dns_responses_total Counter of response status codes.\n";
  out += "# TYPE coredns_dns_responses_total counter\n";
  for (size_t z = 0; z < kZones; ++z)
    for (size_t r = 0; r < kRcodes; ++r)
      for (size_t p = 0; p < 2; ++p) {
        uint64_t n = responses_[(z * kRcodes + r) * 2 + p].load(std::memory_order_relaxed);
        if (n == 0) continue;
        const char* name = rcode_name(r);
        std::string rc = name ? name : std::to_string(r);
        std::snprintf(line, sizeof line,
                      "coredns_dns_responses_total{server=\"%s\",zone=\"%s\",view=\"\",rcode=\"%s\",plugin=\"%s\"} %llu\n",
                      server_.c_str(), zones_[z].c_str(), rc.c_str(), p ? "kubernetes" : "",
                      static_cast<unsigned long long>(n));
        out += line;
      }
  out += "# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.\n";
  out += "# TYPE coredns_dns_request_duration_seconds histogram\n";
  for (size_t z = 0; z < kZones; ++z)
    for (size_t t = 0; t < kTypes; ++t) {
      const uint64_t count = count_[z * kTypes + t].load(std::memory_order_relaxed);
      if (count == 0) continue;
      const std::string labels = "server=\"" + server_ + "\",zone=\"" + zones_[z] + "\",view=\"\",type=\"" + type_name(t) + "\"";
      uint64_t cumulative = 0;
      for (size_t b = 0; b < kBuckets; ++b) {
        cumulative += buckets_[(z * kTypes + t) * kBuckets + b].load(std::memory_order_relaxed);
        std::snprintf(line, sizeof line, "coredns_dns_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
                      labels.c_str(), bucket_bound(b), static_cast<unsigned long long>(cumulative));
        out += line;
      }
      std::snprintf(line, sizeof line,
                    "coredns_dns_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n"
                    "coredns_dns_request_duration_seconds_sum{%s} %.9f\n"
                    "coredns_dns_request_duration_seconds_count{%s} %llu\n",
                    labels.c_str(), static_cast<unsigned long long>(count), labels.c_str(),
                    static_cast<double>(sum_ns_[z * kTypes + t].load(std::memory_order_relaxed)) / 1e9,
                    labels.c_str(), static_cast<unsigned long long>(count));
      out += line;
    }
  return out;
}

}  // namespace lab::dns
