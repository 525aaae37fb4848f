// A name for the calling thread, as `top -H`, `ps -L`, perf and /proc/<pid>/task/*/comm show it:
// the daemon runs dozens of threads (informers, controller workers, pod workers, probers, the
// proxy agent, the API's), and unnamed they were all "lab" in a profile or a scheduler trace.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

#include "lab/base/log.h"

namespace lab {

// The kernel keeps 15 bytes of a thread's name: a longer one is cut, not refused.
inline void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  if (int err = ::pthread_setname_np(::pthread_self(), cut.c_str()); err != 0)
    log_line("cannot name a thread \"" + cut + "\": error " + std::to_string(err));
}

}  // namespace lab
