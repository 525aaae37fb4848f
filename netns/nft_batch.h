// nf_tables transactions built with libnftnl and sent over our own netlink socket: for the few
// hot operations where libnftables' cache dump (tens of ms on a big table) would dominate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "netns/netns.h"

struct nftnl_rule;
struct nftnl_set;
struct mnl_socket;

namespace lab::net {

// One rule body in kernel terms: expressions over registers, as `nft --debug=netlink` prints
// them (register 1 is the first 16-byte register). Only the expressions lab needs are here.
class NftRule {
 public:
  NftRule(std::string_view table, std::string_view chain);  // family ip, appended to the chain
  NftRule(NftRule&&) noexcept;
  NftRule& operator=(NftRule&&) noexcept;
  ~NftRule();

  NftRule& numgen_random(uint32_t dreg, uint32_t modulus, uint32_t offset);
  NftRule& ct_set(uint32_t key, uint32_t sreg);  // key: NFT_CT_*

  nftnl_rule* get() const { return rule_; }

 private:
  nftnl_rule* rule_;
};

// The operations of one transaction, in order; nothing is sent until NftSocket::commit.
class NftBatch {
 public:
  NftBatch();
  NftBatch(NftBatch&&) noexcept;
  ~NftBatch();

  // Elements of named sets and maps in table `table` (family ip); keys and data as the kernel
  // stores them (concatenated fields each padded to 4 bytes, ports in network order).
  void add_element(std::string_view table, std::string_view set, std::string_view key, std::string_view data = {});
  // An element of a verdict map whose value is `goto chain` (or jump: NFT_JUMP).
  void add_verdict_element(std::string_view table, std::string_view set, std::string_view key, int verdict,
                           std::string_view chain);
  void delete_element(std::string_view table, std::string_view set, std::string_view key);
  void flush_set(std::string_view table, std::string_view set);  // every element (a set or map)
  void flush_chain(std::string_view table, std::string_view chain);
  void add_rule(NftRule rule);
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

 private:
  friend class NftSocket;
  struct Op;
  std::vector<std::unique_ptr<Op>> ops_;
};

// A NETLINK_NETFILTER socket bound to one netns (it stays there whatever the thread does later).
class NftSocket {
 public:
  NftSocket() = default;
  NftSocket(NftSocket&& o) noexcept;
  NftSocket& operator=(NftSocket&& o) noexcept;
  NftSocket(const NftSocket&) = delete;
  NftSocket& operator=(const NftSocket&) = delete;
  ~NftSocket();

  static Result<NftSocket> open_in(const Netns& ns);
  static Result<NftSocket> open_here();

  // Sends the batch as one transaction: all of it is applied, or none of it and the kernel's
  // first error comes back. Meant for batches of up to a few thousand messages: every message
  // is acknowledged, and the receive buffer grows to hold all of their acknowledgements (1 KiB
  // each).
  Result<void> commit(const NftBatch& batch);

 private:
  explicit NftSocket(mnl_socket* s) : sock_(s) {}
  // Grows the receive buffer so that `messages` acknowledgements fit in it.
  Result<void> fit_acks(size_t messages);
  // Grows the send buffer so that a batch of `bytes` goes in one message.
  Result<void> fit_send(size_t bytes);
  mnl_socket* sock_ = nullptr;
  uint32_t seq_ = 0;
  int rcvbuf_ = 0;  // what fit_acks last asked for (0: the kernel's default)
  int sndbuf_ = 0;  // what fit_send last asked for (0: the kernel's default)
};

// Bytes in the kernel's layout for set keys and map data.
std::string nft_u32(uint32_t host_order);       // a 32-bit integer in host order (numgen, mark)
std::string nft_ipv4(uint32_t host_order_addr);  // 4 bytes, network order
std::string nft_port(uint16_t port);             // 2 bytes network order, padded to 4
std::string nft_proto(uint8_t proto);            // an inet_proto (IPPROTO_*), padded to 4

}  // namespace lab::net
