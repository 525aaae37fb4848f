// The kubelet's prober manager: one timer per probe of each container (readiness, liveness) and
// a small pool of threads that run the due attempts, so that a slow probe (timeoutSeconds up to
// seconds) never delays another pod's start or another container's probe. The pool grows by one
// thread whenever every thread is busy, up to a bound, so there is always a thread free for the
// next due probe unless that many probes hang at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lab/node/probes.h"
#include "netns/netns.h"

namespace lab::node {

enum class ProbeKind { Readiness, Liveness };

// One pod as the prober sees it: where its containers run and what their probes are.
struct ProbedPod {
  std::string key, uid;                      // "ns/name" and the incarnation
  std::shared_ptr<const net::Netns> node_netns;  // httpGet/tcpSocket dial from here
  std::string pod_ip, state_dir, self_exe;
  pid_t init_pid = 0;
  Json containers;                           // spec.containers
};

// What one probe attempt is about.
struct ProbeAttempt {
  std::shared_ptr<const ProbedPod> pod;
  size_t index = 0;  // into pod->containers
  ProbeKind kind = ProbeKind::Readiness;
  const Json& container() const { return pod->containers[index]; }
  std::string container_name() const { return container().value("name", ""); }
};

// After each attempt: its outcome, whether the probe's verdict changed and what it is now.
struct ProbeReport {
  ProbeAttempt attempt;
  ProbeOutcome outcome;
  bool changed = false;
  bool healthy = false;
};

class Prober {
 public:
  using Clock = std::chrono::steady_clock;
  // One attempt; nullopt when there was nothing to probe (the container is not running now),
  // which counts as neither success nor failure.
  using Runner = std::function<std::optional<ProbeOutcome>(const ProbeAttempt&)>;
  // Called on a prober thread after every attempt: keep it short (enqueue, record an event).
  using Listener = std::function<void(const ProbeReport&)>;

  // The real attempt: the container's current pid from the pod init's state files, then
  // run_probe() from the node's netns (or `lab __exec` for exec probes).
  static std::optional<ProbeOutcome> run_real(const ProbeAttempt& a);

  Prober(Runner run, Listener listen, size_t min_threads = 2, size_t max_threads = 16);
  ~Prober() { stop(); }
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  void start();
  // Joins the threads; an attempt in progress finishes first (at most its timeout).
  void stop();

  // Starts the probes of every container of pod that has any. assume_ready[i], when given, is
  // the readiness verdict to start from (a restarted daemon carries on with what the status
  // shows); otherwise readiness starts false and liveness true, as the kubelet's do.
  void add_pod(std::shared_ptr<const ProbedPod> pod, const std::vector<bool>& assume_ready = {});
  // The container restarted: its probes start over (initialDelaySeconds from now, not ready).
  void restart_container(const std::string& uid, size_t index);
  void remove_pod(const std::string& uid);
  // The pod is terminating: its liveness probes stop (a dying container is not restarted), its
  // readiness probes go on until the containers stop, as the kubelet's probe workers do, so the
  // Ready condition (and the endpoints' serving) follows the pod through its grace period.
  void stop_liveness(const std::string& uid);

  // The readiness verdict of a container; nullopt when it has no readiness probe.
  std::optional<bool> ready(const std::string& uid, size_t index) const;
  size_t threads() const;

 private:
  struct Probe {
    ProbeAttempt attempt;
    ProbeState state;
    uint64_t generation = 0;  // bumped by restart_container: an attempt begun before is void
    bool running = false;     // taken by a thread (and so not in schedule_)
  };

  void add_probe_locked(const std::shared_ptr<const ProbedPod>& pod, size_t index, ProbeKind kind,
                        std::optional<bool> assume);
  void spawn_locked();
  void loop();

  Runner run_;
  Listener listen_;
  size_t min_threads_, max_threads_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool started_ = false, stopping_ = false;
  size_t busy_ = 0;
  std::vector<std::thread> threads_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Probe> probes_;
  std::multimap<std::string, uint64_t> by_uid_;
  std::set<std::pair<Clock::time_point, uint64_t>> schedule_;  // due time, probe id
};

}  // namespace lab::node
