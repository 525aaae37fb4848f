// The prober's timers and threads (see prober.h). A probe is either in schedule_ (waiting for
// its due time) or taken by exactly one thread, so no probe runs twice at once; its next due
// time is set when its attempt ends, as the kubelet's worker sleeps a period between attempts.
#include "lab/node/prober.h"

#include <exception>

#include "lab/base/log.h"
#include "lab/base/thread_name.h"
#include "runtime/spawn.h"

namespace lab::node {

std::optional<ProbeOutcome> Prober::run_real(const ProbeAttempt& a) {
  const ProbedPod& pod = *a.pod;
  auto pid = runtime::container_pid(pod.init_pid, pod.state_dir, a.container_name());
  if (!pid || !pod.node_netns || !pod.node_netns->valid()) return std::nullopt;
  ProbeTarget target{pod.node_netns->fd(), pod.pod_ip, *pid, pod.self_exe, a.container()};
  const char* field = a.kind == ProbeKind::Readiness ? "readinessProbe" : "livenessProbe";
  return run_probe(a.container()[field], target);
}

Prober::Prober(Runner run, Listener listen, size_t min_threads, size_t max_threads)
    : run_(std::move(run)),
      listen_(std::move(listen)),
      min_threads_(std::max<size_t>(1, min_threads)),
      max_threads_(std::max(max_threads, std::max<size_t>(1, min_threads))) {}

void Prober::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  while (threads_.size() < min_threads_) spawn_locked();
}

void Prober::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // No thread is spawned once stopping_ is set (spawn_locked runs under mu_ and checks it).
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& t : threads) t.join();
}

void Prober::spawn_locked() {
  if (stopping_ || threads_.size() >= max_threads_) return;
  threads_.emplace_back([this] {
    name_this_thread("prober");
    loop();
  });
}

size_t Prober::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

void Prober::add_probe_locked(const std::shared_ptr<const ProbedPod>& pod, size_t index, ProbeKind kind,
                              std::optional<bool> assume) {
  const char* field = kind == ProbeKind::Readiness ? "readinessProbe" : "livenessProbe";
  const Json& c = pod->containers[index];
  if (!c.is_object() || !c.contains(field) || !c[field].is_object()) return;
  Probe p{ProbeAttempt{pod, index, kind}, ProbeState(c[field], Clock::now())};
  // Liveness starts healthy (a container is not killed before its first failures); readiness
  // starts not ready unless the pod's status already said it was.
  if (kind == ProbeKind::Liveness) p.state.assume(true);
  else if (assume) p.state.assume(*assume);
  uint64_t id = next_id_++;
  schedule_.emplace(p.state.next_due(), id);
  probes_.emplace(id, std::move(p));
  by_uid_.emplace(pod->uid, id);
}

void Prober::add_pod(std::shared_ptr<const ProbedPod> pod, const std::vector<bool>& assume_ready) {
  if (!pod || !pod->containers.is_array()) return;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < pod->containers.size(); ++i) {
      std::optional<bool> assume;
      if (i < assume_ready.size()) assume = assume_ready[i];
      add_probe_locked(pod, i, ProbeKind::Readiness, assume);
      add_probe_locked(pod, i, ProbeKind::Liveness, std::nullopt);
    }
  }
  wake_.notify_all();
}

void Prober::restart_container(const std::string& uid, size_t index) {
  {
    std::lock_guard lock(mu_);
    auto [first, last] = by_uid_.equal_range(uid);
    for (auto it = first; it != last; ++it) {
      Probe& p = probes_.at(it->second);
      if (p.attempt.index != index) continue;
      if (!p.running) schedule_.erase({p.state.next_due(), it->second});
      p.state = ProbeState(p.state.spec(), Clock::now());
      if (p.attempt.kind == ProbeKind::Liveness) p.state.assume(true);
      ++p.generation;
      // A running attempt reschedules the probe when it ends (and finds its result void).
      if (!p.running) schedule_.emplace(p.state.next_due(), it->second);
    }
  }
  wake_.notify_all();
}

void Prober::remove_pod(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto [first, last] = by_uid_.equal_range(uid);
  for (auto it = first; it != last; ++it) {
    auto p = probes_.find(it->second);
    if (!p->second.running) schedule_.erase({p->second.state.next_due(), it->second});
    probes_.erase(p);  // a running attempt finds its probe gone and drops the result
  }
  by_uid_.erase(first, last);
}

void Prober::stop_liveness(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto [first, last] = by_uid_.equal_range(uid);
  for (auto it = first; it != last;) {
    auto p = probes_.find(it->second);
    if (p->second.attempt.kind != ProbeKind::Liveness) {
      ++it;
      continue;
    }
    if (!p->second.running) schedule_.erase({p->second.state.next_due(), it->second});
    probes_.erase(p);  // a running attempt finds its probe gone and drops the result
    it = by_uid_.erase(it);
  }
}

std::optional<bool> Prober::ready(const std::string& uid, size_t index) const {
  std::lock_guard lock(mu_);
  auto [first, last] = by_uid_.equal_range(uid);
  for (auto it = first; it != last; ++it) {
    const Probe& p = probes_.at(it->second);
    if (p.attempt.index == index && p.attempt.kind == ProbeKind::Readiness) return p.state.healthy();
  }
  return std::nullopt;
}

void Prober::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (schedule_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto due = schedule_.begin()->first;
    if (due > Clock::now()) {
      wake_.wait_until(lock, due);
      continue;
    }
    uint64_t id = schedule_.begin()->second;
    schedule_.erase(schedule_.begin());
    Probe& taken = probes_.at(id);
    taken.running = true;
    ProbeAttempt attempt = taken.attempt;
    uint64_t generation = taken.generation;
    // Keep one thread free for the next due probe while this attempt may block for seconds.
    if (++busy_ >= threads_.size()) spawn_locked();

    lock.unlock();
    std::optional<ProbeOutcome> outcome;
    try {
      outcome = run_(attempt);
    } catch (const std::exception& e) {
      // A probe spec the attempt cannot read (a mistyped field): a failure, not a dead thread.
      outcome = ProbeOutcome{false, std::string("probe error: ") + e.what()};
    }
    lock.lock();
    --busy_;

    auto it = probes_.find(id);
    if (it == probes_.end()) continue;  // the pod went away meanwhile
    Probe& p = it->second;
    p.running = false;
    ProbeReport report{std::move(attempt), outcome.value_or(ProbeOutcome{}), false, p.state.healthy()};
    if (outcome && generation == p.generation) {
      report.changed = p.state.record(outcome->success, Clock::now());
      report.healthy = p.state.healthy();
    } else if (!outcome && generation == p.generation) {
      // Nothing to probe now (the container is between runs): try again a period later.
      p.state.skip(Clock::now());
    }
    schedule_.emplace(p.state.next_due(), id);
    if (!outcome || generation != p.generation) continue;
    lock.unlock();
    try {
      listen_(report);
    } catch (const std::exception& e) {
      log_line("prober " + report.attempt.pod->key + ": " + e.what());
    }
    lock.lock();
  }
}

}  // namespace lab::node
