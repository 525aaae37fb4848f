// `lab exec`: an intermediate child enters the container's namespaces and root (the caller's
// stay as they are) and forks the command into the pod's pid namespace, where it becomes a
// process of the container as runc exec makes it one (the container's cgroup, uid, gids,
// capabilities, no_new_privs and seccomp filter, by the container start's own code:
// container_process.h), in a session of its own and with nothing of the caller's but stdin,
// stdout and stderr. With a tty (`exec -t`), the intermediate opens a pty of the container's devpts, the
// command gets its peer as stdio and controlling terminal, and the master goes back to the
// caller, which relays between it and its own terminal: the caller's terminal never enters.
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "runtime/fd_io.h"
#include "runtime/cgroups.h"
#include "runtime/command.h"
#include "runtime/container.h"
#include "runtime/container_process.h"
#include "runtime/image.h"
#include "runtime/pod_spec.h"
#include "runtime/proc.h"
#include "runtime/pty.h"
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

// Everything of the container that its exec'd processes get, as runc exec gives them the
// container's process settings: its configured environment and working directory (as `kubectl
// exec` gives them), its securityContext (ids, capabilities), its seccomp program and its
// cgroup. Found through the pod init's command line (its spec file) and the <container>.hostpid
// files next to it. Nothing here has a default: without the container's settings there is no
// exec (rather than one with more privilege than the container).
struct ContainerConfig {
  std::vector<std::string> env;
  std::string working_dir;  // "" = "/"
  SecuritySpec security;
  std::optional<SeccompFilter> seccomp;  // nullopt: Unconfined
  std::vector<UniqueFd> cgroup_procs;    // opened from the host, before any setns
};

Result<ContainerConfig> config_from_spec(pid_t pid, pid_t init_pid) {
  auto args = read_cmdline(init_pid);
  if (args.size() < 3 || args[0] != "lab-pod-init" || args[1] != "__pod-init")
    return fail("the pod init has no spec file on its command line", ENOENT);
  auto text = read_file(args[2]);
  if (!text) return std::unexpected(text.error());
  PodRuntimeSpec spec;
  std::string pod_hex;
  std::vector<std::string> own_hex;  // per container, "" = the pod's program
  try {
    auto j = nlohmann::json::parse(*text);
    spec = j.get<PodRuntimeSpec>();
    pod_hex = j.value(kSeccompKey, std::string());
    for (const auto& c : j.value("containers", nlohmann::json::array()))
      own_hex.push_back(c.is_object() ? c.value(kSeccompKey, std::string()) : std::string());
  } catch (const std::exception& e) {
    return fail("parse " + args[2] + ": " + e.what(), EINVAL);
  }
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    const auto& c = spec.containers[i];
    auto pid_text = read_file(spec.state_dir + "/" + c.name + ".hostpid");
    if (!pid_text) continue;
    // "1234\n", written by the pod init
    if (auto written = parse_int(trim_space(*pid_text), 1); !written || *written != pid) continue;
    auto ctx = [&](const Error& e) { return std::unexpected(e.context("container " + c.name)); };
    auto image = find_image(c.image);
    if (!image) return ctx(image.error());
    auto process = resolve_process(**image, c, spec.host_name());
    if (!process) return ctx(process.error());
    ContainerConfig config;
    config.env = std::move(process->env);
    config.working_dir = c.working_dir;
    config.security = c.security;
    auto seccomp = container_seccomp(c.security, i < own_hex.size() ? own_hex[i] : "", pod_hex);
    if (!seccomp) return ctx(seccomp.error());
    config.seccomp = std::move(*seccomp);
    // The container's cgroup, as the pod init made it (pod_init.cc start_container).
    const CgroupLayout& cgroups = host_cgroups();
    if (!spec.cgroup.empty() && cgroups.version != CgroupVersion::None) {
      auto fds = open_cgroup_procs(cgroups, container_cgroup(spec.cgroup, c.name));
      if (!fds) return ctx(fds.error().context("the container's cgroup"));
      config.cgroup_procs = std::move(*fds);
    }
    return config;
  }
  return fail("no container of the pod runs as process " + std::to_string(pid), ESRCH);
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrappers don't link from C++.
bool pidfd_alive(int pidfd) { return ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0; }

std::optional<std::pair<dev_t, ino_t>> mount_ns(pid_t pid) {
  struct stat st{};
  if (::stat(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), &st) != 0) return std::nullopt;
  return std::pair{st.st_dev, st.st_ino};
}

// The pod init that pid is a container of. A container is a child of a pod init and has a
// mount namespace of its own; the pod init itself (a child of P0, also "lab-pod-init", for a
// moment) shares its parent's, where "/" is the host's.
Result<pid_t> pod_init_of(pid_t pid) {
  auto st = read_proc_stat(pid);
  if (!st || st->state == 'Z') return fail("process " + std::to_string(pid) + " is gone");
  auto parent = read_cmdline(st->ppid);
  auto own = mount_ns(pid), parents = mount_ns(st->ppid);
  if (parent.empty() || parent[0] != "lab-pod-init" || !own || !parents || *own == *parents)
    return fail("process " + std::to_string(pid) + " is not a container of a lab pod");
  return st->ppid;
}

struct Target {
  std::vector<UniqueFd> ns;  // setns order: ipc, uts, net, pid, mnt
  // The container's root, opened from the host before any setns (nsenter -r).
  UniqueFd root;
  ContainerConfig config;
};

Result<Target> open_target(pid_t pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  // Pins the process: while it lives, its pid (and so every /proc path below) is its own.
  UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd) return fail_errno("pidfd_open " + std::to_string(pid));
  auto init_pid = pod_init_of(pid);
  if (!init_pid) return std::unexpected(init_pid.error());
  Target t;
  auto config = config_from_spec(pid, *init_pid);
  if (!config) return std::unexpected(config.error().context("the container's settings"));
  t.config = std::move(*config);
  for (const char* ns : {"ipc", "uts", "net", "pid", "mnt"}) {
    auto fd = UniqueFd::open(proc + "/ns/" + ns, O_RDONLY);
    if (!fd) return std::unexpected(fd.error());
    t.ns.push_back(std::move(*fd));
  }
  auto root = UniqueFd::open(proc + "/root", O_PATH | O_DIRECTORY);
  if (!root) return std::unexpected(root.error());
  t.root = std::move(*root);
  // Still alive, so everything above came from it and not from a process that took its pid.
  if (!pidfd_alive(pidfd.get())) return fail("process " + std::to_string(pid) + " is gone");
  return t;
}

// In the intermediate child: passes the terminal's signals (the CLI ignores them, and the
// command, in a session of its own, no longer gets them from the terminal) to the command.
volatile sig_atomic_t g_command_pid = 0;
void forward_signal(int sig) {
  if (g_command_pid > 0) ::kill(g_command_pid, sig);
}
constexpr int kForwarded[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};

[[noreturn]] void run_command(const std::vector<std::string>& argv, const Target& t, int report,
                              int master) {
  // No controlling terminal but, with -t, the container's own pty: TIOCSTI, which types into a
  // terminal, needs it to be the caller's controlling one (or CAP_SYS_ADMIN); else a pod
  // process that ptraces this one, which it may once the capabilities match, could type
  // commands into the caller's shell.
  ::setsid();
  if (master >= 0) {
    auto slave = open_pty_peer(master);
    if (!slave) child_fail(report, slave.error());
    if (auto r = take_terminal(slave->get()); !r) child_fail(report, r.error());
  }
  // Before the capability drop makes us reachable from the pod: only the report pipe and the
  // container's cgroup.procs files (joined first thing below) stay.
  std::vector<int> keep = {report};
  for (const auto& fd : t.config.cgroup_procs) keep.push_back(fd.get());
  close_fds_except(std::move(keep));
  reset_signals();
  auto path = lookup_executable(argv[0], t.config.env);
  if (!path) child_fail(report, path.error());
  // The container start's own sequence: cgroup, ids, capabilities, no_new_privs, seccomp.
  ContainerProcess self;
  for (const auto& fd : t.config.cgroup_procs) self.cgroup_procs.push_back(fd.get());
  self.security = &t.config.security;
  self.seccomp = t.config.seccomp ? &*t.config.seccomp : nullptr;
  self.terminal = master >= 0 ? 0 : -1;
  if (auto r = become_container_process(self); !r)
    child_fail(report, r.error().context("run as the container's process"));
  auto cargv = c_strings(argv);
  auto cenv = c_strings(t.config.env);
  close_fds_except({report});  // anything a library opened on the way; report is CLOEXEC
  ::execve(path->c_str(), cargv.data(), cenv.data());
  child_fail(report, Error{errno, "exec " + argv[0]});
}

[[noreturn]] void enter_and_run(const std::vector<std::string>& argv, const Target& t, int report,
                                int console, const ExecOptions& opts) {
  // The command's stdio, when the caller gave others than its own (lab __exec-session's pipes).
  for (int i = 0; i < 3; ++i)
    if (opts.stdio[i] != i && ::dup2(opts.stdio[i], i) < 0) child_fail(report, Error{errno, "dup2"});
  std::vector<int> keep = {report, console, t.root.get()};
  for (const auto& fd : t.ns) keep.push_back(fd.get());
  for (const auto& fd : t.config.cgroup_procs) keep.push_back(fd.get());
  close_fds_except(std::move(keep));
  static const int kTypes[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID,
                               CLONE_NEWNS};
  static const char* kNames[] = {"ipc", "uts", "net", "pid", "mnt"};
  for (size_t i = 0; i < t.ns.size(); ++i)
    if (::setns(t.ns[i].get(), kTypes[i]) != 0)
      child_fail(report, Error{errno, std::string("join the container's ") + kNames[i] +
                                          " namespace"});
  // setns(CLONE_NEWNS) leaves us at the root of the namespace's mount tree. That is the
  // container's root only when the lab's "/" is a mount of its own; run from a chroot, it is
  // the host's whole tree, with the container's root mounted somewhere inside.
  if (::fchdir(t.root.get()) != 0 || ::chroot(".") != 0)
    child_fail(report, Error{errno, "enter the container's root"});
  const std::string& dir = t.config.working_dir;
  if (::chdir(dir.empty() ? "/" : dir.c_str()) != 0 && ::chdir("/") != 0)
    child_fail(report, Error{errno, "chdir /"});
  UniqueFd master;
  if (opts.tty) {
    // The container's devpts (its /dev/ptmx is a link to it), validated: /dev is the
    // container's to change.
    auto m = open_pty_master("/dev/pts/ptmx");
    if (!m) child_fail(report, m.error().context("allocate a terminal in the container"));
    master = std::move(*m);
    if (opts.size) set_window_size(master.get(), *opts.size);
  }

  sigset_t forwarded, old;
  sigemptyset(&forwarded);
  for (int sig : kForwarded) sigaddset(&forwarded, sig);
  ::sigprocmask(SIG_BLOCK, &forwarded, &old);  // none lost before the pid is known
  struct sigaction fwd{};
  fwd.sa_handler = forward_signal;
  fwd.sa_flags = SA_RESTART;
  for (int sig : kForwarded) ::sigaction(sig, &fwd, nullptr);
  // setns(CLONE_NEWPID) applies to children only.
  pid_t pid = ::fork();
  if (pid < 0) child_fail(report, Error{errno, "fork"});
  if (pid == 0) run_command(argv, t, report, master.get());
  g_command_pid = pid;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::close(report);
  if (master) (void)send_fd(console, master.get());
  master.reset();
  ::close(console);
  ::_exit(wait_code(pid) & 0xff);
}

}  // namespace

Result<StartedExec> start_exec(pid_t container_pid, const std::vector<std::string>& argv,
                               const ExecOptions& opts) {
  if (argv.empty() || argv[0].empty()) return fail("exec: no command");
  auto target = open_target(container_pid);
  if (!target)
    return std::unexpected(target.error().context("exec in process " +
                                                  std::to_string(container_pid)));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  UniqueFd console_here, console_child;
  if (opts.tty) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
    console_here.reset(sv[0]);
    console_child.reset(sv[1]);
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    rd.reset();
    console_here.reset();
    enter_and_run(argv, *target, wr.get(), console_child.get(), opts);
  }
  if (pid < 0) return fail_errno("fork");
  StartedExec started;
  started.pid = pid;
  started.report = std::move(rd);
  wr.reset();
  console_child.reset();
  // EOF instead of a master: the intermediate failed, and says why on the report pipe.
  if (console_here)
    if (auto master = recv_fd(console_here.get())) started.master = std::move(*master);
  return started;
}

Result<int> finish_exec(StartedExec& started) {
  std::string error = read_all(started.report.get());
  int code = wait_code(started.pid);
  if (!error.empty()) return fail(error);
  if (code < 0) return fail("exec: lost the command's exit status");
  return code;
}

Result<int> exec_in_container(pid_t container_pid, const std::vector<std::string>& argv,
                              const ExecOptions& opts) {
  // Like system(): the terminal's Ctrl-C is for the command, not for us.
  struct sigaction ign{}, old_int{}, old_quit{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ign, &old_int);
  ::sigaction(SIGQUIT, &ign, &old_quit);
  auto started = start_exec(container_pid, argv, opts);
  Result<int> code = started ? Result<int>(0) : std::unexpected(started.error());
  if (started) {
    if (started->master) {
      UniqueFd pidfd = open_pidfd(started->pid);
      std::optional<RawTerminal> raw;
      if (::isatty(0) == 1)
        if (auto r = RawTerminal::enter(0)) raw.emplace(std::move(*r));
      relay_pty(started->master.get(), pidfd.get(), opts.forward_stdin);
    }
    code = finish_exec(*started);
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  return code;
}

int exec_main(const std::vector<std::string>& args) {
  auto dash = std::find(args.begin(), args.end(), "--");
  if (args.empty() || dash == args.end()) return 2;
  auto pid = parse_int(args[0], 1);
  if (!pid) return 2;
  auto rc = exec_in_container(*pid, std::vector<std::string>(dash + 1, args.end()));
  return rc ? *rc : 126;
}

}  // namespace lab::runtime
