// IPv4 addresses, CIDR blocks and address ranges: parsing, overlap and sub-allocation.
// Pure logic (no kernel calls), so the address planner can be unit-tested without root.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lab/base/result.h"

namespace lab::net {

struct Ipv4 {
  uint32_t value = 0;  // host byte order
  static Result<Ipv4> parse(std::string_view text);
  std::string str() const;
  Ipv4 plus(uint32_t n) const { return Ipv4{value + n}; }
  auto operator<=>(const Ipv4&) const = default;
};

struct Cidr {
  Ipv4 base;       // always the network address (host bits zero)
  int prefix = 0;  // 0..32
  // "10.244.0.0/16"; host bits set ("10.244.0.1/16") is an error.
  static Result<Cidr> parse(std::string_view text);
  std::string str() const;
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  Ipv4 first() const { return base; }
  Ipv4 last() const { return Ipv4{static_cast<uint32_t>(base.value + size() - 1)}; }
  bool contains(Ipv4 ip) const;
  bool overlaps(const Cidr& other) const;
  Ipv4 at(uint32_t offset) const { return base.plus(offset); }
  // The index-th block of size /new_prefix inside this one: 10.244.0.0/16 .subnet(24, 3) = 10.244.3.0/24.
  Result<Cidr> subnet(int new_prefix, uint32_t index) const;
  auto operator<=>(const Cidr&) const = default;
};

// "172.18.255.200-172.18.255.250"
struct Ipv4Range {
  Ipv4 first, last;
  static Result<Ipv4Range> parse(std::string_view text);
  std::string str() const;
  bool contains(Ipv4 ip) const { return first <= ip && ip <= last; }
  bool overlaps(const Cidr& c) const { return !(last < c.first() || c.last() < first); }
  uint64_t size() const { return uint64_t{last.value} - first.value + 1; }
};

}  // namespace lab::net
