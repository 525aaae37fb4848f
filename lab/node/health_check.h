// kube-proxy's service health server (pkg/proxy/healthcheck/service_health.go): for each
// LoadBalancer Service with externalTrafficPolicy Local, every node answers HTTP on its node IP at
// spec.healthCheckNodePort: 200 while the node has ready endpoints of the Service, 503 otherwise,
// so a load balancer sends traffic only to nodes that can serve it without a second hop.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lab/base/unique_fd.h"

namespace lab::node {

// The whole HTTP/1.1 response kube-proxy's hcHandler writes (any method, any path): JSON
// {"service":{"namespace","name"},"localEndpoints":N,"serviceProxyHealthy":true}, indented as
// Go's dedent leaves it, with headers Content-Type, X-Content-Type-Options: nosniff and
// X-Load-Balancing-Endpoint-Weight: N; 200 when N > 0 and the proxy is healthy, else 503.
std::string health_check_response(const std::string& ns, const std::string& name, int local_endpoints,
                                  bool proxy_healthy = true);

// What one node serves: its netns, its address, and per Service ("ns/name") the port and the
// number of ready local endpoints (kube-proxy's LocalReadyEndpoints).
struct HealthCheckNode {
  std::string netns_name;
  std::string ip;
  struct Service {
    int port = 0;
    int local_endpoints = 0;
    bool operator==(const Service&) const = default;
  };
  std::map<std::string, Service> services;
  bool operator==(const HealthCheckNode&) const = default;
};

// The listeners of every node, served by one thread of its own with poll(): sockets are made in
// each node's netns (the thread enters it for socket() and comes back), requests are tiny and
// answered at once, a client gets 5 s to send its request. Nothing forks.
class HealthCheckServer {
 public:
  HealthCheckServer();
  ~HealthCheckServer();
  HealthCheckServer(const HealthCheckServer&) = delete;
  HealthCheckServer& operator=(const HealthCheckServer&) = delete;

  void start();
  // Closes every listener and connection; joins the thread.
  void stop();
  // The wanted state of every node (by node name); the thread opens and closes listeners to
  // match (SyncServices) and answers with the new counts (SyncEndpoints). Thread-safe.
  void update(std::map<std::string, HealthCheckNode> want);
  // Node -> ports listening now (for tests and logs).
  std::map<std::string, std::vector<int>> listening() const;

 private:
  struct Listener {
    UniqueFd fd;
    std::string node, key;
    int port = 0;
  };
  struct Conn {
    UniqueFd fd;
    std::string node, key, buf;
    int64_t deadline_ms = 0;
  };
  void loop();
  void reconcile(const std::map<std::string, HealthCheckNode>& want);
  void answer(Conn& c, const std::map<std::string, HealthCheckNode>& want);

  UniqueFd wake_;  // eventfd
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, HealthCheckNode> want_;
  std::map<std::string, std::vector<int>> listening_;
  std::vector<Listener> listeners_;  // the thread's own
  std::vector<Conn> conns_;          // the thread's own
  std::set<std::string> failing_;    // listeners that could not be opened (logged once)
};

}  // namespace lab::node
