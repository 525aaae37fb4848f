// Starting one container process from the pod's init: fork, build the root, drop privileges,
// exec, and learn over a CLOEXEC pipe whether the exec happened. The container's stdout and
// stderr are a pipe that the pod init copies into the log file, as conmon and
// containerd-shim do: a container holding the log file itself would hold a file of the host,
// which root in a container (CAP_FOWNER, CAP_CHOWN) could chmod, chown or truncate through
// /proc/self/fd.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/command.h"
#include "runtime/pod_spec.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"

namespace lab::runtime {

struct ContainerLaunch {
  std::string name;
  std::string log_path;     // stdout and stderr, appended by the pod init
  std::string working_dir;  // inside the container; "" = "/"
  ProcessArgs process;
  RootfsPlan rootfs;
  const SeccompFilter* seccomp = nullptr;  // nullptr: seccompProfile Unconfined
  SecuritySpec security;     // uid, gids, capabilities, read-only root
  std::vector<int> cgroup_procs;  // cgroup.procs of the container's cgroup, joined before exec
  // k8s `tty`: stdio is a pty of the container's devpts, whose master the pod init keeps (its
  // output goes to the log and to attached clients). k8s `stdin` without tty: stdin is a pipe
  // the pod init feeds from attached clients. Otherwise stdin is the root's /dev/null.
  bool tty = false;
  bool stdin = false;
};

struct LaunchedProcess {
  pid_t pid = 0;       // in the caller's pid namespace (the pod's)
  pid_t host_pid = 0;  // in the host's, for `lab exec` and container_pids()
};

// Forks the container process and returns once it has exec'd; on a setup or exec error the
// child has exited and been reaped, and the error (also written to the log) is returned. The
// caller must be single-threaded, with SIGCHLD blocked or handled, and must relay the output
// (below). The process starts with only stdin (the root's /dev/null), stdout and stderr.
Result<LaunchedProcess> launch_container(const ContainerLaunch& c);

// Read ends of the output pipes of the containers launched by this process, for poll().
std::vector<int> output_fds();
// Copies what waits on every output pipe into its log, without blocking, and closes a pipe
// whose writers are all gone. Call when poll() finds one readable or hung up, and before the
// pod init exits. A restarted container's old pipe goes on into the old log (.previous).
void relay_output();

// The container's stdin as the pod init holds it (the pty master, or the write end of its
// stdin pipe; non-blocking), -1 if it has none or it was closed.
int container_input(const std::string& name);
// Its pty master (for the window size), -1 if it has no terminal.
int container_terminal(const std::string& name);
// Closes its stdin pipe (stdinOnce); the process reads EOF. A terminal stays.
void close_container_input(const std::string& name);

// Resets signal dispositions and the mask, which the child inherits from its parent (the
// pod init blocks SIGCHLD and SIGTERM; the CLI ignores SIGINT).
void reset_signals();

}  // namespace lab::runtime
