// Starting and stopping a pod's processes from the node agent, and entering a running
// container for `lab exec`. The pod's PID 1 is lab's own small init (see pod_init.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/pod_spec.h"
#include "runtime/pty.h"

namespace lab::runtime {

// Starts the pod in netns_fd: returns the host pid of the pod's init once every container
// process has exec'd (or the first container's setup error, with nothing left running).
// self_exe is the lab binary: the pod init is `lab-pod-init` beside it, else `lab __pod-init`.
Result<pid_t> start_pod(const PodRuntimeSpec& spec, int netns_fd, const std::string& self_exe);

// SIGKILL to the pod's init (which takes its pid namespace and every container with it).
// ESRCH is not an error. Waits (briefly polling) until the process is gone.
Result<void> kill_pod(pid_t init_pid);

// Host pids of the processes that are direct children of the pod's init (its containers,
// in start order).
Result<std::vector<pid_t>> container_pids(pid_t init_pid);

// The file where the node agent keeps a pod's init pid (`lab exec`, port-forward and a restarted
// daemon find the pod through it), and its pid read back: nullopt when absent or not a pid.
std::string init_pid_path(const std::string& state_dir);
std::optional<pid_t> read_init_pid(const std::string& state_dir);
// The pod init's log (its stderr): the failures it can only report, one timed line each.
std::string pod_init_log_path(const std::string& state_dir);

// Host pid of one container's current process, from <state_dir>/<container>.hostpid
// (rewritten by the pod init at every restart), checked to still be a child of init_pid.
// Unlike container_pids(), stays right after a restart reorders the start times.
Result<pid_t> container_pid(pid_t init_pid, const std::string& state_dir,
                            const std::string& container);

// Runs argv inside the container whose main process is container_pid (its mount, pid, net,
// uts and ipc namespaces, its root and working directory, its configured environment, and the
// container's process settings: its cgroup, uid, gids, capabilities, no_new_privs and seccomp
// filter), refusing a pid that is not a lab container's and failing when the container's
// settings cannot be found or applied (never running with more than the container has).
// The command gets the caller's stdin, stdout and stderr and no other descriptor, in a session
// of its own (no controlling terminal); the terminal's SIGINT, SIGQUIT, SIGTERM and SIGHUP are
// passed on to it. Returns its exit code (128+signal if killed). The caller's own namespaces
// are left alone. Forks and allocates in the child: call it from a single-threaded process
// (the CLI).
// With opts.tty the command instead gets a pty of the container's devpts as stdio and
// controlling terminal (window size opts.size), and this relays between it and the caller's
// stdin/stdout (stdin only with opts.forward_stdin), with the caller's terminal in raw mode
// for the session and its size changes (SIGWINCH) passed on.
struct ExecOptions {
  bool tty = false;
  bool forward_stdin = true;
  std::optional<WindowSize> size;
  // The command's stdin, stdout and stderr (without tty): the caller's own by default.
  int stdio[3] = {0, 1, 2};
};
Result<int> exec_in_container(pid_t container_pid, const std::vector<std::string>& argv,
                              const ExecOptions& opts = {});

// exec_in_container in two halves, for a caller that relays the command's stdio itself
// (exec_session.h): start_exec forks the intermediate and returns at once, with the pty master
// when opts.tty (none if the intermediate failed; finish_exec then says why); finish_exec
// waits for the command and returns its exit code or why it could not run.
struct StartedExec {
  pid_t pid = -1;    // the intermediate, which exits with the command's code
  UniqueFd report;   // the intermediate's errors, EOF when the command ran
  UniqueFd master;   // tty only
};
Result<StartedExec> start_exec(pid_t container_pid, const std::vector<std::string>& argv,
                               const ExecOptions& opts);
Result<int> finish_exec(StartedExec& started);

// `__exec CONTAINER_PID -- CMD...`: exec_in_container as a process of its own (an exec probe's);
// its exit code, 126 when the command could not run, 2 for bad arguments.
int exec_main(const std::vector<std::string>& args);

// The static runtime binary beside self_exe (lab-pod-init: the pod init, `__exec` and
// `__exec-session`), or self_exe itself, which has the same entries, when it is missing. Every
// pod start, exec probe and exec session runs it: the full `lab` takes ~18 ms of CPU to start
// and exit (most of it in the dynamic linker), this one ~2 ms.
const std::string& runtime_binary(const std::string& self_exe);

// `lab ARGS...` (runtime_binary(self_exe)) from the daemon, whose threads may not fork:
// posix_spawn, with stdin, stdout and stderr on /dev/null, `pass` (when >= 0) as fd 3, no other
// descriptor of the caller's, and no signal blocked. The exec probes' `__exec` and exec
// sessions' `__exec-session`.
Result<pid_t> spawn_lab(const std::string& self_exe, const std::vector<std::string>& args, int pass = -1);

// Finds pod inits of a lab by their command line marker; used by `lab down` when the daemon
// is gone.
std::vector<pid_t> find_pod_inits(const std::string& lab);

// The pod inits' starters (P0) of a lab: a daemon that died while pods started leaves them
// behind, about to fork a pod no record will name.
std::vector<pid_t> find_pod_starters(const std::string& lab);

// Both, from one pass over /proc (a teardown's scan of a thousand dying pods takes ~0.1 s).
struct PodProcesses {
  std::vector<pid_t> starters, inits;
};
PodProcesses find_pod_processes(const std::string& lab);

// Kills the lab's starters and waits until they are gone, so that every pod they forked is
// visible to find_pod_inits() afterwards. Only for a lab whose daemon is gone or not yet
// starting pods (teardown, adoption).
Result<void> kill_pod_starters(const std::string& lab);

}  // namespace lab::runtime
