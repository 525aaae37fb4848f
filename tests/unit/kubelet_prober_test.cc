// The prober's scheduling without a kernel: attempts go to a fake runner, so these check only
// who runs when (a slow probe does not hold up another, verdicts, restarts, removal).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "lab/node/prober.h"

using namespace lab::node;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

Json container(const std::string& name, Json readiness, Json liveness = nullptr) {
  Json c = {{"name", name}, {"image", "nginx"}};
  if (!readiness.is_null()) c["readinessProbe"] = readiness;
  if (!liveness.is_null()) c["livenessProbe"] = liveness;
  return c;
}

std::shared_ptr<const ProbedPod> pod(const std::string& uid, Json containers) {
  return std::make_shared<const ProbedPod>(ProbedPod{"default/" + uid, uid, nullptr, "10.244.1.2", "/nonexistent",
                                                     "/bin/false", 1, std::move(containers)});
}

// Collects reports; waits for one that matches.
struct Reports {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<ProbeReport, Clock::time_point>> got;
  void add(const ProbeReport& r) {
    std::lock_guard lock(mu);
    got.emplace_back(r, Clock::now());
    cv.notify_all();
  }
  template <typename Pred>
  std::optional<Clock::time_point> wait_for(Pred pred, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu);
    std::optional<Clock::time_point> when;
    cv.wait_for(lock, limit, [&] {
      for (const auto& [r, t] : got)
        if (pred(r)) {
          when = t;
          return true;
        }
      return false;
    });
    return when;
  }
  void clear() {
    std::lock_guard lock(mu);
    got.clear();
  }
  size_t count() {
    std::lock_guard lock(mu);
    return got.size();
  }
};

const Json kQuick = {{"exec", {{"command", {"true"}}}}, {"periodSeconds", 1}};

}  // namespace

TEST(Prober, ASlowProbeDoesNotDelayAnother) {
  Reports reports;
  std::atomic<int> slow_started{0};
  Prober prober(
      [&](const ProbeAttempt& a) -> std::optional<ProbeOutcome> {
        if (a.container_name() == "slow") {
          ++slow_started;
          std::this_thread::sleep_for(2000ms);  // a probe that hits its timeout
          return ProbeOutcome{false, "timeout"};
        }
        return ProbeOutcome{true, ""};
      },
      [&](const ProbeReport& r) { reports.add(r); }, /*min_threads=*/1, /*max_threads=*/4);
  prober.start();
  prober.add_pod(pod("a", Json::array({container("slow", kQuick)})));
  // The one thread is now stuck in the slow probe.
  for (int i = 0; i < 2000 && slow_started == 0; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(slow_started, 1);
  auto t0 = Clock::now();
  prober.add_pod(pod("b", Json::array({container("fast", kQuick)})));
  // Generous for a loaded machine, and still well short of the slow probe's 2 s.
  auto when = reports.wait_for([](const ProbeReport& r) { return r.attempt.pod->uid == "b"; }, 1500ms);
  ASSERT_TRUE(when) << "the fast pod's probe waited for the slow one";
  EXPECT_LT(*when - t0, 1000ms);
  EXPECT_GE(prober.threads(), 2u);
  prober.stop();
}

TEST(Prober, ReadinessVerdictChangesAreReported) {
  Reports reports;
  std::atomic<bool> pass{true}, checked{false};
  Prober prober(
      [&](const ProbeAttempt&) {
        // The first probe may start at once: it answers only after the test has looked.
        for (int i = 0; i < 2000 && !checked; ++i) std::this_thread::sleep_for(1ms);
        return std::optional<ProbeOutcome>(ProbeOutcome{pass.load(), "no"});
      },
      [&](const ProbeReport& r) { reports.add(r); });
  prober.start();
  Json probe = {{"tcpSocket", {{"port", 80}}}, {"periodSeconds", 1}, {"failureThreshold", 1}};
  prober.add_pod(pod("a", Json::array({container("web", probe)})));
  EXPECT_EQ(prober.ready("a", 0), false);  // not ready before its first success
  checked = true;
  ASSERT_TRUE(reports.wait_for([](const ProbeReport& r) { return r.changed && r.healthy; }, 2000ms));
  EXPECT_EQ(prober.ready("a", 0), true);
  pass = false;
  ASSERT_TRUE(reports.wait_for([](const ProbeReport& r) { return r.changed && !r.healthy; }, 3500ms));
  EXPECT_EQ(prober.ready("a", 0), false);
  EXPECT_EQ(prober.ready("a", 1), std::nullopt);  // no such container
  prober.stop();
}

TEST(Prober, AdoptedReadinessAndLivenessStartHealthy) {
  Prober prober([](const ProbeAttempt&) { return std::optional<ProbeOutcome>(); }, [](const ProbeReport&) {});
  Json slow = {{"httpGet", {{"port", 80}}}, {"initialDelaySeconds", 60}};
  prober.add_pod(pod("a", Json::array({container("web", slow, slow), container("side", nullptr)})), {true, false});
  EXPECT_EQ(prober.ready("a", 0), true);         // what the status said before the restart
  EXPECT_EQ(prober.ready("a", 1), std::nullopt);  // no readiness probe: the caller counts it ready
}

TEST(Prober, ARestartStartsTheProbesOver) {
  Reports reports;
  Prober prober([&](const ProbeAttempt&) { return std::optional<ProbeOutcome>(ProbeOutcome{true, ""}); },
                [&](const ProbeReport& r) { reports.add(r); });
  prober.start();
  // The initial delay keeps the first attempt after a restart a second away, long enough to see
  // the container not ready in between.
  Json probe = {{"exec", {{"command", {"true"}}}}, {"periodSeconds", 1}, {"initialDelaySeconds", 1}};
  prober.add_pod(pod("a", Json::array({container("web", probe)})));
  ASSERT_TRUE(reports.wait_for([](const ProbeReport& r) { return r.changed && r.healthy; }, 3000ms));
  EXPECT_EQ(prober.ready("a", 0), true);
  reports.clear();
  prober.restart_container("a", 0);
  EXPECT_EQ(prober.ready("a", 0), false);  // a restarted container is not ready until probed again
  ASSERT_TRUE(reports.wait_for([&](const ProbeReport& r) { return r.changed && r.healthy; }, 3000ms));
  prober.remove_pod("a");
  EXPECT_EQ(prober.ready("a", 0), std::nullopt);
  size_t n = reports.count();
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(reports.count(), n) << "a removed pod was probed";
  prober.stop();
}

TEST(Prober, NothingToProbeIsNeitherSuccessNorFailure) {
  Reports reports;
  std::atomic<int> attempts{0};
  Prober prober(
      [&](const ProbeAttempt&) {
        ++attempts;
        return std::optional<ProbeOutcome>();
      },
      [&](const ProbeReport& r) { reports.add(r); });
  prober.start();
  prober.add_pod(pod("a", Json::array({container("web", kQuick)})));
  for (int i = 0; i < 2000 && attempts == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_GE(attempts, 1);
  EXPECT_EQ(reports.count(), 0u);
  EXPECT_EQ(prober.ready("a", 0), false);
  prober.stop();
}

TEST(Prober, ATerminatingPodKeepsItsReadinessProbesButNotLiveness) {
  Reports reports;
  std::atomic<bool> pass{true};
  Prober prober([&](const ProbeAttempt&) { return std::optional<ProbeOutcome>(ProbeOutcome{pass.load(), "no"}); },
                [&](const ProbeReport& r) { reports.add(r); });
  prober.start();
  Json probe = {{"exec", {{"command", {"test", "-f", "/tmp/ready"}}}}, {"periodSeconds", 1}, {"failureThreshold", 1}};
  prober.add_pod(pod("a", Json::array({container("web", probe, probe)})));
  ASSERT_TRUE(reports.wait_for([](const ProbeReport& r) { return r.changed && r.healthy; }, 3000ms));
  prober.stop_liveness("a");  // the pod was deleted: its grace period starts
  reports.clear();
  pass = false;
  // Readiness still runs and turns false; liveness never runs again (no restart of a dying pod).
  ASSERT_TRUE(reports.wait_for(
      [](const ProbeReport& r) { return r.attempt.kind == ProbeKind::Readiness && r.changed && !r.healthy; }, 3500ms));
  EXPECT_EQ(prober.ready("a", 0), false);
  std::this_thread::sleep_for(1200ms);
  // An attempt that ended before stop_liveness may still be delivered just after it (the report
  // goes out unlocked): it ran with pass still true. One that ran after it would have failed.
  EXPECT_FALSE(reports.wait_for(
      [](const ProbeReport& r) { return r.attempt.kind == ProbeKind::Liveness && !r.outcome.success; }, 0ms))
      << "a terminating pod's liveness probe ran";
  prober.remove_pod("a");
  EXPECT_EQ(prober.ready("a", 0), std::nullopt);
  prober.stop();
}
