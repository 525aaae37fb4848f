// The daemon's log: one line on stderr (the daemon's log file, or a pod init's init.log in its
// state dir) with the time in front. The one place the daemon's parts and the pod init write a
// line; library code that runs in the CLI never logs.
#pragma once

#include <cstdio>
#include <string>

#include "lab/base/clock.h"
#include "lab/base/result.h"

namespace lab {

inline void log_line(const std::string& msg) {
  std::fprintf(stderr, "%s %s\n", now_rfc3339().c_str(), msg.c_str());
  std::fflush(stderr);
}

// For a step whose failure its caller can only report (a state file, a cleanup): logs the error.
inline void log_failure(const Result<void>& r) {
  if (!r) log_line(r.error().what());
}

}  // namespace lab
