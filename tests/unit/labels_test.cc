// Label selectors as `-l` takes them.
#include <gtest/gtest.h>

#include "lab/api/labels.h"

using lab::api::Selector;
using Json = nlohmann::json;

TEST(Selector, EqualityAndSets) {
  Json labels = {{"run", "my-nginx"}, {"tier", "web"}};
  auto match = [&](const char* s) {
    auto sel = Selector::parse(s);
    EXPECT_TRUE(sel) << s;
    return sel->matches(labels);
  };
  EXPECT_TRUE(match("run=my-nginx"));
  EXPECT_TRUE(match("run==my-nginx,tier=web"));
  EXPECT_FALSE(match("run=other"));
  EXPECT_TRUE(match("run!=other"));
  EXPECT_TRUE(match("tier in (web, db)"));
  EXPECT_FALSE(match("tier notin (web)"));
  EXPECT_TRUE(match("run"));
  EXPECT_FALSE(match("!run"));
  EXPECT_TRUE(match("!missing"));
  EXPECT_TRUE(match(""));
}

TEST(Selector, MatchLabelsAndNoLabels) {
  auto sel = Selector::from_match_labels(Json{{"run", "my-nginx"}});
  EXPECT_TRUE(sel.matches(Json{{"run", "my-nginx"}, {"pod-template-hash", "x"}}));
  EXPECT_FALSE(sel.matches(Json()));
}

// Objects stored before validation existed may hold labels that are not strings: they never
// match, and nothing throws.
TEST(Selector, LabelsThatAreNotStrings) {
  auto sel = Selector::from_match_labels(Json{{"run", 5}});
  EXPECT_FALSE(sel.matches(Json{{"run", "5"}}));
  EXPECT_FALSE(sel.empty());
  auto run = Selector::from_match_labels(Json{{"run", "web"}});
  EXPECT_FALSE(run.matches(Json{{"run", 5}}));
  EXPECT_FALSE(run.matches(Json{{"run", nullptr}}));
  EXPECT_TRUE(Selector::parse("run!=web")->matches(Json{{"run", Json::array()}}));
}

TEST(Selector, BadSyntax) {
  EXPECT_FALSE(Selector::parse("a in b"));
  EXPECT_FALSE(Selector::parse("a=b,,c"));
}
