// Whole-buffer pipe I/O for the start-up handshakes (status and exec-report pipes): loops
// over short writes and EINTR, and gives up quietly when the peer is gone.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string>

namespace lab::runtime {

inline void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
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

}  // namespace lab::runtime
