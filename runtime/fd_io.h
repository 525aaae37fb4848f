// Descriptor plumbing for the processes that enter a pod: whole-buffer pipe I/O for the
// start-up handshakes (status and exec-report pipes), looping over short writes and EINTR and
// giving up quietly when the peer is gone; and closing every inherited descriptor.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <string_view>
#include <vector>

namespace lab::runtime {

inline void write_all(int fd, std::string_view s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// write_all for a socket whose peer may be gone: MSG_NOSIGNAL (no SIGPIPE), and whether every
// byte went (false once the peer is gone). The frames of attach and exec sessions.
inline bool send_all(int fd, std::string_view s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Everything until EOF (every writer closed, or exec'd with the end CLOEXEC).
inline std::string read_all(int fd) {
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Closes every descriptor above 2 except those in keep, whatever their CLOEXEC flag: a
// process that enters a pod must not carry a file of the host in (runc and crun do this
// since CVE-2024-21626, where a leaked directory fd let `cd /proc/self/fd/N/..` leave the
// container). For the child of a fork in a single-threaded process, before execve.
inline void close_fds_except(std::vector<int> keep) {
  std::ranges::sort(keep);
  unsigned lo = 3;
  auto close_below = [&](unsigned hi) {  // [lo, hi)
    if (hi <= lo) return;
    if (::close_range(lo, hi - 1, 0) != 0) {
      // Before Linux 5.9: one by one, up to the descriptor limit.
      long max = ::sysconf(_SC_OPEN_MAX);
      unsigned end = std::min(hi, max > 0 && max < INT_MAX ? static_cast<unsigned>(max) : 65536U);
      for (unsigned fd = lo; fd < end; ++fd) ::close(static_cast<int>(fd));
    }
  };
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < lo) continue;
    close_below(static_cast<unsigned>(fd));
    lo = static_cast<unsigned>(fd) + 1;
  }
  close_below(UINT_MAX);
}

}  // namespace lab::runtime
