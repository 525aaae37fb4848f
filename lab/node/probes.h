// Container probes as the kubelet runs them: httpGet and tcpSocket from the node's network to the
// pod IP, exec inside the container; with the periods and thresholds of the probe spec. One
// attempt blocks its caller for up to timeoutSeconds: lab/node/prober runs them on threads of
// their own so that no pod waits for another pod's probe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "lab/base/unique_fd.h"

namespace lab::node {

using Json = nlohmann::json;

struct ProbeOutcome {
  bool success = false;
  std::string message;  // for the Unhealthy event: "Readiness probe failed: HTTP probe failed with statuscode: 503"
};

struct ProbeTarget {
  int node_netns_fd = -1;
  std::string pod_ip;
  pid_t container_pid = 0;   // for exec probes
  std::string self_exe;      // exec probes run `lab __exec PID -- CMD`
  Json container;            // the container spec (for named ports)
};

// A connected TCP socket to ip:port, born in the node's netns (as the kubelet on that node would
// dial), within timeout_ms; invalid on failure, with the reason in *err when err is given.
UniqueFd connect_from_node(int node_netns_fd, const std::string& ip, int port, int timeout_ms,
                           std::string* err = nullptr);

// One probe attempt, bounded by the probe's timeoutSeconds.
ProbeOutcome run_probe(const Json& probe, const ProbeTarget& target);

// The schedule and thresholds of one probe of one container.
class ProbeState {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProbeState(Json probe, Clock::time_point container_started);
  bool due(Clock::time_point now) const { return now >= next_; }
  // When the next attempt is due: initialDelaySeconds after the start, then periodSeconds after
  // the previous attempt ended.
  Clock::time_point next_due() const { return next_; }
  // Records an attempt; returns true when the probe's verdict (healthy or not) changed.
  bool record(bool success, Clock::time_point now);
  // No attempt was possible (the container is between runs): try again in a second.
  void skip(Clock::time_point now);
  bool healthy() const { return healthy_; }
  // A restarted daemon carries on with the verdict the pod's status already shows.
  void assume(bool healthy) { healthy_ = healthy; }
  const Json& spec() const { return probe_; }

 private:
  Json probe_;
  Clock::time_point next_;
  int successes_ = 0, failures_ = 0;
  bool healthy_ = false;
};

}  // namespace lab::node
