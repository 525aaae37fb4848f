// lab-dns: the lab's cluster DNS server, run as the coredns pods of a lab (the image
// registry.k8s.io/coredns/coredns maps to it). It follows the lab's API over a Unix socket and
// answers the Kubernetes DNS specification for the cluster zone; names outside it are REFUSED,
// never forwarded.
//
//   lab-dns [--api=/var/run/lab/api.sock] [--dns-port=53] [--metrics-port=9153]
//           [--zone=cluster.local] [--ttl=N]
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include "lab/base/parse.h"
#include "lab/dns/follow.h"
#include "lab/dns/server.h"
#include "lab/server/http.h"

namespace {

void log_line(const std::string& line) {
  std::string out = "lab-dns: " + line + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

int usage(const std::string& problem) {
  std::fprintf(stderr,
               "lab-dns: %s\nusage: lab-dns [--api=/var/run/lab/api.sock] [--dns-port=53] "
               "[--metrics-port=9153] [--zone=cluster.local] [--ttl=N]\n",
               problem.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string api = "/var/run/lab/api.sock";
  lab::dns::ZoneConfig zone_config;
  lab::dns::ServerOptions opts;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string_view flag = arg.substr(0, eq);
    if (eq == std::string_view::npos) return usage("unknown argument " + std::string(arg));
    const std::string value(arg.substr(eq + 1));
    auto port = [&](int& out) -> bool {
      auto n = lab::parse_int(value, 1, 65535);
      if (!n) return false;
      out = *n;
      return true;
    };
    if (flag == "--api" && !value.empty()) {
      api = value;
    } else if (flag == "--dns-port") {
      if (!port(opts.dns_port)) return usage("--dns-port: a port number 1-65535, not \"" + value + "\"");
    } else if (flag == "--metrics-port") {
      if (!port(opts.metrics_port)) return usage("--metrics-port: a port number 1-65535, not \"" + value + "\"");
    } else if (flag == "--zone" && !value.empty()) {
      zone_config.zone = value;
    } else if (flag == "--ttl") {
      auto n = lab::parse_int(value, 0, 604800);
      if (!n) return usage("--ttl: seconds 0-604800, not \"" + value + "\"");
      zone_config.ttl = static_cast<uint32_t>(*n);
    } else {
      return usage("unknown argument " + std::string(arg));
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  // A list or the head of a watch that takes longer than this means the daemon is stuck or
  // gone: give up and try again. A watch's stream itself has no limit.
  lab::server::set_client_timeout(std::chrono::seconds(10), false);

  lab::dns::Zone zone(zone_config);
  lab::dns::Metrics metrics("dns://:" + std::to_string(opts.dns_port), zone.config().zone);
  lab::dns::ApiFollower follower(api, zone, log_line);
  lab::dns::DnsServer server(zone, metrics, [&follower] { return follower.synced(); }, log_line);
  if (auto started = server.start(opts); !started) {
    log_line(started.error().what());
    return 1;
  }
  follower.start();
  server.wait();
}
