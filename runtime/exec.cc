// `lab exec`: an intermediate child enters the container's namespaces (the caller's stay as
// they are) and forks the command into the pod's pid namespace, confined like the container.
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string_view>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "runtime/fd_io.h"
#include "runtime/caps.h"
#include "runtime/command.h"
#include "runtime/container.h"
#include "runtime/image.h"
#include "runtime/pod_spec.h"
#include "runtime/proc.h"
#include "runtime/seccomp.h"
#include "runtime/spawn.h"

namespace lab::runtime {
namespace {

[[noreturn]] void child_fail(int fd, const Error& e) {
  write_all(fd, e.what());
  ::_exit(127);
}

int wait_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Target {
  std::vector<UniqueFd> ns;  // setns order: ipc, uts, net, pid, mnt (mnt last: paths change)
  std::vector<std::string> env;
  std::string cwd;
};

// The container's configured environment, as `kubectl exec` gives it: found through the pod
// init's command line (its spec file) and the <container>.hostpid files next to it.
// /proc/PID/environ is only the fallback: nginx overwrites that memory with its title.
std::optional<std::vector<std::string>> env_from_spec(pid_t pid) {
  auto st = read_proc_stat(pid);
  if (!st) return std::nullopt;
  auto args = read_cmdline(st->ppid);
  if (args.size() < 3 || args[0] != "lab-pod-init" || args[1] != "__pod-init") return std::nullopt;
  auto text = read_file(args[2]);
  if (!text) return std::nullopt;
  PodRuntimeSpec spec;
  try {
    spec = nlohmann::json::parse(*text).get<PodRuntimeSpec>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
  for (const auto& c : spec.containers) {
    auto pid_text = read_file(spec.state_dir + "/" + c.name + ".hostpid");
    if (!pid_text) continue;
    std::string_view digits = *pid_text;  // "1234\n", written by the pod init
    while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) digits.remove_suffix(1);
    if (auto written = parse_int(digits, 1); !written || *written != pid) continue;
    auto image = find_image(c.image);
    if (!image) return std::nullopt;
    auto process = resolve_process(**image, c, spec.name);
    if (!process) return std::nullopt;
    return process->env;
  }
  return std::nullopt;
}

Result<Target> open_target(pid_t pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  Target t;
  if (auto env = env_from_spec(pid)) {
    t.env = std::move(*env);
  } else {
    auto environ_text = read_file(proc + "/environ");
    if (!environ_text) return std::unexpected(environ_text.error());
    size_t start = 0;
    while (start < environ_text->size()) {
      size_t nul = environ_text->find('\0', start);
      if (nul == std::string::npos) nul = environ_text->size();
      if (nul > start) t.env.push_back(environ_text->substr(start, nul - start));
      start = nul + 1;
    }
  }
  for (const char* ns : {"ipc", "uts", "net", "pid", "mnt"}) {
    auto fd = UniqueFd::open(proc + "/ns/" + ns, O_RDONLY);
    if (!fd) return std::unexpected(fd.error());
    t.ns.push_back(std::move(*fd));
  }
  // Seen from the container's root, since the link is resolved against the process's root
  // when it isn't reachable from ours.
  char buf[PATH_MAX];
  ssize_t n = ::readlink((proc + "/cwd").c_str(), buf, sizeof buf - 1);
  t.cwd = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/";
  return t;
}

[[noreturn]] void run_command(const std::vector<std::string>& argv, const Target& t,
                              const SeccompFilter& seccomp, int report) {
  reset_signals();
  auto path = lookup_executable(argv[0], t.env);
  if (!path) child_fail(report, path.error());
  if (auto r = drop_to_default_caps(); !r) child_fail(report, r.error());
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    child_fail(report, Error{errno, "set no_new_privs"});
  if (auto r = seccomp.load(); !r) child_fail(report, r.error());
  auto cargv = c_strings(argv);
  auto cenv = c_strings(t.env);
  ::execve(path->c_str(), cargv.data(), cenv.data());
  child_fail(report, Error{errno, "exec " + argv[0]});
}

[[noreturn]] void enter_and_run(const std::vector<std::string>& argv, const Target& t,
                                const SeccompFilter& seccomp, int report) {
  static const int kTypes[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID,
                               CLONE_NEWNS};
  static const char* kNames[] = {"ipc", "uts", "net", "pid", "mnt"};
  for (size_t i = 0; i < t.ns.size(); ++i)
    if (::setns(t.ns[i].get(), kTypes[i]) != 0)
      child_fail(report, Error{errno, std::string("join the container's ") + kNames[i] +
                                          " namespace"});
  if (::chdir(t.cwd.c_str()) != 0 && ::chdir("/") != 0)
    child_fail(report, Error{errno, "chdir /"});
  // setns(CLONE_NEWPID) applies to children only.
  pid_t pid = ::fork();
  if (pid < 0) child_fail(report, Error{errno, "fork"});
  if (pid == 0) run_command(argv, t, seccomp, report);
  ::close(report);
  ::_exit(wait_code(pid) & 0xff);
}

}  // namespace

Result<int> exec_in_container(pid_t container_pid, const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) return fail("exec: no command");
  auto target = open_target(container_pid);
  if (!target)
    return std::unexpected(target.error().context("exec in process " +
                                                  std::to_string(container_pid)));
  auto seccomp = SeccompFilter::container_profile();
  if (!seccomp) return std::unexpected(seccomp.error());
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);

  // Like system(): the terminal's Ctrl-C is for the command, not for us.
  struct sigaction ign{}, old_int{}, old_quit{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ign, &old_int);
  ::sigaction(SIGQUIT, &ign, &old_quit);
  pid_t pid = ::fork();
  if (pid == 0) {
    rd.reset();
    enter_and_run(argv, *target, *seccomp, wr.get());
  }
  int fork_errno = errno;
  wr.reset();
  std::string error;
  if (pid > 0) error = read_all(rd.get());
  int code = pid > 0 ? wait_code(pid) : -1;
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  if (pid < 0) return fail("fork", fork_errno);
  if (!error.empty()) return fail(error);
  if (code < 0) return fail("exec: lost the command's exit status");
  return code;
}

}  // namespace lab::runtime
