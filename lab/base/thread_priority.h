// The data path's threads (the informers, the EndpointSlice controller's workers and the proxy
// agent) run ahead of what shares the CPUs with them: a replacement pod's start, exec
// probes, the pods' own traffic. An endpoint change waits for CPU behind those otherwise (perf
// sched on bench/endpoints.sh: up to 9 ms per wakeup), and a deleted pod kept getting new
// connections for that long.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "lab/base/log.h"

namespace lab {

// A nice value, per thread on Linux: weight 3,121 against a default thread's 1,024. Only threads
// that never start processes take it (a child inherits its parent's nice value, and the pods
// must run at the default).
inline constexpr int kDataPathNice = -5;

// Fails only without CAP_SYS_NICE (unit tests run the informers unprivileged): the thread then
// runs at the default, which is no fault, so only another error is logged.
inline void favor_this_thread() {
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kDataPathNice) != 0 && errno != EACCES &&
      errno != EPERM)
    log_line(std::string("cannot raise a data-path thread's priority: ") + std::strerror(errno));
}

}  // namespace lab
