// PID 1 duties in a pod: signals arrive through a signalfd (blocked signals are queued even
// for a namespace init, which drops unhandled default-action ones), restarts on a timer, the
// containers' output is copied into their logs.
#include "runtime/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <span>

#include "lab/base/log.h"
#include "lab/base/unique_fd.h"
#include "runtime/attach.h"
#include "runtime/container.h"

namespace lab::runtime {

using Clock = std::chrono::steady_clock;

RestartBackoff::Duration RestartBackoff::next(Duration ran_for) {
  if (ran_for >= kReset) current_ = Duration{0};
  Duration delay = current_;
  current_ = current_ == Duration{0} ? kInitial : std::min(current_ * 2, kMax);
  return delay;
}

std::string termination_reason(int exit_code, bool oom_killed) {
  if (oom_killed) return "OOMKilled";
  return exit_code == 0 ? "Completed" : "Error";
}

bool restarts_after(const std::string& restart_policy, int exit_code) {
  if (restart_policy == "Never") return false;
  if (restart_policy == "OnFailure") return exit_code != 0;
  return true;
}

namespace {

class Supervisor {
 public:
  Supervisor(std::vector<SupervisedContainer>& cs, const std::string& state_dir,
             const std::string& restart_policy, const StartFn& start)
      : cs_(cs), state_dir_(state_dir), restart_policy_(restart_policy), start_(start) {}

  int run(int signal_fd) {
    reap();  // children that exited before the signalfd existed
    for (;;) {
      if (terminating_ && std::ranges::none_of(cs_, [](auto& c) { return c.pid > 0; })) {
        relay_output();
        return 0;
      }
      // The signalfd, the containers' output pipes (copied into their logs), then the attach
      // sockets and their clients.
      std::vector<pollfd> pfds{{signal_fd, POLLIN, 0}};
      for (int fd : output_fds()) pfds.push_back({fd, POLLIN, 0});
      size_t attach_at = pfds.size();
      auto attach = attach_pollfds();
      pfds.insert(pfds.end(), attach.begin(), attach.end());
      int rc = ::poll(pfds.data(), pfds.size(), poll_timeout_ms());
      if (rc < 0 && errno != EINTR) return 1;
      if (rc > 0 && std::any_of(pfds.begin() + 1, pfds.begin() + attach_at, [](auto& p) { return p.revents; }))
        relay_output();
      // Before the signals: a reaped container's clients are ended, not yet freed, meanwhile.
      attach_handle(std::span<const pollfd>(pfds).subspan(rc > 0 ? attach_at : pfds.size()));
      if (rc > 0 && pfds[0].revents) read_signals(signal_fd);
      if (!terminating_) restart_due();
    }
  }

 private:
  int poll_timeout_ms() const {
    if (terminating_) return -1;
    std::optional<Clock::time_point> next;
    for (const auto& c : cs_)
      if (c.restart_at && (!next || *c.restart_at < *next)) next = c.restart_at;
    if (!next) return -1;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 1 << 30));
  }

  void read_signals(int fd) {
    signalfd_siginfo si[16];
    ssize_t n = ::read(fd, si, sizeof si);
    if (n <= 0) return;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof si[0]; ++i) {
      int sig = static_cast<int>(si[i].ssi_signo);
      if (sig == SIGCHLD) {
        reap();
      } else if (sig == SIGTERM || sig == SIGINT) {
        terminating_ = true;
        for (auto& c : cs_) {
          c.restart_at.reset();
          if (c.pid > 0) ::kill(c.pid, sig);
        }
      }
      // SIGHUP: ignored, as the pause container does.
    }
  }

  // SIGCHLD coalesces, so reap until nothing is left; orphans of the pod land here too.
  void reap() {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;
      for (auto& c : cs_)
        if (c.pid == pid) exited(c, status);
    }
  }

  void exited(SupervisedContainer& c, int status) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // A container ends with its main process, as under Docker: the rest of its process group
    // (nginx's workers, still holding :80) would otherwise block the restart.
    ::kill(-c.pid, SIGKILL);
    bool oom = c.oom_kills && c.oom_kills() > c.oom_base;
    // The reason first: the kubelet reads it when it sees the new exit code.
    log_failure(write_file_atomic(path(c, "last-reason"), termination_reason(code, oom) + "\n"));
    log_failure(write_file_atomic(path(c, "last-exit"), std::to_string(code) + "\n"));
    c.pid = 0;
    // Its last output first, then its attached clients learn how it ended.
    relay_output();
    bool again = !terminating_ && restarts_after(restart_policy_, code);
    attach_exited(c.name, code, !again);
    if (!again && !terminating_)
      log_failure(write_file_atomic(path(c, "terminated"), std::to_string(code) + "\n"));
    if (!again) return;
    auto ran_for = std::chrono::duration_cast<RestartBackoff::Duration>(Clock::now() - c.started);
    c.restart_at = Clock::now() + c.backoff.next(ran_for);
  }

  void restart_due() {
    for (size_t i = 0; i < cs_.size(); ++i) {
      auto& c = cs_[i];
      if (!c.restart_at || *c.restart_at > Clock::now()) continue;
      c.restart_at.reset();
      ++c.restarts;
      log_failure(write_file_atomic(path(c, "restarts"), std::to_string(c.restarts) + "\n"));
      c.started = Clock::now();
      uint64_t oom_base = c.oom_kills ? c.oom_kills() : 0;
      auto pid = start_(i);
      if (pid) {
        c.pid = *pid;
        c.oom_base = oom_base;
        attach_started(c.name);
      } else {
        // A failed start counts as a crash at once (the error is in the container's log).
        log_failure(write_file_atomic(path(c, "last-reason"), "Error\n"));
        log_failure(write_file_atomic(path(c, "last-exit"), "128\n"));
        c.restart_at = Clock::now() + c.backoff.next(RestartBackoff::Duration{0});
      }
    }
  }

  std::string path(const SupervisedContainer& c, const char* what) const {
    return state_dir_ + "/" + c.name + "." + what;
  }

  std::vector<SupervisedContainer>& cs_;
  const std::string& state_dir_;
  const std::string& restart_policy_;
  const StartFn& start_;
  bool terminating_ = false;
};

}  // namespace

int supervise(std::vector<SupervisedContainer>& containers, const std::string& state_dir,
              const std::string& restart_policy, int signal_fd, const StartFn& start) {
  return Supervisor(containers, state_dir, restart_policy, start).run(signal_fd);
}

}  // namespace lab::runtime
