// The lab's daemon: builds the cluster from a planned record and the scenario's objects, then
// serves the API on the lab's Unix socket until told to stop (SIGTERM), when it tears down.
#pragma once

#include <string>

namespace lab::server {

struct DaemonOptions {
  std::string lab;       // the lab's record must exist in /run/lab/<lab>/lab.json
  int ready_fd = -1;     // gets "ok\n" when every pod runs, or "error <message>\n"
  std::string self_exe;  // the lab binary, re-executed for pod inits
};

// Entry for `lab __daemon --lab=NAME --ready-fd=N`. Returns the process exit code.
int daemon_main(const DaemonOptions& opts);

}  // namespace lab::server
