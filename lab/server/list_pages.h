// Lists in pages (`limit` and `continue`), as the API server pages them: a list asked for `limit`
// items answers that many and, when more remain, a continue token and remainingItemCount; the
// token's next page is cut from the same view of the store (all pages of one list share the first
// one's resourceVersion), which is kept here for a while as etcd keeps its history until it
// compacts. A token whose view is no longer kept gets what the apiserver answers after a
// compaction: 410 Expired carrying a token that goes on from the newest state (an inconsistent
// list, resourceVersion -1 in the token).
//
// No HTTP here: the API server reads the query, hands the view over and encodes the Page.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/base/result.h"
#include "lab/store/store.h"

namespace lab::server {

// What a list's query says about paging.
struct ListQuery {
  int64_t limit = 0;            // <= 0: no limit
  std::string continue_token;   // `continue`
  std::string resource_version; // `resourceVersion`
};
// From the query's values; a bad limit, or a continue with a resourceVersion, is a BadRequest
// worded as the apiserver words it.
Result<ListQuery> parse_list_query(const std::map<std::string, std::string>& query);

// The key a page starts after: "namespace/name" (the store's order within a kind).
std::string list_key(const nlohmann::json& obj);

// Kubernetes' continue token: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}.
std::string encode_continue(int64_t version, const std::string& start);
struct ContinueToken {
  int64_t version = 0;  // -1: go on from the newest state
  std::string start;    // the first key the next page may hold
};
// BadRequest "continue key is not valid: ..." for anything else.
Result<ContinueToken> decode_continue(const std::string& token);

struct Page {
  std::vector<store::ObjPtr> items;
  uint64_t version = 0;               // the list's resourceVersion
  std::string continue_token;         // empty on the last page
  std::optional<int64_t> remaining;   // remainingItemCount, for an unfiltered list only
};

// An expired token's answer: the 410's message and the token that goes on inconsistently.
struct ExpiredContinue {
  std::string message;
  std::string continue_token;
};

class ListPages {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kKeep = std::chrono::seconds(60);  // a view outlives its last read this long
  static constexpr size_t kMaxKept = 256;                    // views kept at once (oldest go first)

  // One page of the list `identity` names (kind, namespace and selectors: a token continues only
  // the list it came from). `read` gives the newest view of that list, already filtered and in the
  // store's order; `filtered` = a selector was given (no remainingItemCount then, as the
  // apiserver). An expired token sets *expired and returns Reason::Gone.
  Result<Page> page(const ListQuery& q, const std::string& identity, bool filtered,
                    const std::function<store::Store::View()>& read, Clock::time_point now,
                    ExpiredContinue* expired = nullptr);

  size_t kept() const;

 private:
  struct Kept {
    std::vector<store::ObjPtr> objects;
    Clock::time_point until;
  };
  Page cut(const std::vector<store::ObjPtr>& all, uint64_t version, const std::string& start, int64_t limit,
           bool filtered) const;
  void keep(const std::string& identity, const store::Store::View& view, Clock::time_point now);

  mutable std::mutex mu_;
  std::map<std::pair<uint64_t, std::string>, Kept> kept_;  // by (resourceVersion, identity)
};

}  // namespace lab::server
