// libnftables through an RAII context bound to one netns; one call = one atomic batch.
#pragma once

#include <string>

#include "lab/base/result.h"
#include "netns/netns.h"

struct nft_ctx;

namespace lab::net {

class NftContext {
 public:
  NftContext() = default;
  NftContext(NftContext&& o) noexcept;
  NftContext& operator=(NftContext&& o) noexcept;
  NftContext(const NftContext&) = delete;
  NftContext& operator=(const NftContext&) = delete;
  ~NftContext();

  // A context whose netlink socket lives in ns (it stays there whatever the thread does later).
  static Result<NftContext> open_in(const Netns& ns);
  static Result<NftContext> open_here();

  // Runs nft commands ("add table ip t; add chain ...") as one atomic batch.
  // On failure the error carries nft's own message; nothing of the batch is applied.
  Result<std::string> run(const std::string& commands);

 private:
  explicit NftContext(nft_ctx* c) : ctx_(c) {}
  nft_ctx* ctx_ = nullptr;
};

}  // namespace lab::net
