#pragma once
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <cstdio>
inline void zz_trace(const char* what) {
  timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  char buf[128]; int n = snprintf(buf, sizeof buf, "%ld.%06ld %d %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(), what);
  static int fd = open("/tmp/rt-test/trace.log", O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) { (void)!write(fd, buf, n); }
}
