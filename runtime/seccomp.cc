// A denylist rather than Docker's 350-name allowlist: the capability drop already blocks
// most of these; the filter is the second wall and keeps the profile short enough to read.
#include "runtime/seccomp.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "lab/base/unique_fd.h"

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

// Owns a libseccomp context while the profile is built.
struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx) seccomp_release(ctx);
  }
};

Result<void> add_rules(scmp_filter_ctx ctx) {
  // Without the compat arches, a 32-bit syscall from an x86_64 process would skip the rules.
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
      int rc = seccomp_arch_add(ctx, arch);
      if (rc != 0 && rc != -EEXIST) return fail("seccomp_arch_add", -rc);
    }
  }
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on this architecture
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (rc != 0) return fail(std::string("seccomp rule for ") + name, -rc);
  }
  // One rule per flag: libseccomp can test "arg & flag == flag" but not "arg & mask != 0".
  for (unsigned long flag : kNamespaceFlags) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) return fail("seccomp rule for clone", -rc);
  }
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc != 0) return fail("seccomp rule for clone3", -rc);
  return {};
}

}  // namespace

Result<SeccompFilter> SeccompFilter::container_profile() {
  Context c{seccomp_init(SCMP_ACT_ALLOW)};
  if (!c.ctx) return fail("seccomp_init failed");
  LAB_TRY(add_rules(c.ctx));
  // libseccomp 2.5 exports only to a file descriptor: a memfd, read back.
  UniqueFd mem(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem) return fail_errno("memfd for the seccomp program");
  if (int rc = seccomp_export_bpf(c.ctx, mem.get()); rc != 0) return fail("export the seccomp program", -rc);
  off_t len = ::lseek(mem.get(), 0, SEEK_END);
  if (len <= 0 || len % sizeof(sock_filter) != 0 || len / sizeof(sock_filter) > BPF_MAXINSNS)
    return fail("export the seccomp program: " + std::to_string(len) + " bytes", EINVAL);
  SeccompFilter f;
  f.program_.resize(static_cast<size_t>(len) / sizeof(sock_filter));
  if (::pread(mem.get(), f.program_.data(), static_cast<size_t>(len), 0) != len)
    return fail_errno("read the seccomp program back");
  return f;
}

std::string SeccompFilter::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* bytes = reinterpret_cast<const unsigned char*>(program_.data());
  std::string out;
  out.reserve(program_.size() * sizeof(sock_filter) * 2);
  for (size_t i = 0; i < program_.size() * sizeof(sock_filter); ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

Result<SeccompFilter> SeccompFilter::from_hex(std::string_view hex) {
  constexpr size_t kInsnHex = sizeof(sock_filter) * 2;
  if (hex.empty() || hex.size() % kInsnHex != 0 || hex.size() / kInsnHex > BPF_MAXINSNS)
    return fail("seccomp program: " + std::to_string(hex.size()) + " hex digits is not a whole program", EINVAL);
  auto digit = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
  };
  SeccompFilter f;
  f.program_.resize(hex.size() / kInsnHex);
  auto* bytes = reinterpret_cast<unsigned char*>(f.program_.data());
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return fail("seccomp program: not lowercase hex at " + std::to_string(i), EINVAL);
    bytes[i / 2] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return f;
}

Result<void> SeccompFilter::load() const {
  if (program_.empty()) return fail("load seccomp filter: no program", EINVAL);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail_errno("set no_new_privs");
  sock_fprog prog{static_cast<unsigned short>(program_.size()), const_cast<sock_filter*>(program_.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return fail_errno("load seccomp filter");
  return {};
}

}  // namespace lab::runtime
