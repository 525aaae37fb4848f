// The container child's sequence: stdio, its own mount namespace, rootfs + pivot, cwd,
// capabilities, no_new_privs, seccomp (last: it would refuse the mounts), execve. And the pod
// init's side of the containers' output: a pipe each, copied into the log files.
#include "runtime/container.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "runtime/attach.h"
#include "runtime/fd_io.h"
#include "runtime/caps.h"
#include "runtime/container_process.h"
#include "runtime/pty.h"

namespace lab::runtime {
namespace {

// Reported on the pipe as "P<host pid>\n" then, on failure only, "E<message>".
[[noreturn]] void child_fail(int report_fd, const Error& e) {
  write_all(report_fd, "E" + e.what());
  write_all(2, "lab: " + e.what() + "\n");  // stderr goes to the container log by now
  ::_exit(127);
}

// One container run's output: the pipe's read end and the log it is copied into. The pod init
// is single-threaded and runs one pod, so the list is simply this process's.
struct Output {
  std::string name;
  UniqueFd pipe;  // non-blocking; a tty container's pty master
  UniqueFd log;   // O_APPEND
  UniqueFd input; // the write end of a stdin pipe (non-blocking)
  bool tty = false;
};

std::vector<Output>& outputs() {
  static std::vector<Output> list;
  return list;
}

// Copies what waits on the pipe; false once every writer is gone (or the pipe failed).
bool copy_output(Output& o) {
  char buf[16384];
  // At most 1 MiB a round, so that a chatty container can't keep the init from its signals.
  for (int round = 0; round < 64; ++round) {
    ssize_t n = ::read(o.pipe.get(), buf, sizeof buf);
    if (n > 0) {
      write_all(o.log.get(), std::string_view(buf, static_cast<size_t>(n)));
      attach_publish(o.name, Channel::Stdout, std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
  return true;
}

// readOnlyRootFilesystem: the root is read-only already (rootfs.h); its writable tmpfs
// directories, which stand for the image's own /tmp, /run and /var, become read-only too, as
// they would be under Docker's --read-only. /dev (and /dev/shm) stay writable, as there.
Result<void> make_root_read_only() {
  for (const char* dir : {"/tmp", "/run", "/var"}) {
    struct statvfs st {};
    if (::statvfs(dir, &st) != 0) continue;  // not in this container's root
    // A bind remount must repeat the flags the kernel locked (nosuid, nodev, noexec).
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (::mount(nullptr, dir, nullptr, flags, nullptr) != 0)
      return fail_errno(std::string("make ") + dir + " read-only");
  }
  return {};
}

Result<void> prepare_and_exec(const ContainerLaunch& c, int report_fd, int console_fd) {
  // Our own host pid, read while the host's /proc is still mounted here.
  char buf[32] = {};
  ssize_t n = ::readlink("/proc/self", buf, sizeof buf - 1);
  if (n > 0) write_all(report_fd, "P" + std::string(buf, static_cast<size_t>(n)) + "\n");

  if (::unshare(CLONE_NEWNS) != 0) return fail_errno("unshare mount namespace");
  LAB_TRY(enter_rootfs(c.rootfs));
  if (c.security.read_only_root) LAB_TRY(make_root_read_only());
  if (c.tty) {
    // From the container's own devpts, made a moment ago by enter_rootfs: nothing of the
    // container has run yet. The master goes to the pod init, as runc's console socket.
    auto master = open_pty_master("/dev/pts/ptmx");
    if (!master) return std::unexpected(master.error());
    auto slave = open_pty_peer(master->get());
    if (!slave) return std::unexpected(slave.error());
    LAB_TRY(take_terminal(slave->get()));
    LAB_TRY(send_fd(console_fd, master->get()));
  } else if (!c.stdin) {
    // stdin: the root's own /dev/null, not the host's node that the pod init opened.
    auto devnull = UniqueFd::open("/dev/null", O_RDONLY);
    if (!devnull) return std::unexpected(devnull.error());
    if (::dup2(devnull->get(), 0) < 0) return fail_errno("redirect stdin");
  }
  std::string cwd = c.working_dir.empty() ? "/" : c.working_dir;
  if (::chdir(cwd.c_str()) != 0) return fail_errno("chdir " + cwd);
  auto path = lookup_executable(c.process.argv[0], c.process.env);
  if (!path) return std::unexpected(path.error());

  // The container's cgroup, ids, capabilities, no_new_privs and seccomp filter: the one
  // sequence `lab exec` applies too (container_process.h).
  ContainerProcess self{c.cgroup_procs, &c.security, c.seccomp, c.tty ? 0 : -1};
  LAB_TRY(become_container_process(self));
  auto argv = c_strings(c.process.argv);
  auto envp = c_strings(c.process.env);
  close_fds_except({report_fd});  // devnull, and anything a library opened; report is CLOEXEC
  ::execve(path->c_str(), argv.data(), envp.data());
  return fail_errno("exec " + c.process.argv[0]);
}

}  // namespace

void reset_signals() {
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL for KILL/STOP
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

Result<LaunchedProcess> launch_container(const ContainerLaunch& c) {
  // A restart keeps the last run's output for `logs --previous`, as the kubelet keeps the
  // previous container's log.
  (void)::rename(c.log_path.c_str(), (c.log_path + ".previous").c_str());
  auto log = UniqueFd::open(c.log_path, O_WRONLY | O_APPEND | O_CREAT, 0640);
  if (!log) return std::unexpected(log.error());
  auto devnull = UniqueFd::open("/dev/null", O_RDONLY);  // until the root has its own
  if (!devnull) return std::unexpected(devnull.error());
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd out_rd(p[0]), out_wr(p[1]);
  if (::fcntl(out_rd.get(), F_SETFL, O_NONBLOCK) != 0) return fail_errno("output pipe");
  UniqueFd in_rd, in_wr, console_here, console_child;
  if (c.stdin && !c.tty) {
    if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
    in_rd.reset(p[0]);
    in_wr.reset(p[1]);
    if (::fcntl(in_wr.get(), F_SETFL, O_NONBLOCK) != 0) return fail_errno("stdin pipe");
  }
  if (c.tty) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
    console_here.reset(sv[0]);
    console_child.reset(sv[1]);
  }

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    reset_signals();
    ::setsid();
    if (::dup2(in_rd ? in_rd.get() : devnull->get(), 0) < 0 || ::dup2(out_wr.get(), 1) < 0 ||
        ::dup2(out_wr.get(), 2) < 0)
      child_fail(wr.get(), Error{errno, "redirect stdio"});
    // Nothing of the pod init's (its signalfd, the logs, other containers' pipes) goes in.
    // The cgroup's files stay until become_container_process joins it, before the exec.
    std::vector<int> keep = {wr.get(), console_child.get()};
    keep.insert(keep.end(), c.cgroup_procs.begin(), c.cgroup_procs.end());
    close_fds_except(std::move(keep));
    auto r = prepare_and_exec(c, wr.get(), console_child.get());
    child_fail(wr.get(), r.error());
  }
  wr.reset();
  out_wr.reset();
  in_rd.reset();
  console_child.reset();
  // A restart: what the last run left in its pipe goes to its log, now .previous.
  auto& list = outputs();
  for (auto& o : list)
    if (o.name == c.name) (void)copy_output(o);
  std::erase_if(list, [&](const Output& o) { return o.name == c.name; });
  UniqueFd log2(::fcntl(log->get(), F_DUPFD_CLOEXEC, 0));
  list.push_back(Output{c.name, std::move(out_rd), std::move(*log), std::move(in_wr), false});

  std::string report = read_all(rd.get());  // EOF: exec'd (CLOEXEC) or exited
  LaunchedProcess out{pid, 0};
  std::string error;
  if (report.starts_with("P")) {
    size_t nl = report.find('\n');
    if (auto host_pid = parse_int(std::string_view(report).substr(1, nl - 1), 1))
      out.host_pid = static_cast<pid_t>(*host_pid);
    report.erase(0, nl == std::string::npos ? report.size() : nl + 1);
  }
  if (report.starts_with("E")) error = report.substr(1);
  if (error.empty() && c.tty) {
    // Sent before the exec, so it waits in the socket by now.
    auto master = recv_fd(console_here.get());
    if (!master) {
      error = "the container's terminal did not arrive";
      ::kill(pid, SIGKILL);
    } else if (::fcntl(master->get(), F_SETFL, O_RDWR | O_NONBLOCK) != 0 || !log2) {
      error = "the container's terminal: " + std::string(std::strerror(errno));
      ::kill(pid, SIGKILL);
    } else {
      list.push_back(Output{c.name, std::move(*master), std::move(log2), UniqueFd(), true});
    }
  }
  if (!error.empty()) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    relay_output();  // the child's last words, for `lab logs`
    return fail(error);
  }
  return out;
}

std::vector<int> output_fds() {
  std::vector<int> fds;
  for (const auto& o : outputs()) fds.push_back(o.pipe.get());
  return fds;
}

void relay_output() {
  std::erase_if(outputs(), [](Output& o) { return !copy_output(o); });
}

int container_input(const std::string& name) {
  for (const auto& o : outputs())
    if (o.name == name && (o.tty || o.input)) return o.tty ? o.pipe.get() : o.input.get();
  return -1;
}

int container_terminal(const std::string& name) {
  for (const auto& o : outputs())
    if (o.name == name && o.tty) return o.pipe.get();
  return -1;
}

void close_container_input(const std::string& name) {
  for (auto& o : outputs())
    if (o.name == name) o.input.reset();
}

}  // namespace lab::runtime
