// The container filter compiled once and carried as hex: the round trip is exact, a damaged
// program is refused, and a process that installs it has the denied calls refused.
#include "runtime/seccomp.h"

#include <gtest/gtest.h>
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

}  // namespace
}  // namespace lab::runtime
