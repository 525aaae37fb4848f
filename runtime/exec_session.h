// One `kubectl exec` session, in a process of its own (`lab __exec-session`, spawned by the
// daemon, whose threads never fork): the command runs in the container as exec_in_container
// runs it, and its stdio travels as attach.h's frames on one socket to the daemon, which turns
// them into the websocket's channels (lab/server/remote_command.h). In: Stdin, Resize,
// CloseStdin. Out: Stdout, Stderr (none with a tty), then one Status ("exit N", or why the
// command could not run). The daemon hanging up ends the session: the command gets SIGHUP, as
// a terminal's hangup gives it, and SIGKILL if it is still there two seconds later.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/attach.h"

namespace lab::runtime {

struct ExecSessionOptions {
  bool stdin = false;  // the client's stdin goes to the command (else /dev/null)
  bool tty = false;    // a pty of the container's devpts; stdout and stderr both on Stdout
};

// Runs argv in the container of container_pid with its stdio relayed over frames_fd, until the
// command has exited and its output is sent; returns the status it sent (the caller's exit
// code follows it). Single-threaded process only (it forks).
AttachStatus exec_session(int frames_fd, pid_t container_pid, const std::vector<std::string>& argv,
                          const ExecSessionOptions& opts);

// `lab __exec-session CONTAINER_PID [--stdin] [--tty] -- CMD...` with the frames socket on fd 3:
// the verb's parsing, and its exit code (2: bad arguments, 1: the client went away, else 0).
int exec_session_main(const std::vector<std::string>& args);

}  // namespace lab::runtime
