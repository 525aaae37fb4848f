// DNS messages on the wire, with libldns: a query is parsed by ldns, the zone answers it, and the
// answer is built and encoded by ldns (name compression included). No DNS packet code of our own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lab/dns/zone.h"

namespace lab::dns {

enum class Transport { Udp, Tcp };

// What a query was and how it was answered, for the metrics.
struct QueryInfo {
  uint16_t qtype = 0;
  Rcode rcode = Rcode::NoError;
  uint16_t ext_rcode = 0;     // the full rcode when EDNS extends it (BADVERS = 16)
  std::string zone = ".";     // the zone that answered ("cluster.local.", "." for refused)
  bool by_zone = false;       // answered from the zone (CoreDNS's plugin="kubernetes")
  bool truncated = false;
};

// Largest UDP answer without EDNS (RFC 1035), and the most this server offers with EDNS (DNS flag
// day 2020's 1232 avoids IP fragmentation); a client's larger buffer is capped to the latter.
inline constexpr size_t kUdpPlain = 512;
inline constexpr size_t kUdpEdnsMax = 1232;

// The answer to one query message (no TCP length prefix), or "" when nothing is to be sent (a
// message that is itself a response, or too short to carry an ID). Before the zone has synced
// with the API every question is answered SERVFAIL, as CoreDNS does until its informers sync.
std::string handle_query(const Zone& zone, bool synced, const uint8_t* data, size_t len,
                         Transport transport, QueryInfo& info);

}  // namespace lab::dns
