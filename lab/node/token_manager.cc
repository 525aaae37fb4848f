#include "lab/node/token_manager.h"

#include "lab/api/json_access.h"

namespace lab::node {

namespace {

// requiresRefresh: 80% of the lifetime, or a day, whichever is first.
bool due(const std::chrono::system_clock::time_point issued, int64_t seconds, std::chrono::system_clock::time_point now) {
  const auto refresh_after = std::min<int64_t>(seconds * 8 / 10, 24 * 3600);
  return now >= issued + std::chrono::seconds(refresh_after);
}

}  // namespace

Result<std::string> TokenManager::get(const Json& pod, const std::string& audience, int64_t seconds) {
  const std::string uid = api::string_at(api::metadata_of(pod), "uid");
  const auto now = now_();
  const auto key = std::make_tuple(uid, audience, seconds);
  {
    std::lock_guard lock(mu_);
    // Expired ones (their pods are gone), looked for once a minute: every running pod asks at
    // each resync.
    if (now - pruned_ >= std::chrono::minutes(1) || now < pruned_) {
      pruned_ = now;
      for (auto it = tokens_.begin(); it != tokens_.end();)
        it = now >= it->second.issued + std::chrono::seconds(it->second.seconds) ? tokens_.erase(it) : std::next(it);
    }
    auto it = tokens_.find(key);
    if (it != tokens_.end() && !due(it->second.issued, seconds, now)) return it->second.token;
  }
  if (!mint_) return fail("cannot get a service account token: no token source");
  Result<std::string> token = mint_(pod, audience, seconds);
  if (!token) {
    // A token not yet expired is still good while the API cannot give a new one (as upstream).
    std::lock_guard lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && now < it->second.issued + std::chrono::seconds(it->second.seconds)) return it->second.token;
    return token;
  }
  std::lock_guard lock(mu_);
  tokens_[key] = Entry{*token, now, seconds};
  return token;
}

size_t TokenManager::size() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

ServiceAccountTokenSource token_source(std::shared_ptr<TokenManager> m) {
  return [m](const Json& pod, const std::string& audience, int64_t seconds) { return m->get(pod, audience, seconds); };
}

}  // namespace lab::node
