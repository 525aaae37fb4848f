// The seccomp filter of container processes: Docker's default profile (moby
// profiles/seccomp/default.json), an allowlist with EPERM for everything else.
#pragma once

#include <linux/filter.h>

#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "runtime/caps.h"

namespace lab::runtime {

// A compiled filter: the classic-BPF program the kernel runs. libseccomp compiles it once (per
// node agent and capability set; the compile is the expensive part, and would otherwise run in
// every container's child with its copy-on-write faults); it travels to the pod init as hex in
// the pod's spec, and each container's child installs it with one system call, allocating
// nothing.
class SeccompFilter {
 public:
  SeccompFilter() = default;

  // Docker's default profile for a process with the capabilities caps: default ERRNO(EPERM);
  // the ~360 syscalls Docker allows; those Docker unlocks with a capability (CAP_SYS_ADMIN:
  // mount, unshare, setns, clone with namespace flags...; CAP_SYS_PTRACE, CAP_SYS_MODULE,
  // CAP_SYS_TIME, ...) when caps has it; clone only without namespace flags and clone3 ENOSYS
  // (BPF can't read its flags; ENOSYS makes glibc fall back to clone) unless CAP_SYS_ADMIN;
  // personality only for Docker's five values; socket not for AF_ALG (38) nor AF_VSOCK (40).
  // On x86_64 the x86 and x32 ABIs get the same rules, so 32-bit calls can't skip them.
  static Result<SeccompFilter> docker_default(CapSet caps);
  // docker_default(default_caps()): the profile of a container with Docker's capabilities.
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

// The key of the compiled default filter in a pod's spec.json, and of a container's own (when
// its capabilities differ from Docker's, so do the syscalls its profile allows).
inline constexpr const char* kSeccompKey = "seccompBpf";

}  // namespace lab::runtime
