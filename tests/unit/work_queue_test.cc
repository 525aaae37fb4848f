// The work queue's delayed keys: due in time order, an earlier add_after wins over a later one,
// a key waits once however often it is added, and batched keys coalesce bursts.
#include <gtest/gtest.h>

#include <thread>

#include "lab/base/clock.h"
#include "lab/base/work_queue.h"

using namespace std::chrono_literals;

namespace {

// A reconcile's work: this thread's CPU time advances by d (a sleep would cost nothing).
void burn(std::chrono::milliseconds d) {
  for (auto start = lab::thread_cpu_time(); lab::thread_cpu_time() - start < d;) {
  }
}

}  // namespace

TEST(WorkQueue, DelayedKeysComeDueInTimeOrderAndTheEarlierDelayWins) {
  lab::WorkQueue q;
  q.add_after("late", 60ms);
  q.add_after("early", 20ms);
  q.add_after("late", 500ms);  // later than the one waiting: ignored
  q.add_after("early", 10ms);  // earlier: replaces it
  EXPECT_FALSE(q.try_get());
  EXPECT_EQ(q.pending(), 2u);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(q.try_get(), "early");
  q.done("early");
  EXPECT_FALSE(q.try_get());
  EXPECT_EQ(q.get(), "late");  // blocks until it is due
  q.done("late");
  EXPECT_EQ(q.pending(), 0u);
}

TEST(WorkQueue, ManyDelayedKeysEachComeOnce) {
  lab::WorkQueue q;
  for (int i = 0; i < 1000; ++i) q.add_after("k" + std::to_string(i), std::chrono::milliseconds(i % 5));
  for (int i = 0; i < 1000; ++i) q.add_after("k" + std::to_string(i), 1s);  // ignored: later
  std::this_thread::sleep_for(10ms);
  std::set<std::string> seen;
  while (auto k = q.try_get()) {
    EXPECT_TRUE(seen.insert(*k).second) << *k << " came twice";
    q.done(*k);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(q.pending(), 0u);
}

TEST(WorkQueue, BatchedKeyIsImmediateWhenQuietAndCoalescesABurst) {
  lab::WorkQueue q;
  q.add_batched("rs", 200ms);  // first change: at once
  auto handed_out = std::chrono::steady_clock::now();
  ASSERT_EQ(q.try_get(), "rs");
  burn(20ms);  // a reconcile that costs 20 ms: spaced by 10 x 20 ms
  q.done("rs");
  for (int i = 0; i < 100; ++i) q.add_batched("rs", 200ms);  // a burst right after: waits
  EXPECT_FALSE(q.try_get());
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_EQ(q.get(), "rs");  // once, when the spacing since the last hand-out has passed
  EXPECT_GE(std::chrono::steady_clock::now() - handed_out, 200ms);
  std::this_thread::sleep_for(20ms);
  q.done("rs");
  EXPECT_EQ(q.pending(), 0u);
  std::this_thread::sleep_for(210ms);
  q.add_batched("rs", 200ms);  // quiet again: at once
  EXPECT_EQ(q.try_get(), "rs");
  q.done("rs");
  q.add("other");  // plain keys are not delayed by batched ones
  EXPECT_EQ(q.try_get(), "other");
  q.done("other");
}

TEST(WorkQueue, ACheapBatchedKeyIsNotHeldBackAndAnExpensiveOneIsCappedAtTheInterval) {
  lab::WorkQueue q;
  q.add_batched("slice", 100ms);
  ASSERT_EQ(q.try_get(), "slice");
  q.done("slice");  // costs next to nothing
  q.add_batched("slice", 100ms);
  EXPECT_EQ(q.try_get(), "slice");  // so the next change goes at once (spacing ~10 x its cost)
  q.done("slice");

  q.add_batched("rs", 100ms);
  auto handed_out = std::chrono::steady_clock::now();
  ASSERT_EQ(q.try_get(), "rs");
  burn(30ms);  // 10 x 30 ms is over the interval: capped at 100 ms
  q.done("rs");
  q.add_batched("rs", 100ms);
  EXPECT_FALSE(q.try_get());
  EXPECT_EQ(q.get(), "rs");  // not before 100 ms after the hand-out (and not 300 ms: no hang)
  EXPECT_GE(std::chrono::steady_clock::now() - handed_out, 100ms);
  q.done("rs");
}

TEST(WorkQueue, AReconcileThatWaitedRatherThanWorkedIsNotHeldBack) {
  // Its worker waited 30 ms (for the informers, or for a CPU while others ran) and worked next to
  // nothing: the key's next change goes at once, not 100 ms later.
  lab::WorkQueue q;
  q.add_batched("slice", 100ms);
  ASSERT_EQ(q.try_get(), "slice");
  std::this_thread::sleep_for(30ms);
  q.done("slice");
  q.add_batched("slice", 100ms);
  EXPECT_EQ(q.try_get(), "slice");
  q.done("slice");
}

TEST(WorkQueue, BatchedKeysOfGoneObjectsDoNotPileUp) {
  lab::WorkQueue q;
  for (int i = 0; i < 10000; ++i) {
    q.add_batched("k" + std::to_string(i), 0ms);
    auto k = q.try_get();
    ASSERT_TRUE(k);
    q.done(*k);
  }
  EXPECT_EQ(q.pending(), 0u);
}
