// The store's event log as watchers read it: whole-log readers (the informers) and one-kind
// readers (the API's watches).
#include <gtest/gtest.h>

#include <thread>

#include "lab/store/store.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

Json object(const std::string& kind, const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}}}};
}

}  // namespace

TEST(StoreEvents, AKindsWatcherSeesOnlyThatKindAndWhereTheLogStands) {
  store::Store st;
  const uint64_t start = st.version();
  ASSERT_TRUE(st.create(object("ConfigMap", "a")));
  ASSERT_TRUE(st.create(object("Pod", "p")));
  ASSERT_TRUE(st.create(object("ConfigMap", "b")));
  ASSERT_TRUE(st.remove("Pod", "default", "p"));

  auto pods = st.events_of_kind("Pod", start, 0);
  EXPECT_FALSE(pods.expired);
  EXPECT_EQ(pods.through, st.version());
  ASSERT_EQ(pods.events.size(), 2u);
  EXPECT_EQ(pods.events[0].type, "ADDED");
  EXPECT_EQ(pods.events[1].type, "DELETED");
  EXPECT_EQ((*pods.events[1].object)["metadata"]["resourceVersion"], std::to_string(st.version()));

  // Nothing new of the kind: no events, and the answer still covers the log up to now.
  auto none = st.events_of_kind("Pod", pods.through, 0);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.through, st.version());

  // Every reader shares the one stored copy of an event's object.
  auto all = st.events_since(start, 0);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].object.get(), pods.events[0].object.get());
}

TEST(StoreEvents, AQuietKindIsNotAgedOutByOtherKindsChanges) {
  store::Store st;
  ASSERT_TRUE(st.create(object("Pod", "p")));
  uint64_t since = st.version();
  ASSERT_TRUE(st.create(object("ConfigMap", "c")));
  // Far more changes of another kind than the log keeps; the Pod watcher follows `through`.
  for (int i = 0; i < 5000; ++i) {
    auto cm = st.get("ConfigMap", "default", "c");
    ASSERT_TRUE(cm);
    (*cm)["data"] = {{"n", std::to_string(i)}};
    ASSERT_TRUE(st.update(*cm));
    if (i % 1000 == 0) {
      auto r = st.events_of_kind("Pod", since, 0);
      ASSERT_FALSE(r.expired) << i;
      since = r.through;
    }
  }
  auto r = st.events_of_kind("Pod", since, 0);
  EXPECT_FALSE(r.expired);
  EXPECT_TRUE(r.events.empty());
  // A whole-log reader that stayed behind that long must relist.
  bool expired = false;
  st.events_since(1, 0, &expired);
  EXPECT_TRUE(expired);
}

TEST(StoreEvents, EachThreadKnowsTheVersionOfItsOwnLastWrite) {
  // What a controller waits for before reading its key's writes back from the informers.
  store::Store st;
  ASSERT_TRUE(st.create(object("ConfigMap", "mine")));
  const uint64_t mine = st.version();
  EXPECT_EQ(store::Store::last_write_on_this_thread(), mine);

  uint64_t other_before = 1, other_after = 0;
  std::thread other([&] {
    other_before = store::Store::last_write_on_this_thread();
    ASSERT_TRUE(st.create(object("ConfigMap", "theirs")));
    other_after = store::Store::last_write_on_this_thread();
  });
  other.join();
  EXPECT_EQ(other_before, 0u);  // that thread had written nothing
  EXPECT_EQ(other_after, mine + 1);
  EXPECT_EQ(store::Store::last_write_on_this_thread(), mine);  // another thread's write is not ours

  ASSERT_TRUE(st.remove("ConfigMap", "default", "mine"));
  EXPECT_EQ(store::Store::last_write_on_this_thread(), st.version());
}
