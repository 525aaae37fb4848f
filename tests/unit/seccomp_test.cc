// The container filter compiled once and carried as hex: the round trip is exact, a damaged
// program is refused, and a process that installs it has the denied calls refused.
#include "runtime/seccomp.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace lab::runtime {
namespace {

TEST(Seccomp, TheCompiledProgramSurvivesItsHexForm) {
  auto f = SeccompFilter::container_profile();
  ASSERT_TRUE(f) << f.error().what();
  ASSERT_FALSE(f->empty());
  std::string hex = f->to_hex();
  EXPECT_EQ(hex.size(), f->size() * 16);
  auto back = SeccompFilter::from_hex(hex);
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back->to_hex(), hex);
}

TEST(Seccomp, ADamagedProgramIsRefused) {
  auto hex = SeccompFilter::container_profile()->to_hex();
  EXPECT_FALSE(SeccompFilter::from_hex(""));
  EXPECT_FALSE(SeccompFilter::from_hex(hex.substr(0, hex.size() - 2)));  // not whole instructions
  std::string bad = hex;
  bad[3] = 'x';
  EXPECT_FALSE(SeccompFilter::from_hex(bad));
  EXPECT_FALSE(SeccompFilter::from_hex(std::string(16 * 5000, '0')));  // over BPF_MAXINSNS
  EXPECT_FALSE(SeccompFilter().load());                                // nothing to install
}

TEST(Seccomp, AProcessThatInstallsTheProgramIsRefusedTheDeniedCalls) {
  auto f = SeccompFilter::from_hex(SeccompFilter::container_profile()->to_hex());
  ASSERT_TRUE(f);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!f->load()) ::_exit(10);
    // clone3 answers ENOSYS under the filter (without it: EINVAL for a zero size).
    if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) ::_exit(11);
    // unshare is denied with EPERM for everyone, root included.
    if (::syscall(SYS_unshare, 0) != -1 || errno != EPERM) ::_exit(12);
    if (::getpid() <= 0) ::_exit(13);  // the rest is allowed
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Runs body in a forked child under filter; the child's exit code (0 = every check held).
int under_filter(const SeccompFilter& f, int (*body)()) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (!f.load()) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -2;
  return WEXITSTATUS(status);
}

TEST(Seccomp, DockersProfileRefusesWhatReachesPastTheContainer) {
  auto f = SeccompFilter::container_profile();
  ASSERT_TRUE(f) << f.error().what();
  EXPECT_EQ(under_filter(*f, [] {
              auto eperm = [](long rc) { return rc == -1 && errno == EPERM; };
              if (!eperm(::syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, nullptr))) return 1;
              if (!eperm(::syscall(SYS_unshare, CLONE_NEWUSER))) return 2;
              if (!eperm(::syscall(SYS_keyctl, 0, 0, 0, 0, 0))) return 3;
              if (!eperm(::syscall(SYS_init_module, nullptr, 0, ""))) return 4;
              if (!eperm(::syscall(SYS_setns, 0, 0))) return 5;
              if (!eperm(::syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0))) return 6;
              if (!eperm(::syscall(SYS_personality, 0x1))) return 7;  // not one of Docker's five
              if (!eperm(::syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0))) return 8;
              if (!eperm(::syscall(SYS_ptrace + 100000))) return 9;  // no such call: the default action
              if (::syscall(SYS_personality, 0xffffffffUL) < 0) return 10;  // the query is allowed
              int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
              if (fd < 0) return 11;
              ::close(fd);
              // fork (clone without namespace flags) and exec work.
              pid_t child = ::fork();
              if (child < 0) return 12;
              if (child == 0) {
                char* argv[] = {const_cast<char*>("true"), nullptr};
                ::execve("/bin/true", argv, nullptr);
                ::_exit(99);
              }
              int status = 0;
              if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 13;
              return 0;
            }),
            0);
}

TEST(Seccomp, CapSysAdminUnlocksDockersAdminGroup) {
  auto f = SeccompFilter::docker_default(default_caps() | cap_bit(CAP_SYS_ADMIN));
  ASSERT_TRUE(f) << f.error().what();
  auto plain = SeccompFilter::container_profile();
  ASSERT_TRUE(plain);
  EXPECT_NE(f->to_hex(), plain->to_hex());
  // unshare(0) does nothing and needs no privilege: allowed now, refused by seccomp before.
  EXPECT_EQ(under_filter(*f, [] { return ::syscall(SYS_unshare, 0) == 0 ? 0 : 1; }), 0);
  EXPECT_EQ(under_filter(*plain, [] { return ::syscall(SYS_unshare, 0) == -1 && errno == EPERM ? 0 : 1; }), 0);
}

TEST(Seccomp, CapSysPtraceUnlocksKcmp) {
  auto f = SeccompFilter::docker_default(default_caps() | cap_bit(CAP_SYS_PTRACE));
  ASSERT_TRUE(f);
  // kcmp of a process with itself: 0 under the ptrace group, EPERM without it.
  EXPECT_EQ(under_filter(*f, [] { return ::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 0, 0) == 0 ? 0 : 1; }), 0);
  EXPECT_EQ(under_filter(*SeccompFilter::container_profile(),
                         [] { return ::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 0, 0) == -1 && errno == EPERM ? 0 : 1; }),
            0);
}

}  // namespace
}  // namespace lab::runtime
