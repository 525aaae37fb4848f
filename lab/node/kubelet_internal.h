// Small helpers the kubelet's files share (kubelet.cc, kubelet_state.cc): names derived from a
// pod's uid, pidfds, and numbers from the pod init's state files. Not part of the kubelet's API.
#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "lab/base/log.h"
#include "lab/base/clock.h"
#include "lab/base/hash.h"
#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"

namespace lab::node::detail {

inline void log_line(const std::string& msg) { lab::log_line("kubelet: " + msg); }

// Unique per pod and <= 15 chars; derived from the uid so a restarted daemon finds it again.
inline std::string host_veth_name(const std::string& uid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "veth%08x", fnv1a32(uid));
  return buf;
}

// True once the process behind pidfd has exited (or when there is no pidfd to ask).
inline bool exited(const UniqueFd& pidfd) {
  pollfd p{pidfd.get(), POLLIN, 0};
  return !pidfd || ::poll(&p, 1, 0) == 1;
}

// A number the pod init wrote ("3\n"), or fallback when the file is missing or not a number.
inline int read_int_file(const std::string& path, int fallback) {
  auto text = read_file(path);
  if (!text) return fallback;
  std::string_view v = *text;
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  auto n = parse_int(v);
  return n ? *n : fallback;
}

}  // namespace lab::node::detail
