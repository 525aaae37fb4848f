// Paged lists: the token's format and the pages cut from kept views (lab/server/list_pages.h).
#include "lab/server/list_pages.h"

#include <algorithm>

#include "lab/api/json_access.h"
#include "lab/base/base64.h"
#include "lab/base/parse.h"

namespace lab::server {

using Json = nlohmann::json;

namespace {

constexpr const char* kTokenVersion = "meta.k8s.io/v1";

std::unexpected<Error> invalid_key(const std::string& why) {
  return fail_api(Reason::BadRequest, "continue key is not valid: " + why);
}

}  // namespace

Result<ListQuery> parse_list_query(const std::map<std::string, std::string>& query) {
  ListQuery q;
  if (auto it = query.find("limit"); it != query.end() && !it->second.empty()) {
    auto n = parse_number<int64_t>(it->second);
    if (!n) return fail_api(Reason::BadRequest, "strconv.ParseInt: parsing \"" + it->second + "\": invalid syntax");
    q.limit = *n;
  }
  if (auto it = query.find("continue"); it != query.end()) q.continue_token = it->second;
  if (auto it = query.find("resourceVersion"); it != query.end()) q.resource_version = it->second;
  if (!q.continue_token.empty() && !q.resource_version.empty())
    return fail_api(Reason::BadRequest, "specifying resource version is not allowed when using continue");
  return q;
}

std::string list_key(const Json& obj) {
  const Json& meta = api::metadata_of(obj);
  return api::string_at(meta, "namespace") + "/" + api::string_at(meta, "name");
}

std::string encode_continue(int64_t version, const std::string& start) {
  Json token = {{"v", kTokenVersion}, {"rv", version}, {"start", start}};
  return base64url_encode(token.dump());  // the apiserver's base64.RawURLEncoding
}

Result<ContinueToken> decode_continue(const std::string& token) {
  auto bytes = base64url_decode(token);
  if (!bytes) return invalid_key("illegal base64url data");
  Json c = Json::parse(*bytes, nullptr, false);
  if (c.is_discarded() || !c.is_object()) return invalid_key("not a JSON object");
  if (api::string_at(c, "v") != kTokenVersion) return invalid_key("server does not recognize this encoded version");
  const Json& rv = api::member(c, "rv");
  if (!rv.is_number_integer() || rv.get<int64_t>() == 0 || rv.get<int64_t>() < -1)
    return invalid_key("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  const Json& start = api::member(c, "start");
  if (!start.is_string() || start.get_ref<const std::string&>().empty())
    return invalid_key("encoded start key empty (version meta.k8s.io/v1)");
  return ContinueToken{rv.get<int64_t>(), start.get<std::string>()};
}

Result<Page> ListPages::page(const ListQuery& q, const std::string& identity, bool filtered,
                             const std::function<store::Store::View()>& read, Clock::time_point now,
                             ExpiredContinue* expired) {
  // resourceVersion=0 is served whole, as the apiserver serves it from its watch cache.
  const int64_t limit = q.resource_version == "0" ? 0 : q.limit;
  if (q.continue_token.empty()) {
    store::Store::View view = read();
    Page p = cut(view.objects, view.version, "", limit, filtered);
    if (!p.continue_token.empty()) keep(identity, view, now);
    return p;
  }
  auto token = decode_continue(q.continue_token);
  if (!token) return std::unexpected(token.error());
  if (token->version > 0) {
    std::unique_lock lock(mu_);
    auto it = kept_.find({static_cast<uint64_t>(token->version), identity});
    if (it != kept_.end() && it->second.until > now) {
      // Kept on after its last page: other clients listing the same objects at the same version
      // (a hundred watchers starting at once) page through this very view.
      it->second.until = now + kKeep;
      return cut(it->second.objects, it->first.first, token->start, limit, filtered);
    }
  }
  store::Store::View view = read();
  // The newest view is the one the token names when nothing changed since: still consistent.
  if (token->version == -1 || static_cast<uint64_t>(token->version) == view.version) {
    Page p = cut(view.objects, view.version, token->start, limit, filtered);
    if (!p.continue_token.empty()) keep(identity, view, now);
    return p;
  }
  if (expired) {
    expired->message =
        "The provided continue parameter is too old to display a consistent list result. You can start a new "
        "list without the continue parameter, or use the continue token in this response to retrieve the "
        "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
        "that were created, modified, or deleted between the time the first chunk was returned and now may show "
        "up in the list.";
    expired->continue_token = encode_continue(-1, token->start);
  }
  return fail_api(Reason::Gone, "The provided continue parameter is too old to display a consistent list result.");
}

Page ListPages::cut(const std::vector<store::ObjPtr>& all, uint64_t version, const std::string& start, int64_t limit,
                    bool filtered) const {
  Page p;
  p.version = version;
  auto first = all.begin();
  if (!start.empty())
    first = std::ranges::lower_bound(all, start, std::less<>{}, [](const store::ObjPtr& o) { return list_key(*o); });
  const auto left = static_cast<size_t>(all.end() - first);
  const size_t n = limit > 0 ? std::min(left, static_cast<size_t>(limit)) : left;
  p.items.assign(first, first + static_cast<std::ptrdiff_t>(n));
  if (n < left) {
    // The next page starts at the first key after the last one given ("\0" sorts before any byte).
    p.continue_token = encode_continue(static_cast<int64_t>(version), list_key(*p.items.back()) + '\0');
    if (!filtered) p.remaining = static_cast<int64_t>(left - n);
  }
  return p;
}

void ListPages::keep(const std::string& identity, const store::Store::View& view, Clock::time_point now) {
  std::lock_guard lock(mu_);
  std::erase_if(kept_, [&](const auto& entry) { return entry.second.until <= now; });
  while (kept_.size() >= kMaxKept) {
    auto oldest = std::ranges::min_element(kept_, {}, [](const auto& entry) { return entry.second.until; });
    kept_.erase(oldest);
  }
  kept_[{view.version, identity}] = Kept{view.objects, now + kKeep};
}

size_t ListPages::kept() const {
  std::lock_guard lock(mu_);
  return kept_.size();
}

}  // namespace lab::server
