// The daemon's log: one line on stderr (the daemon's log file) with the time in front. The one
// place the daemon's parts write a line; library code that runs in the CLI never logs.
#pragma once

#include <cstdio>
#include <string>

#include "lab/base/clock.h"

namespace lab {

inline void log_line(const std::string& msg) {
  std::fprintf(stderr, "%s %s\n", now_rfc3339().c_str(), msg.c_str());
  std::fflush(stderr);
}

}  // namespace lab
