// Docker's default seccomp profile as a table (moby profiles/seccomp/default.json, read
// 2026-08): the names are the kernel's; the structure (an allowlist, capability-gated groups,
// argument filters) is Docker's, so that a container behaves under lab as under Docker.
#include "runtime/seccomp.h"

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>
#include <string>

#include "lab/base/unique_fd.h"

namespace lab::runtime {
namespace {

// Allowed for every container (Docker's first, unconditional group). Names libseccomp 2.5
// does not know (newer syscalls) are skipped, as Docker skips them on older libseccomp: those
// calls get EPERM, and C libraries fall back.
constexpr const char* kAllowed[] = {
    "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
    "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
    "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range",
    "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32",
    "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
    "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
    "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
    "futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32",
    "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
    "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
    "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "lremovexattr", "lseek",
    "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
    "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
    "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal",
    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
    "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
    "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
    "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
    "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid",
    "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
    "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt",
    "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
    "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
    "splice", "stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat",
    "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
    "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
    "vmsplice", "wait4", "waitid", "waitpid", "write", "writev"
};

// Docker allows these from kernel 4.8 on, when seccomp runs before ptrace's checks.
constexpr const char* kAllowedSinceKernel48[] = {"process_vm_readv", "process_vm_writev", "ptrace"};

// Architecture-specific allowances for x86 (Docker: arch_prctl on amd64/x32, modify_ldt on
// amd64/x32/x86).
constexpr const char* kAllowedX86[] = {"arch_prctl", "modify_ldt"};

// Docker's capability-gated groups: allowed when the container has the capability.
struct CapGroup {
  int cap;
  std::initializer_list<const char*> names;
};
const CapGroup kCapGroups[] = {
    {CAP_DAC_READ_SEARCH, {"open_by_handle_at"}},
    {CAP_SYS_ADMIN,
     {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
      "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount", "mount_setattr", "move_mount",
      "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns",
      "syslog", "umount", "umount2", "unshare"}},
    {CAP_SYS_BOOT, {"reboot"}},
    {CAP_SYS_CHROOT, {"chroot"}},
    {CAP_SYS_MODULE, {"delete_module", "init_module", "finit_module"}},
    {CAP_SYS_PACCT, {"acct"}},
    {CAP_SYS_PTRACE, {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
    {CAP_SYS_RAWIO, {"iopl", "ioperm"}},
    {CAP_SYS_TIME, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {CAP_SYS_TTY_CONFIG, {"vhangup"}},
    {CAP_SYS_NICE, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {CAP_SYSLOG, {"syslog"}},
    {CAP_BPF, {"bpf"}},
    {CAP_PERFMON, {"perf_event_open"}},
};

// clone's namespace flags: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET = 0x7E020000.
constexpr scmp_datum_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                              CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

// personality(2) values Docker allows: PER_LINUX, UNAME26, ADDR_NO_RANDOMIZE, both, and the
// 0xffffffff query.
constexpr scmp_datum_t kPersonalities[] = {0x0, 0x0008, 0x20000, 0x20008, 0xffffffff};

// Owns a libseccomp context while the profile is built.
struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx) seccomp_release(ctx);
  }
};

// -1 when this libseccomp does not know the name (a syscall newer than it, or of another
// architecture).
int resolve(const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  return nr == __NR_SCMP_ERROR ? -1 : nr;
}

Result<void> allow(scmp_filter_ctx ctx, const char* name) {
  int nr = resolve(name);
  if (nr < 0) return {};
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  if (rc != 0 && rc != -EEXIST) return fail(std::string("seccomp rule for ") + name, -rc);
  return {};
}

Result<void> add_rules(scmp_filter_ctx ctx, CapSet caps) {
  // Without the compat arches, a 32-bit syscall from an x86_64 process would be killed for its
  // arch (or, with an allow-by-default filter, skip the rules).
  bool x86 = seccomp_arch_native() == SCMP_ARCH_X86_64;
  if (x86) {
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
      int rc = seccomp_arch_add(ctx, arch);
      if (rc != 0 && rc != -EEXIST) return fail("seccomp_arch_add", -rc);
    }
  }
  for (const char* name : kAllowed) LAB_TRY(allow(ctx, name));
  for (const char* name : kAllowedSinceKernel48) LAB_TRY(allow(ctx, name));
  if (x86)
    for (const char* name : kAllowedX86) LAB_TRY(allow(ctx, name));
  for (const auto& g : kCapGroups)
    if (caps & cap_bit(g.cap))
      for (const char* name : g.names) LAB_TRY(allow(ctx, name));

  for (scmp_datum_t p : kPersonalities) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, p));
    if (rc != 0 && rc != -EEXIST) return fail("seccomp rule for personality", -rc);
  }
  // socket: every family but AF_ALG (38) and AF_VSOCK (40), as Docker's three rules.
  for (auto cmp : {SCMP_A0(SCMP_CMP_LT, 38), SCMP_A0(SCMP_CMP_EQ, 39), SCMP_A0(SCMP_CMP_GT, 40)}) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, cmp);
    if (rc != 0 && rc != -EEXIST) return fail("seccomp rule for socket", -rc);
  }
  if (!(caps & cap_bit(CAP_SYS_ADMIN))) {
    // clone without any namespace flag (fork, threads); clone3 answers ENOSYS.
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, kCloneNamespaceFlags, 0));
    if (rc != 0) return fail("seccomp rule for clone", -rc);
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc != 0) return fail("seccomp rule for clone3", -rc);
  }
  return {};
}

}  // namespace

Result<SeccompFilter> SeccompFilter::docker_default(CapSet caps) {
  Context c{seccomp_init(SCMP_ACT_ERRNO(EPERM))};
  if (!c.ctx) return fail("seccomp_init failed");
  LAB_TRY(add_rules(c.ctx, caps));
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

Result<SeccompFilter> SeccompFilter::container_profile() { return docker_default(default_caps()); }

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
