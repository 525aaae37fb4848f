// The seccomp filter of container processes: allow by default, refuse the syscalls that
// reach past the container (mounts, namespaces, modules, kexec, reboot ...).
#pragma once

#include <seccomp.h>

#include <utility>

#include "lab/base/result.h"

namespace lab::runtime {

// Owns a libseccomp context. Build once (the compile is the expensive part), load in each
// child right before execve; loading needs no_new_privs or CAP_SYS_ADMIN.
class SeccompFilter {
 public:
  SeccompFilter() = default;
  SeccompFilter(SeccompFilter&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
  SeccompFilter& operator=(SeccompFilter&& o) noexcept {
    if (this != &o) {
      reset();
      ctx_ = std::exchange(o.ctx_, nullptr);
    }
    return *this;
  }
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter() { reset(); }

  // The container profile: default ALLOW; EPERM for the denylist and for clone with any
  // namespace flag; ENOSYS for clone3 (its flags are out of BPF's reach, and ENOSYS makes
  // glibc fall back to clone).
  static Result<SeccompFilter> container_profile();

  // Installs the filter on the calling thread. Last step before execve.
  Result<void> load() const;

 private:
  explicit SeccompFilter(scmp_filter_ctx ctx) : ctx_(ctx) {}
  void reset() {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = nullptr;
  }
  scmp_filter_ctx ctx_ = nullptr;
};

}  // namespace lab::runtime
