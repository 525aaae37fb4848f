// Reading /proc: process stat lines and command lines, for finding pod inits and their
// containers without any state of our own (the daemon may have crashed and restarted).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "lab/base/unique_fd.h"

namespace lab::runtime {

struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
  unsigned long long start_time = 0;  // clock ticks since boot
};

// Parses a /proc/PID/stat line; comm may hold spaces and parentheses.
std::optional<ProcStat> parse_proc_stat(const std::string& line);
std::optional<ProcStat> read_proc_stat(pid_t pid);

// argv of a process (NUL-separated in /proc/PID/cmdline); empty if gone or a kernel thread.
std::vector<std::string> split_cmdline(const std::string& raw);
std::vector<std::string> read_cmdline(pid_t pid);

// Numeric entries of /proc.
std::vector<pid_t> list_pids();

// A pidfd for pid (invalid, errno set, if it is gone): it pins that very process, so a signal or
// a wait never reaches a reused pid. (glibc 2.36's <sys/pidfd.h> lacks extern "C".)
UniqueFd open_pidfd(pid_t pid);

}  // namespace lab::runtime
