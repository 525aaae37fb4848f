// Starting one container process from the pod's init: fork, build the root, drop privileges,
// exec, and learn over a CLOEXEC pipe whether the exec happened.
#pragma once

#include <sys/types.h>

#include <string>

#include "lab/base/result.h"
#include "runtime/command.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"

namespace lab::runtime {

struct ContainerLaunch {
  std::string name;
  std::string log_path;     // stdout and stderr, appended
  std::string working_dir;  // inside the container; "" = "/"
  ProcessArgs process;
  RootfsPlan rootfs;
  const SeccompFilter* seccomp = nullptr;
};

struct LaunchedProcess {
  pid_t pid = 0;       // in the caller's pid namespace (the pod's)
  pid_t host_pid = 0;  // in the host's, for `lab exec` and container_pids()
};

// Forks the container process and returns once it has exec'd; on a setup or exec error the
// child has exited and been reaped, and the error (also written to the log) is returned. The
// caller must be single-threaded, with SIGCHLD blocked or handled.
Result<LaunchedProcess> launch_container(const ContainerLaunch& c);

// Resets signal dispositions and the mask, which the child inherits from its parent (the
// pod init blocks SIGCHLD and SIGTERM; the CLI ignores SIGINT).
void reset_signals();

}  // namespace lab::runtime
