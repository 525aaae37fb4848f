// The store's event log as watchers read it: whole-log readers (the informers) and one-kind
// readers (the API's watches).
#include <gtest/gtest.h>

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
