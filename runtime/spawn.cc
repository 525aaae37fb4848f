// Node-agent side of a pod's life: posix_spawn `lab __pod-init` (safe in a multithreaded
// daemon: nothing of ours runs between fork and exec) and read its verdict; kill the pod init.
#include "runtime/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "lab/base/unique_fd.h"
#include "runtime/command.h"
#include "runtime/image_root.h"
#include "runtime/lab_binaries.h"
#include "runtime/proc.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"

namespace lab::runtime {

const std::string& runtime_binary(const std::string& self_exe) {
  static const std::string path = [&] {
    std::string sibling = sibling_binary(self_exe, "lab-pod-init");
    return sibling.empty() ? self_exe : sibling;
  }();
  return path;
}

namespace {

constexpr int kNetnsFd = 3;   // fd numbers in `lab __pod-init`, named on its command line
constexpr int kStatusFd = 4;
constexpr int kStartTimeoutMs = 30'000;

Result<void> mkdir_p(const std::string& path, mode_t mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("mkdir " + dir);
  }
  return {};
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

void reap(pid_t pid) {
  // ECHILD is fine: a daemon-wide reaper may have collected it first.
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrappers don't link from C++.
int pidfd_kill(int pidfd) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0));
}

struct SpawnAttrs {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttrs() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// Reads the status pipe to EOF (or the deadline): "pid N", then "ok N" or "error MESSAGE".
struct Verdict {
  pid_t init_pid = 0;
  bool ok = false;
  bool timed_out = false;
  std::string error;
};

Verdict read_verdict(int fd) {
  Verdict v;
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd pfd{fd, POLLIN, 0};
    int rc = left > 0 ? ::poll(&pfd, 1, static_cast<int>(left)) : 0;
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      v.timed_out = true;
      break;
    }
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    if (line.starts_with("pid ")) {
      v.init_pid = static_cast<pid_t>(std::atoi(line.c_str() + 4));
    } else if (line.starts_with("ok ")) {
      v.init_pid = static_cast<pid_t>(std::atoi(line.c_str() + 3));
      v.ok = true;
    } else if (line.starts_with("error ")) {
      v.error = line.substr(6);
    }
  }
  return v;
}

// The roots of the pod's images, each built by the first pod of the lab that uses it (the
// rename in make_image_root settles a race with another node agent's process).
Result<void> make_image_roots(const PodRuntimeSpec& spec, const std::string& self_exe) {
  if (spec.images_dir.empty()) return fail("pod spec names no image roots directory");
  static std::mutex mu;
  static std::set<std::string> made;
  std::lock_guard lock(mu);
  for (const auto& c : spec.containers) {
    auto image = find_image(c.image);
    if (!image) return std::unexpected(image.error().context("container " + c.name));
    std::string dir = spec.images_dir + "/" + image_root_name(**image);
    if (made.contains(dir)) continue;
    std::string lab_binary;
    if (!(*image)->lab_binary.empty()) lab_binary = sibling_binary(self_exe, (*image)->lab_binary);
    if (auto r = make_image_root(dir, **image, lab_binary); !r)
      return std::unexpected(r.error().context("container " + c.name));
    made.insert(dir);
  }
  return {};
}

}  // namespace

Result<pid_t> start_pod(const PodRuntimeSpec& spec, int netns_fd, const std::string& self_exe) {
  if (auto r = mkdir_p(spec.state_dir, 0755); !r) return std::unexpected(r.error());
  for (const auto& c : spec.containers)
    if (auto r = mkdir_p(parent_dir(c.log_path), 0755); !r) return std::unexpected(r.error());
  std::string spec_path = spec.state_dir + "/spec.json";
  nlohmann::json spec_json = spec;
  // Listed once per node agent rather than once per pod: running busybox costs a few ms.
  static const Result<std::vector<std::string>> applets = busybox_applets();
  if (applets && !spec.applets_dir.empty()) {
    static std::mutex mu;
    static std::set<std::string> made;
    std::lock_guard lock(mu);
    if (!made.contains(spec.applets_dir)) {
      if (auto r = make_applets_dir(spec.applets_dir, *applets); !r) return std::unexpected(r.error());
      made.insert(spec.applets_dir);
    }
  } else if (applets) {
    spec_json[kAppletsKey] = *applets;
  }
  if (auto r = make_image_roots(spec, self_exe); !r) return std::unexpected(r.error());
  // The same program for every pod: compiled once per node agent (runtime/seccomp.h).
  static const Result<std::string> seccomp = []() -> Result<std::string> {
    auto f = SeccompFilter::container_profile();
    if (!f) return std::unexpected(f.error());
    return f->to_hex();
  }();
  if (!seccomp) return std::unexpected(seccomp.error());
  spec_json[kSeccompKey] = *seccomp;
  if (auto r = write_file_atomic(spec_path, spec_json.dump(1) + "\n", 0600); !r)
    return std::unexpected(r.error());

  // The command line is the marker find_pod_inits() looks for, and what `ps` shows.
  std::vector<std::string> args = {"lab-pod-init",
                                   "__pod-init",
                                   spec_path,
                                   std::to_string(kNetnsFd),
                                   std::to_string(kStatusFd),
                                   "--lab=" + spec.lab,
                                   "--pod=" + spec.namespace_ + "/" + spec.name};
  std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  auto argv = c_strings(args);
  auto envp = c_strings(env);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd status_rd(p[0]), status_wr(p[1]);
  // Above the target numbers, so that the dup2s below can't clobber one another.
  UniqueFd netns_hi(::fcntl(netns_fd, F_DUPFD_CLOEXEC, 10));
  UniqueFd status_hi(::fcntl(status_wr.get(), F_DUPFD_CLOEXEC, 10));
  if (!netns_hi || !status_hi) return fail_errno("dup the netns and status fds");
  status_wr.reset();

  SpawnAttrs sa;
  posix_spawn_file_actions_addopen(&sa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&sa.actions, 1, "/dev/null", O_WRONLY, 0);
  // The pod init's own log (log_line): what it can only report, such as a state file it could
  // not write. Its containers write to their own logs, never to this.
  const std::string init_log = pod_init_log_path(spec.state_dir);
  posix_spawn_file_actions_addopen(&sa.actions, 2, init_log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0640);
  posix_spawn_file_actions_adddup2(&sa.actions, netns_hi.get(), kNetnsFd);
  posix_spawn_file_actions_adddup2(&sa.actions, status_hi.get(), kStatusFd);
  posix_spawn_file_actions_addclosefrom_np(&sa.actions, kStatusFd + 1);
  posix_spawn_file_actions_addchdir_np(&sa.actions, "/");
  // Own session: a Ctrl-C at the daemon's terminal must not reach the pods, which outlive it.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  posix_spawnattr_setflags(&sa.attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t p0 = 0;
  const std::string& exe = runtime_binary(self_exe);
  int rc = ::posix_spawn(&p0, exe.c_str(), &sa.actions, &sa.attr, argv.data(), envp.data());
  netns_hi.reset();
  status_hi.reset();
  if (rc != 0) return fail("spawn " + exe, rc);

  Verdict v = read_verdict(status_rd.get());
  if (v.timed_out) ::kill(p0, SIGKILL);
  reap(p0);
  if (v.ok && v.init_pid > 0) return v.init_pid;
  if (v.init_pid > 0) (void)kill_pod(v.init_pid);  // P0 died or timed out after forking P1
  if (v.timed_out) return fail("pod init gave no answer within 30 s");
  if (v.error.empty()) return fail("pod init exited without a status");
  return fail(v.error);
}

Result<void> kill_pod_starters(const std::string& lab) {
  Result<void> first;
  for (pid_t pid : find_pod_starters(lab)) {
    UniqueFd pidfd = open_pidfd(pid);
    if (!pidfd) continue;  // gone already
    auto cmd = read_cmdline(pid);
    if (cmd.empty() || cmd[0] != "lab-pod-init") continue;  // the pid was reused
    if (pidfd_kill(pidfd.get()) != 0) {
      if (errno != ESRCH && first) first = fail_errno("kill pod starter " + std::to_string(pid));
      continue;
    }
    pollfd pfd{pidfd.get(), POLLIN, 0};
    while (::poll(&pfd, 1, 5'000) < 0 && errno == EINTR) {
    }
  }
  return first;
}

Result<void> kill_pod(pid_t init_pid) {
  if (init_pid <= 0) return fail("kill pod: bad pid " + std::to_string(init_pid));
  // The pidfd pins this very process: no pid reuse between the check and the kill.
  UniqueFd pidfd = open_pidfd(init_pid);
  if (!pidfd) {
    if (errno == ESRCH) return {};
    return fail_errno("pidfd_open " + std::to_string(init_pid));
  }
  auto cmd = read_cmdline(init_pid);
  if (cmd.empty() || cmd[0] != "lab-pod-init") return {};  // gone, and the pid reused
  if (pidfd_kill(pidfd.get()) != 0 && errno != ESRCH)
    return fail_errno("kill pod init " + std::to_string(init_pid));
  // Readable once it has exited, which for a pid-namespace init is after every process of
  // the namespace is gone.
  pollfd pfd{pidfd.get(), POLLIN, 0};
  for (;;) {
    int rc = ::poll(&pfd, 1, 10'000);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return fail("pod init " + std::to_string(init_pid) + " did not die within 10 s");
    break;
  }
  ::waitpid(init_pid, nullptr, WNOHANG);  // ours only if the caller is a subreaper
  // Then its parent (host init) reaps it; a zombie is dead enough.
  for (int i = 0; i < 1000; ++i) {
    auto st = read_proc_stat(init_pid);
    if (!st || st->state == 'Z' || st->state == 'X') return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return fail("pod init " + std::to_string(init_pid) + " is still there after SIGKILL");
}

Result<pid_t> spawn_lab(const std::string& self_exe, const std::vector<std::string>& args, int pass) {
  std::vector<std::string> words = {"lab"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (pass >= 0) posix_spawn_file_actions_adddup2(&fa, pass, 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, pass >= 0 ? 4 : 3);  // nothing else of the caller's
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, runtime_binary(self_exe).c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return fail("spawn lab " + (args.empty() ? std::string() : args[0]), err);
  return pid;
}

}  // namespace lab::runtime
