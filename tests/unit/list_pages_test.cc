// Lists in pages (limit/continue) as the apiserver pages them: the token's format, pages cut from
// one view while the store moves on, the 410 of a token whose view is gone, and the API's answers
// as kubectl's pager reads them.
#include <gtest/gtest.h>

#include <set>

#include "lab/base/base64.h"
#include "lab/server/list_pages.h"
#include "tests/unit/api_fixture.h"

using namespace lab;
using Json = nlohmann::json;
using server::ListPages;
using server::ListQuery;

namespace {

store::Store::View view_of(std::vector<std::string> names, uint64_t version) {
  store::Store::View v;
  v.version = version;
  for (const auto& n : names)
    v.objects.push_back(std::make_shared<const Json>(Json{{"metadata", {{"namespace", "default"}, {"name", n}}}}));
  return v;
}

std::vector<std::string> names(const server::Page& p) {
  std::vector<std::string> out;
  for (const auto& o : p.items) out.push_back((*o)["metadata"]["name"]);
  return out;
}

std::string name_of(const Json& obj) { return obj["metadata"]["name"]; }

TEST(ListPages, TokenIsTheApiserversFormat) {
  // base64.RawURLEncoding of {"v":"meta.k8s.io/v1","rv":12,"start":"default/b\u0000"}
  std::string token = server::encode_continue(12, std::string("default/b") + '\0');
  EXPECT_EQ(token.find('='), std::string::npos);
  auto json = base64url_decode(token);
  ASSERT_TRUE(json);
  EXPECT_EQ(*json, R"({"rv":12,"start":"default/b\u0000","v":"meta.k8s.io/v1"})");
  auto back = server::decode_continue(token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, 12);
  EXPECT_EQ(back->start, std::string("default/b") + '\0');
}

TEST(ListPages, BadTokensAreBadRequests) {
  auto reason = [](const std::string& t) {
    auto r = server::decode_continue(t);
    return r ? std::string("ok") : r.error().message;
  };
  EXPECT_NE(reason("%%%").find("continue key is not valid"), std::string::npos);
  EXPECT_NE(reason(base64url_encode("[1]")).find("not a JSON object"), std::string::npos);
  EXPECT_NE(reason(base64url_encode(R"({"v":"x","rv":1,"start":"a"})")).find("does not recognize"), std::string::npos);
  EXPECT_NE(reason(base64url_encode(R"({"v":"meta.k8s.io/v1","rv":0,"start":"a"})")).find("resourceVersion"), std::string::npos);
  EXPECT_NE(reason(base64url_encode(R"({"v":"meta.k8s.io/v1","rv":"1","start":"a"})")).find("resourceVersion"), std::string::npos);
  EXPECT_NE(reason(base64url_encode(R"({"v":"meta.k8s.io/v1","rv":3,"start":""})")).find("start key empty"), std::string::npos);
  EXPECT_EQ(server::decode_continue("%%%").error().reason, Reason::BadRequest);
}

TEST(ListPages, QueryParsing) {
  auto q = server::parse_list_query({{"limit", "500"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->limit, 500);
  auto bad = server::parse_list_query({{"limit", "5x"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "strconv.ParseInt: parsing \"5x\": invalid syntax");
  auto both = server::parse_list_query({{"continue", "abc"}, {"resourceVersion", "3"}});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message, "specifying resource version is not allowed when using continue");
}

TEST(ListPages, PagesComeFromTheFirstPagesViewWhileTheStoreMovesOn) {
  ListPages pages;
  auto now = ListPages::Clock::now();
  store::Store::View current = view_of({"a", "b", "c", "d", "e"}, 10);
  auto read = [&] { return current; };
  auto first = pages.page(ListQuery{2, "", ""}, "Pod", false, read, now);
  ASSERT_TRUE(first);
  EXPECT_EQ(names(*first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(first->version, 10u);
  EXPECT_EQ(first->remaining, 3);
  ASSERT_FALSE(first->continue_token.empty());
  // The store changes: "c" goes, "bb" comes. The next pages still show the list as of version 10.
  current = view_of({"a", "b", "bb", "d", "e"}, 12);
  auto second = pages.page(ListQuery{2, first->continue_token, ""}, "Pod", false, read, now);
  ASSERT_TRUE(second);
  EXPECT_EQ(names(*second), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(second->version, 10u);
  EXPECT_EQ(second->remaining, 1);
  auto third = pages.page(ListQuery{2, second->continue_token, ""}, "Pod", false, read, now);
  ASSERT_TRUE(third);
  EXPECT_EQ(names(*third), (std::vector<std::string>{"e"}));
  EXPECT_TRUE(third->continue_token.empty());
  EXPECT_FALSE(third->remaining);
  // Another client that listed at the same version pages through the same view after the first
  // one has read its last page.
  auto other = pages.page(ListQuery{4, first->continue_token, ""}, "Pod", false, read, now);
  ASSERT_TRUE(other);
  EXPECT_EQ(names(*other), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(pages.kept(), 1u);
}

TEST(ListPages, NoLimitOrResourceVersionZeroIsOnePage) {
  ListPages pages;
  auto read = [] { return view_of({"a", "b", "c"}, 4); };
  for (ListQuery q : {ListQuery{0, "", ""}, ListQuery{-1, "", ""}, ListQuery{1, "", "0"}, ListQuery{3, "", ""}}) {
    auto p = pages.page(q, "Pod", false, read, ListPages::Clock::now());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->items.size(), 3u);
    EXPECT_TRUE(p->continue_token.empty());
  }
  EXPECT_EQ(pages.kept(), 0u);
}

TEST(ListPages, AFilteredListGivesNoRemainingCount) {
  ListPages pages;
  auto p = pages.page(ListQuery{1, "", ""}, "Pod?app=x", true, [] { return view_of({"a", "b"}, 4); },
                      ListPages::Clock::now());
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->continue_token.empty());
  EXPECT_FALSE(p->remaining);
}

TEST(ListPages, AnExpiredViewIsA410WithAnInconsistentToken) {
  ListPages pages;
  auto t0 = ListPages::Clock::now();
  store::Store::View current = view_of({"a", "b", "c"}, 10);
  auto read = [&] { return current; };
  auto first = pages.page(ListQuery{1, "", ""}, "Pod", false, read, t0);
  ASSERT_TRUE(first);
  current = view_of({"a", "b", "c", "d"}, 11);
  server::ExpiredContinue expired;
  auto late = pages.page(ListQuery{1, first->continue_token, ""}, "Pod", false, read,
                         t0 + ListPages::kKeep + std::chrono::seconds(1), &expired);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().reason, Reason::Gone);
  EXPECT_NE(expired.message.find("inconsistent list"), std::string::npos);
  auto token = server::decode_continue(expired.continue_token);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->version, -1);
  // That token goes on from the newest state, after the last key already given.
  auto rest = pages.page(ListQuery{10, expired.continue_token, ""}, "Pod", false, read, t0 + ListPages::kKeep * 2);
  ASSERT_TRUE(rest);
  EXPECT_EQ(names(*rest), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(rest->version, 11u);
}

TEST(ListPages, ATokenContinuesOnlyItsOwnList) {
  ListPages pages;
  auto now = ListPages::Clock::now();
  store::Store::View current = view_of({"a", "b", "c"}, 10);
  auto read = [&] { return current; };
  auto first = pages.page(ListQuery{1, "", ""}, "Pod", false, read, now);
  ASSERT_TRUE(first);
  current = view_of({"a", "b"}, 11);
  // Another list (other selectors) has no view at version 10: 410, not someone else's items.
  auto other = pages.page(ListQuery{1, first->continue_token, ""}, "Pod?app=x", true, read, now);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().reason, Reason::Gone);
  // An unchanged store is the view the token names: consistent, served from it.
  current = view_of({"a", "b", "c"}, 10);
  auto same = pages.page(ListQuery{5, first->continue_token, ""}, "Pod?app=x", true, read, now);
  ASSERT_TRUE(same);
  EXPECT_EQ(names(*same), (std::vector<std::string>{"b", "c"}));
}

TEST(ListPages, KeptViewsAreBounded) {
  ListPages pages;
  auto now = ListPages::Clock::now();
  for (uint64_t v = 1; v <= ListPages::kMaxKept + 10; ++v) {
    auto p = pages.page(ListQuery{1, "", ""}, "Pod", false, [&] { return view_of({"a", "b"}, v); },
                        now + std::chrono::milliseconds(v));
    ASSERT_TRUE(p);
  }
  EXPECT_EQ(pages.kept(), ListPages::kMaxKept);
}

// Through the API server, as kubectl's pager reads pods in pages of 500 (here 2), JSON and Table.
TEST(ListPagesApi, KubectlsPagerReadsEveryPodOnce) {
  lab::testing::TestApi a;
  for (int i = 0; i < 5; ++i) {
    Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"},
                {"metadata", {{"name", "p" + std::to_string(i)}, {"labels", {{"app", i % 2 ? "odd" : "even"}}}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
    ASSERT_EQ(a.call("POST", "/api/v1/namespaces/default/pods", pod.dump()).status, 201);
  }
  auto list = [&](std::map<std::string, std::string> query, const std::string& accept) {
    server::HttpRequest req{"GET", "/api/v1/namespaces/default/pods", std::move(query), ""};
    req.headers = {{"accept", accept}};
    return a.api.handle(req);
  };
  for (const std::string accept : {"application/json", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}) {
    const bool table = accept.find("Table") != std::string::npos;
    std::vector<std::string> seen;
    std::set<std::string> versions;
    std::string token;
    int pages = 0;
    do {
      std::map<std::string, std::string> q = {{"limit", "2"}};
      if (!token.empty()) q["continue"] = token;
      auto r = list(q, accept);
      ASSERT_EQ(r.status, 200) << r.body;
      Json body = lab::testing::body_of(r);
      for (const auto& row : body[table ? "rows" : "items"]) seen.push_back(name_of(table ? row["object"] : row));
      versions.insert(body["metadata"]["resourceVersion"]);
      token = body["metadata"].value("continue", "");
      if (!token.empty()) {
        EXPECT_TRUE(body["metadata"].contains("remainingItemCount"));
      }
      ++pages;
      // A pod created meanwhile is not in this list: every page is of the first one's version.
      if (pages == 1) {
        Json late = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", std::string("late-") + (table ? "t" : "j")}}},
                     {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
        ASSERT_EQ(a.call("POST", "/api/v1/namespaces/default/pods", late.dump()).status, 201);
      }
    } while (!token.empty());
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(versions.size(), 1u);
    // Each pod once, in order; the table's pass also has the pod the JSON pass created after its
    // first page (late-t, created during this pass, is not in it).
    std::vector<std::string> want = {"p0", "p1", "p2", "p3", "p4"};
    if (table) want.insert(want.begin(), "late-j");
    EXPECT_EQ(seen, want);
  }
  // A label selector pages the matching pods only, without remainingItemCount.
  auto r = list({{"limit", "1"}, {"labelSelector", "app=odd"}}, "application/json");
  ASSERT_EQ(r.status, 200);
  Json body = lab::testing::body_of(r);
  EXPECT_EQ(name_of(body["items"][0]), "p1");
  EXPECT_FALSE(body["metadata"].contains("remainingItemCount"));
  auto next = list({{"limit", "1"}, {"labelSelector", "app=odd"}, {"continue", body["metadata"]["continue"]}},
                   "application/json");
  ASSERT_EQ(next.status, 200);
  EXPECT_EQ(name_of(lab::testing::body_of(next)["items"][0]), "p3");
  // Bad paging input answers the apiserver's 400s.
  EXPECT_EQ(list({{"limit", "x"}}, "application/json").status, 400);
  EXPECT_EQ(list({{"continue", "!!"}}, "application/json").status, 400);
  auto both = list({{"continue", body["metadata"]["continue"]}, {"resourceVersion", "1"}}, "application/json");
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(lab::testing::body_of(both)["message"], "specifying resource version is not allowed when using continue");
}

}  // namespace
