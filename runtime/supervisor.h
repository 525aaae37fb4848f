// The pod init's main loop: reap every child (it is PID 1 of the pod), restart exited
// containers with the kubelet's back-off, forward SIGTERM/SIGINT and leave when all are gone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::runtime {

// Kubelet's CrashLoopBackOff: the first restart is immediate, then 10 s doubling up to 300 s;
// a container that ran for 10 minutes starts over.
class RestartBackoff {
 public:
  using Duration = std::chrono::milliseconds;
  static constexpr Duration kInitial = std::chrono::seconds(10);
  static constexpr Duration kMax = std::chrono::seconds(300);
  static constexpr Duration kReset = std::chrono::minutes(10);

  // Delay before restarting a container that exited after running for ran_for.
  Duration next(Duration ran_for);

 private:
  Duration current_{0};
};

struct SupervisedContainer {
  std::string name;
  pid_t pid = 0;  // in the pod's pid namespace; 0 while not running
  std::chrono::steady_clock::time_point started{};
  std::optional<std::chrono::steady_clock::time_point> restart_at;
  int restarts = 0;
  RestartBackoff backoff;
  // OOM kills so far in the container's cgroup (unset: it has none), and their number when the
  // current run started: more at its exit means the kernel's OOM killer ended it.
  std::function<uint64_t()> oom_kills;
  uint64_t oom_base = 0;
};

// Starts container i again; returns its pid in the pod's pid namespace.
using StartFn = std::function<Result<pid_t>(size_t index)>;

// lastState.terminated.reason of a run that ended with exit_code: OOMKilled when the memory
// cgroup counted an OOM kill during the run, else Completed (0) or Error, as the kubelet.
std::string termination_reason(int exit_code, bool oom_killed);

// Whether a container that exited with exit_code starts again, by the pod's restartPolicy
// (Always, OnFailure, Never).
bool restarts_after(const std::string& restart_policy, int exit_code);

// Runs until a forwarded SIGTERM/SIGINT has ended every container; returns the init's exit
// code. signal_fd is a signalfd for SIGCHLD, SIGTERM, SIGINT and SIGHUP (blocked). Writes
// <state_dir>/<name>.restarts, .last-exit and .last-reason (termination_reason), and <name>.terminated (its exit code) when the
// restart policy leaves it ended for good; the pod init stays, as the pause container does.
// Serves the containers' attach sockets (attach.h) meanwhile.
int supervise(std::vector<SupervisedContainer>& containers, const std::string& state_dir,
              const std::string& restart_policy, int signal_fd, const StartFn& start);

}  // namespace lab::runtime
