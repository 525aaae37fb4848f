// The daemon's threads carry names that `top -H`, perf and /proc show; the kernel keeps 15
// bytes, so a longer name is cut rather than refused (pthread_setname_np refuses it: ERANGE).
#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

#include "lab/base/thread_name.h"

namespace {

std::string name_in_thread(const std::string& name) {
  std::string got;
  std::thread([&] {
    lab::name_this_thread(name);
    char buf[32] = {};
    if (::pthread_getname_np(::pthread_self(), buf, sizeof buf) == 0) got = buf;
  }).join();
  return got;
}

}  // namespace

TEST(ThreadName, NamesTheCallingThread) { EXPECT_EQ(name_in_thread("informers"), "informers"); }

TEST(ThreadName, ALongNameIsCutToFifteenBytes) {
  EXPECT_EQ(name_in_thread("endpointslice-mirroring"), "endpointslice-m");
}
