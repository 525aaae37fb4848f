// libnftables behind an RAII context bound to one netns: the context's netlink socket is opened in
// nft_ctx_new, so it is created inside the target netns and keeps talking to it afterwards.
#include "netns/nft.h"

#include <nftables/libnftables.h>

#include <mutex>
#include <utility>

namespace lab::net {
namespace {

// nft_ctx_new runs one-time global init (gmp, xtables) behind a plain static flag, so two threads
// creating the first contexts at once race. Contexts are rare; serialising all of them is simplest.
std::mutex ctx_new_mutex;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

NftContext::NftContext(NftContext&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}

NftContext& NftContext::operator=(NftContext&& o) noexcept {
  if (this != &o) {
    if (ctx_) nft_ctx_free(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}

NftContext::~NftContext() {
  if (ctx_) nft_ctx_free(ctx_);
}

Result<NftContext> NftContext::open_here() {
  nft_ctx* raw = nullptr;
  {
    std::lock_guard lock(ctx_new_mutex);
    raw = nft_ctx_new(NFT_CTX_DEFAULT);
  }
  set_cloexec_on_all_fds();  // its netlink socket is opened without SOCK_CLOEXEC
  if (!raw) return fail("create nftables context", ENOMEM);
  NftContext ctx(raw);
  // Buffered, so nothing is ever printed: output and errors come back as values from run().
  if (nft_ctx_buffer_output(raw) != 0 || nft_ctx_buffer_error(raw) != 0)
    return fail("create nftables context: cannot buffer output", ENOMEM);
  return ctx;
}

Result<NftContext> NftContext::open_in(const Netns& ns) {
  auto in = NetnsSwitch::enter(ns);
  if (!in) return std::unexpected(in.error().context("create nftables context"));
  return open_here();
}

Result<std::string> NftContext::run(const std::string& commands) {
  if (!ctx_) return fail("run nft commands: no nftables context", EINVAL);
  int rc = nft_run_cmd_from_buffer(ctx_, commands.c_str());
  // Both buffers are read on every call so neither carries text into the next one.
  const char* out_buf = nft_ctx_get_output_buffer(ctx_);
  const char* err_buf = nft_ctx_get_error_buffer(ctx_);
  std::string out = out_buf ? out_buf : "";
  std::string err = trim(err_buf ? err_buf : "");
  if (rc != 0) return fail("nft: " + (err.empty() ? "command failed" : err));
  return out;
}

}  // namespace lab::net
