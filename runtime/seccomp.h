// The seccomp filter of container processes: allow by default, refuse the syscalls that
// reach past the container (mounts, namespaces, modules, kexec, reboot ...).
#pragma once

#include <linux/filter.h>

#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::runtime {

// A compiled filter: the classic-BPF program the kernel runs. libseccomp compiles it once (per
// node agent; the compile is the expensive part, and would otherwise run in every container's
// child with its copy-on-write faults); it travels to the pod init as hex in the pod's spec, and
// each container's child installs it with one system call, allocating nothing.
class SeccompFilter {
 public:
  SeccompFilter() = default;

  // The container profile: default ALLOW; EPERM for the denylist and for clone with any
  // namespace flag; ENOSYS for clone3 (its flags are out of BPF's reach, and ENOSYS makes
  // glibc fall back to clone).
  static Result<SeccompFilter> container_profile();

  // The program as hex (8 bytes an instruction), and back; from_hex refuses anything that is
  // not a whole, non-empty program of at most BPF_MAXINSNS instructions.
  std::string to_hex() const;
  static Result<SeccompFilter> from_hex(std::string_view hex);

  size_t size() const { return program_.size(); }
  bool empty() const { return program_.empty(); }

  // Sets no_new_privs and installs the filter on the calling thread. Last step before execve.
  Result<void> load() const;

 private:
  std::vector<sock_filter> program_;
};

// The key of the compiled filter in a pod's spec.json.
inline constexpr const char* kSeccompKey = "seccompBpf";

}  // namespace lab::runtime
