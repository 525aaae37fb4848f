// close_fds_except(): what a process entering a pod keeps of its parent's descriptors.
#include "runtime/fd_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lab::runtime {
namespace {

// Runs body in a forked child and returns its exit code, so the test process keeps its fds.
template <typename F>
int in_child(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(CloseFdsExcept, KeepsOnlyStdioAndTheListedOnes) {
  int code = in_child([] {
    int plain = ::open("/dev/null", O_RDONLY);              // as a shell's `9</etc` arrives
    int cloexec = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int keep = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int high = ::fcntl(plain, F_DUPFD, 200);
    if (plain < 3 || cloexec < 3 || keep < 3 || high < 200) return 10;
    close_fds_except({keep});
    if (is_open(plain) || is_open(cloexec) || is_open(high)) return 1;
    if (!is_open(keep)) return 2;
    if (!is_open(0) || !is_open(1) || !is_open(2)) return 3;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(CloseFdsExcept, SeveralKeptInAnyOrderAndNone) {
  int code = in_child([] {
    int a = ::open("/dev/null", O_RDONLY);
    int b = ::open("/dev/null", O_RDONLY);
    int c = ::open("/dev/null", O_RDONLY);
    int d = ::open("/dev/null", O_RDONLY);
    if (a < 3 || d < 3) return 10;
    close_fds_except({d, -1, b, 1});  // unsorted, a negative and a stdio number are ignored
    if (is_open(a) || is_open(c)) return 1;
    if (!is_open(b) || !is_open(d) || !is_open(1)) return 2;
    close_fds_except({});
    if (is_open(b) || is_open(d)) return 3;
    if (!is_open(0) || !is_open(2)) return 4;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace lab::runtime
