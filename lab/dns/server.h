// The DNS server's sockets: UDP (one socket per thread with SO_REUSEPORT, the kernel spreading
// clients over them) and TCP (2-byte length framing, several queries per connection, a thread
// per connection up to a limit, idle connections closed), and the metrics/health HTTP endpoint.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "lab/dns/metrics.h"
#include "lab/dns/zone.h"

namespace lab::dns {

struct ServerOptions {
  int dns_port = 53;
  int metrics_port = 9153;
  int udp_threads = 2;
  int max_tcp_connections = 256;
  int tcp_idle_ms = 10000;  // CoreDNS's read timeout for a TCP connection's next query
};

class DnsServer {
 public:
  using Log = std::function<void(const std::string&)>;
  DnsServer(const Zone& zone, Metrics& metrics, std::function<bool()> synced, Log log)
      : zone_(zone), metrics_(metrics), synced_(std::move(synced)), log_(std::move(log)) {}
  // Binds every socket (errors here are the process's to report) and starts the threads.
  Result<void> start(const ServerOptions& opts);
  // Blocks for ever (the threads do the work).
  [[noreturn]] void wait();

 private:
  void udp_loop(int fd);
  void tcp_accept_loop(int fd);
  void tcp_connection(UniqueFd fd);
  void metrics_loop(int fd);
  const Zone& zone_;
  Metrics& metrics_;
  std::function<bool()> synced_;
  Log log_;
  ServerOptions opts_;
  std::vector<UniqueFd> fds_;
  std::atomic<int> tcp_connections_{0};
};

// The answer to one query through a cache of encoded answers (below), then handle_query.
// Per thread; not shared.
class AnswerCache {
 public:
  // The response for data (an ID-less byte copy of a query the zone answered before, at the same
  // generation and transport, is the same answer with the query's ID); fills info.
  std::string answer(const Zone& zone, bool synced, const uint8_t* data, size_t len, Transport t,
                     QueryInfo& info);

 private:
  struct Entry {
    std::string response;  // without the 2 ID bytes
    QueryInfo info;
  };
  uint64_t generation_ = 0;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace lab::dns
