// The node's connection tracking table, over libnetfilter_conntrack: deleting the entries of UDP
// flows whose endpoint went away, as kube-proxy does (pkg/proxy/conntrack). UDP has no
// connection to break: a client that keeps its source port (a resolver's long-lived socket)
// keeps being NATed to the entry's old endpoint until the entry times out (30 s, 120 s once
// replied to), so the proxy deletes such entries when it removes the endpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "netns/netns.h"

struct nfct_handle;

namespace lab::net {

// Entries of protocol `proto` whose original direction went to orig_dst:orig_dport and whose
// replies come from reply_src; an empty address or a zero port matches any.
struct ConntrackFilter {
  uint8_t proto = 17;     // IPPROTO_UDP
  std::string orig_dst;   // e.g. the ClusterIP
  uint16_t orig_dport = 0;
  std::string reply_src;  // the endpoint (after DNAT the reply comes from it)
  bool operator==(const ConntrackFilter&) const = default;
};

// A ctnetlink handle bound to one netns (it stays there whatever the thread does later).
class Conntrack {
 public:
  Conntrack() = default;
  Conntrack(Conntrack&& o) noexcept;
  Conntrack& operator=(Conntrack&& o) noexcept;
  Conntrack(const Conntrack&) = delete;
  Conntrack& operator=(const Conntrack&) = delete;
  ~Conntrack();

  static Result<Conntrack> open_in(const Netns& ns);
  static Result<Conntrack> open_here();

  // Deletes every IPv4 entry that matches one of the filters (one dump of the table, then a
  // delete per match); returns how many went. An entry that expired meanwhile is not an error.
  Result<size_t> delete_matching(const std::vector<ConntrackFilter>& filters);

 private:
  explicit Conntrack(nfct_handle* h) : h_(h) {}
  nfct_handle* h_ = nullptr;
};

}  // namespace lab::net
