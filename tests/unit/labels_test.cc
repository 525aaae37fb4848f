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

TEST(Selector, BadSyntax) {
  EXPECT_FALSE(Selector::parse("a in b"));
  EXPECT_FALSE(Selector::parse("a=b,,c"));
}
