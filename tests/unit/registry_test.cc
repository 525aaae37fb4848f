// The registry's write rules: optimistic concurrency (409 on a stale resourceVersion, a retry
// that re-reads succeeds), spec and status writers that never overwrite each other, graceful pod
// deletion that no concurrent status write can lose, and store writes that fail whole.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "lab/server/api_server.h"
#include "lab/store/registry.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

store::ServiceRanges ranges() { return {*net::Cidr::parse("10.96.0.0/12")}; }

Json deployment(int replicas) {
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default"},
    "spec":{"replicas":)" + std::to_string(replicas) + R"(,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
                  "spec":{"containers":[{"name":"web","image":"nginx"}]}}}})");
}

Json bound_pod(const std::string& name) {
  return Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                     R"(","namespace":"default"},"spec":{"nodeName":"node-1",
                     "containers":[{"name":"c","image":"busybox","command":["sleep","1000"]}]}})");
}

}  // namespace

TEST(Registry, TwoWritersOneWinsTheOtherGetsConflictAndItsRetrySucceeds) {
  store::Store st;
  store::Registry reg(st, ranges());
  auto created = reg.create(deployment(1));
  ASSERT_TRUE(created) << created.error().what();
  Json a = *created, b = *created;
  a["spec"]["replicas"] = 2;
  b["spec"]["replicas"] = 3;
  ASSERT_TRUE(reg.update(a));
  auto lost = reg.update(b);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().reason, Reason::Conflict);
  EXPECT_EQ(lost.error().message,
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please "
            "apply your changes to the latest version and try again")
      << "kubectl's wording";
  auto retried = reg.retry_update("Deployment", "default", "web", [](Json& d) {
    d["spec"]["replicas"] = 3;
    return true;
  });
  ASSERT_TRUE(retried) << retried.error().what();
  EXPECT_EQ((*reg.get("Deployment", "default", "web"))["spec"]["replicas"], 3);
}

TEST(Registry, RacingThreadsOnOneVersionExactlyOneWins) {
  for (int round = 0; round < 50; ++round) {
    store::Store st;
    store::Registry reg(st, ranges());
    auto created = reg.create(deployment(1));
    ASSERT_TRUE(created);
    std::atomic<int> won{0}, conflicts{0};
    std::vector<std::thread> writers;
    for (int i = 0; i < 4; ++i)
      writers.emplace_back([&, i] {
        Json mine = *created;
        mine["spec"]["replicas"] = 10 + i;
        auto r = reg.update(mine);
        (r ? won : conflicts)++;
        if (!r) {
          EXPECT_EQ(r.error().reason, Reason::Conflict);
        }
      });
    for (auto& t : writers) t.join();
    EXPECT_EQ(won, 1);
    EXPECT_EQ(conflicts, 3);
  }
}

TEST(Registry, SpecAndStatusWritersNeverOverwriteEachOther) {
  store::Store st;
  store::Registry reg(st, ranges());
  auto created = reg.create(deployment(1));
  ASSERT_TRUE(created);
  // A status writer holding an old copy: its spec is ignored, only status is taken.
  Json stale = *created;
  ASSERT_TRUE(reg.patch("Deployment", "default", "web", {{"spec", {{"replicas", 5}}}}));
  stale["status"] = {{"replicas", 1}};
  stale.erase("metadata");
  stale["metadata"] = {{"name", "web"}, {"namespace", "default"}};  // no resourceVersion: unconditional
  stale["kind"] = "Deployment";
  ASSERT_TRUE(reg.update_status(stale));
  auto now = reg.get("Deployment", "default", "web");
  EXPECT_EQ((*now)["spec"]["replicas"], 5);
  EXPECT_EQ((*now)["status"]["replicas"], 1);
  // A spec writer sending status (kubectl edit of the whole object): status stays as stored.
  Json edit = *now;
  edit["status"] = nullptr;
  edit["spec"]["replicas"] = 6;
  auto edited = reg.update(edit);
  ASSERT_TRUE(edited) << edited.error().what();
  EXPECT_EQ((*edited)["status"]["replicas"], 1);
  EXPECT_EQ((*edited)["metadata"]["generation"], 3) << "two spec changes";
}

// The race the kubelet lost before: a delete lands between its read of the pod and its status
// write. With the status subresource the deletionTimestamp survives every interleaving.
TEST(Registry, DeleteDuringStatusUpdatesIsNeverLost) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    store::Store st;
    store::Registry reg(st, ranges());
    auto pod = reg.create(bound_pod("p"));
    ASSERT_TRUE(pod) << pod.error().what();
    Json read = *pod;  // what the kubelet read before the delete
    std::atomic<bool> go{false};
    std::thread kubelet([&] {
      while (!go) {}
      for (int i = 0; i < 20; ++i) {
        Json status = read;
        status["status"] = {{"phase", "Running"}, {"podIP", "10.244.1." + std::to_string(i + 2)}};
        status["metadata"].erase("resourceVersion");  // what it read may be stale: status only
        auto r = reg.update_status(status);
        ASSERT_TRUE(r) << r.error().what();
      }
    });
    int delay = static_cast<int>(rng() % 200);
    go = true;
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    auto deleted = reg.remove("Pod", "default", "p");
    ASSERT_TRUE(deleted) << deleted.error().what();
    kubelet.join();
    auto after = reg.get("Pod", "default", "p");
    ASSERT_TRUE(after);
    EXPECT_TRUE((*after)["metadata"].contains("deletionTimestamp")) << "round " << round;
    EXPECT_EQ((*after)["status"]["phase"], "Running");
  }
}

TEST(Registry, GracefulPodDeleteMarksAndGraceZeroRemoves) {
  store::Store st;
  store::Registry reg(st, ranges());
  ASSERT_TRUE(reg.create(bound_pod("p")));
  auto marked = reg.remove("Pod", "default", "p", {.grace_seconds = 7, .uid = ""});
  ASSERT_TRUE(marked);
  EXPECT_TRUE((*marked)["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ((*marked)["metadata"]["deletionGracePeriodSeconds"], 7);
  auto wrong_uid = reg.remove("Pod", "default", "p", {.grace_seconds = 0, .uid = "not-it"});
  ASSERT_FALSE(wrong_uid);
  EXPECT_EQ(wrong_uid.error().reason, Reason::Conflict);
  ASSERT_TRUE(reg.remove("Pod", "default", "p", {.grace_seconds = 0, .uid = (*marked)["metadata"]["uid"]}));
  EXPECT_FALSE(reg.get("Pod", "default", "p"));
}

TEST(Registry, ADeleteOfATerminatingPodOnlyShortensItsGracePeriod) {
  store::Store st;
  store::Registry reg(st, ranges());
  ASSERT_TRUE(reg.create(bound_pod("p")));
  auto marked = reg.remove("Pod", "default", "p", {.grace_seconds = 300, .uid = ""});
  ASSERT_TRUE(marked);
  // A longer or unspecified period changes nothing.
  for (std::optional<int> g : {std::optional<int>(), std::optional<int>(300), std::optional<int>(600)}) {
    auto again = reg.remove("Pod", "default", "p", {.grace_seconds = g, .uid = ""});
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)["metadata"]["deletionGracePeriodSeconds"], 300);
    EXPECT_EQ((*again)["metadata"]["deletionTimestamp"], (*marked)["metadata"]["deletionTimestamp"]);
  }
  // A shorter one moves the deadline with it.
  Json pod = *marked;
  pod["metadata"]["deletionTimestamp"] = "2026-12-01T10:05:00Z";
  auto shorter = store::shorten_deletion(pod, 10);
  ASSERT_TRUE(shorter && shorter->is_object());
  EXPECT_EQ((*shorter)["metadata"]["deletionTimestamp"], "2026-12-01T10:00:10Z");
  EXPECT_EQ((*shorter)["metadata"]["deletionGracePeriodSeconds"], 10);
  auto via_registry = reg.remove("Pod", "default", "p", {.grace_seconds = 10, .uid = ""});
  ASSERT_TRUE(via_registry);
  EXPECT_EQ((*via_registry)["metadata"]["deletionGracePeriodSeconds"], 10);
  // --grace-period=0 --force: gone at once.
  ASSERT_TRUE(reg.remove("Pod", "default", "p", {.grace_seconds = 0, .uid = ""}));
  EXPECT_FALSE(reg.get("Pod", "default", "p"));
  // A pod marked without a period (a delete that stopped half-way) goes on the next delete.
  pod["metadata"].erase("deletionGracePeriodSeconds");
  auto stuck = store::shorten_deletion(pod, std::nullopt);
  ASSERT_TRUE(stuck);
  EXPECT_TRUE(stuck->is_null());
}

TEST(Registry, ApiPutWithStaleResourceVersionIs409) {
  store::Store st;
  store::Registry reg(st, ranges());
  auto created = reg.create(deployment(1));
  ASSERT_TRUE(created);
  server::ApiServer api(reg, "test");
  Json body = *created;
  body["spec"]["replicas"] = 2;
  const std::string path = "/apis/apps/v1/namespaces/default/deployments/web";
  EXPECT_EQ(api.handle({"PUT", path, {}, body.dump()}).status, 200);
  body["spec"]["replicas"] = 4;
  auto stale = api.handle({"PUT", path, {}, body.dump()});
  EXPECT_EQ(stale.status, 409);
  auto status = Json::parse(stale.body);
  EXPECT_EQ(status["reason"], "Conflict");
  EXPECT_NE(status["message"].get<std::string>().find("the object has been modified"), std::string::npos);
}

TEST(Store, AFailedSqliteWriteFailsTheRequestAndLeavesMemoryUnchanged) {
  auto path = std::filesystem::temp_directory_path() / ("lab-store-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    store::Store st;
    ASSERT_TRUE(st.open_file(path.string()));
    store::Registry reg(st, ranges());
    ASSERT_TRUE(reg.create(deployment(1)));
    uint64_t version = st.version();
    // Another connection takes the table away: every later write fails in SQLite.
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "DROP TABLE objects", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    auto r = reg.patch("Deployment", "default", "web", {{"spec", {{"replicas", 9}}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, Reason::InternalError);
    EXPECT_EQ((*reg.get("Deployment", "default", "web"))["spec"]["replicas"], 1);
    EXPECT_EQ(st.version(), version);
    Json other_dep = deployment(1);
    other_dep["metadata"]["name"] = "other";
    EXPECT_FALSE(reg.create(other_dep));
    EXPECT_FALSE(reg.get("Deployment", "default", "other"));
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

TEST(Registry, ReplicasBeyondThePodAddressesAreRefusedNamingTheField) {
  store::Store st;
  store::Registry reg(st, ranges());
  reg.set_pod_capacity(506);
  auto huge = reg.create(deployment(100000));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().reason, Reason::Invalid);
  EXPECT_EQ(huge.error().message,
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: 100000: must be less than or equal to "
            "506, the pods this lab's nodes have addresses for (their pod CIDRs)");
  EXPECT_TRUE(st.list("Deployment", "").empty()) << "a refused write changes nothing";
  auto ok = reg.create(deployment(506));
  ASSERT_TRUE(ok) << ok.error().what();
  auto scaled = reg.patch("Deployment", "default", "web", Json::parse(R"({"spec":{"replicas":507}})"));
  ASSERT_FALSE(scaled);
  EXPECT_EQ(scaled.error().reason, Reason::Invalid);
  EXPECT_TRUE(reg.patch("Deployment", "default", "web", Json::parse(R"({"spec":{"replicas":0}})")));
}

TEST(Registry, AnObjectStoredOverTheLimitCanStillBeWrittenWhenReplicasStay) {
  store::Store st;
  store::Registry reg(st, ranges());
  ASSERT_TRUE(reg.create(deployment(900)));  // stored before a limit existed
  reg.set_pod_capacity(506);
  auto labelled = reg.patch("Deployment", "default", "web", Json::parse(R"({"metadata":{"labels":{"a":"b"}}})"));
  EXPECT_TRUE(labelled) << labelled.error().what();
  auto status = reg.patch("Deployment", "default", "web", Json::parse(R"({"status":{"replicas":3}})"), true);
  EXPECT_TRUE(status) << status.error().what();
}
