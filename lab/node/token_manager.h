// The kubelet's token manager (pkg/kubelet/token): the tokens of its pods' serviceAccountToken
// volumes, kept by (pod uid, audience, lifetime) and asked for again only once 80% of a token's
// lifetime has passed (or 24 hours), so a running pod's token file changes when its token is
// renewed, not at every volume refresh. Tokens past their lifetime are dropped.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "lab/node/volumes.h"

namespace lab::node {

class TokenManager {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // mint: the TokenRequest (the API's side, lab/server/token_request.h's signing).
  explicit TokenManager(ServiceAccountTokenSource mint,
                        Clock now = [] { return std::chrono::system_clock::now(); })
      : mint_(std::move(mint)), now_(std::move(now)) {}

  Result<std::string> get(const Json& pod, const std::string& audience, int64_t seconds);
  size_t size() const;

 private:
  struct Entry {
    std::string token;
    std::chrono::system_clock::time_point issued;
    int64_t seconds = 0;
  };
  ServiceAccountTokenSource mint_;
  Clock now_;
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int64_t>, Entry> tokens_;
  std::chrono::system_clock::time_point pruned_{};
};

// A VolumeInputs::service_account_token that asks m.
ServiceAccountTokenSource token_source(std::shared_ptr<TokenManager> m);

}  // namespace lab::node
