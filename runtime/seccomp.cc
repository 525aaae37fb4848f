// A denylist rather than Docker's 350-name allowlist: the capability drop already blocks
// most of these; the filter is the second wall and keeps the profile short enough to read.
#include "runtime/seccomp.h"

#include <sched.h>

#include <array>
#include <cerrno>
#include <string>

namespace lab::runtime {
namespace {

constexpr std::array kDenied = {
    // mounts, old and new API
    "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr",
    // namespaces
    "unshare", "setns",
    // the kernel itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "syslog", "bpf", "perf_event_open",
    // not namespaced
    "open_by_handle_at", "keyctl", "add_key", "request_key",
};

constexpr std::array<unsigned long, 7> kNamespaceFlags = {
    CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
    CLONE_NEWCGROUP};

}  // namespace

Result<SeccompFilter> SeccompFilter::container_profile() {
  SeccompFilter f(seccomp_init(SCMP_ACT_ALLOW));
  if (!f.ctx_) return fail("seccomp_init failed");
  // Without the compat arches, a 32-bit syscall from an x86_64 process would skip the rules.
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
      int rc = seccomp_arch_add(f.ctx_, arch);
      if (rc != 0 && rc != -EEXIST) return fail("seccomp_arch_add", -rc);
    }
  }
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on this architecture
    int rc = seccomp_rule_add(f.ctx_, SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (rc != 0) return fail(std::string("seccomp rule for ") + name, -rc);
  }
  // One rule per flag: libseccomp can test "arg & flag == flag" but not "arg & mask != 0".
  for (unsigned long flag : kNamespaceFlags) {
    int rc = seccomp_rule_add(f.ctx_, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) return fail("seccomp rule for clone", -rc);
  }
  int rc = seccomp_rule_add(f.ctx_, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc != 0) return fail("seccomp rule for clone3", -rc);
  return f;
}

Result<void> SeccompFilter::load() const {
  int rc = seccomp_load(ctx_);
  if (rc != 0) return fail("load seccomp filter", -rc);
  return {};
}

}  // namespace lab::runtime
