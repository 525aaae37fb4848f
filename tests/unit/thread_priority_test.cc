// Unit test for lab/base/thread_priority.h: the calling thread alone is favoured, never its
// process (whose children, the pods, must run at the default nice value).
#include "lab/base/thread_priority.h"

#include <gtest/gtest.h>

#include <thread>

namespace lab {
namespace {

int nice_of_this_thread() {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
}

TEST(ThreadPriority, OnlyTheCallingThreadIsFavoured) {
  const int before = nice_of_this_thread();
  int in_thread = 0;
  std::thread t([&] {
    favor_this_thread();
    in_thread = nice_of_this_thread();
  });
  t.join();
  // Without CAP_SYS_NICE the call changes nothing (and says nothing): the thread keeps ours.
  EXPECT_EQ(in_thread, ::geteuid() == 0 ? kDataPathNice : before);
  // Linux keeps nice per thread: the others, and the processes they start, keep theirs.
  EXPECT_EQ(nice_of_this_thread(), before) << "another thread's nice value was changed";
}

}  // namespace
}  // namespace lab
