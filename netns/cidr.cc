// Parsing and arithmetic for IPv4 addresses, CIDR blocks and ranges, with errors a user can act on.
// Strict on purpose: an address plan that is accepted here is exactly the one the kernel gets.
#include "netns/cidr.h"

#include <charconv>

namespace lab::net {
namespace {

uint32_t mask_of(int prefix) { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }

// One decimal number with no sign, no spaces and no leading zeros ("010" reads as octal to inet_aton,
// so a plan containing it would mean different things to different tools).
bool parse_decimal(std::string_view text, uint32_t max, uint32_t& out, std::string& why) {
  if (text.empty()) {
    why = "empty number";
    return false;
  }
  if (text.size() > 1 && text[0] == '0') {
    why = "\"" + std::string(text) + "\" has a leading zero";
    return false;
  }
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    why = "\"" + std::string(text) + "\" is not a number";
    return false;
  }
  if (v > max) {
    why = std::to_string(v) + " is larger than " + std::to_string(max);
    return false;
  }
  out = v;
  return true;
}

bool parse_ipv4(std::string_view text, uint32_t& out, std::string& why) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) {
      why = "needs exactly four numbers separated by dots";
      return false;
    }
    uint32_t octet = 0;
    if (!parse_decimal(text.substr(0, dot), 255, octet, why)) return false;
    value = value << 8 | octet;
    text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  }
  out = value;
  return true;
}

}  // namespace

Result<Ipv4> Ipv4::parse(std::string_view text) {
  uint32_t v = 0;
  std::string why;
  if (!parse_ipv4(text, v, why))
    return fail("invalid IPv4 address \"" + std::string(text) + "\": " + why +
                "; expected e.g. 10.0.0.1");
  return Ipv4{v};
}

std::string Ipv4::str() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return fail("invalid CIDR \"" + std::string(text) + "\": " + why + "; expected e.g. 10.0.0.0/16");
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad("missing /prefix length");
  uint32_t base = 0;
  std::string why;
  if (!parse_ipv4(text.substr(0, slash), base, why)) return bad(why);
  uint32_t prefix = 0;
  if (!parse_decimal(text.substr(slash + 1), 32, prefix, why)) return bad("prefix length: " + why);
  if ((base & ~mask_of(static_cast<int>(prefix))) != 0) return bad("host bits set");
  return Cidr{Ipv4{base}, static_cast<int>(prefix)};
}

std::string Cidr::str() const { return base.str() + "/" + std::to_string(prefix); }

bool Cidr::contains(Ipv4 ip) const { return (ip.value & mask_of(prefix)) == base.value; }

bool Cidr::overlaps(const Cidr& other) const {
  return first() <= other.last() && other.first() <= last();
}

Result<Cidr> Cidr::subnet(int new_prefix, uint32_t index) const {
  if (new_prefix < prefix || new_prefix > 32)
    return fail("cannot split " + str() + " into /" + std::to_string(new_prefix) +
                " blocks: the prefix length must be " + std::to_string(prefix) + "..32");
  uint64_t count = uint64_t{1} << (new_prefix - prefix);
  if (index >= count)
    return fail(str() + " has only " + std::to_string(count) + " /" + std::to_string(new_prefix) +
                " blocks; block " + std::to_string(index) + " is out of range");
  uint64_t block = uint64_t{1} << (32 - new_prefix);
  return Cidr{Ipv4{static_cast<uint32_t>(base.value + index * block)}, new_prefix};
}

Result<Ipv4Range> Ipv4Range::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return fail("invalid address range \"" + std::string(text) + "\": " + why +
                "; expected e.g. 172.18.255.200-172.18.255.250");
  };
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) return bad("missing \"-\" between first and last address");
  uint32_t first = 0, last = 0;
  std::string why;
  if (!parse_ipv4(text.substr(0, dash), first, why)) return bad("first address: " + why);
  if (!parse_ipv4(text.substr(dash + 1), last, why)) return bad("last address: " + why);
  if (last < first) return bad("the last address comes before the first");
  return Ipv4Range{Ipv4{first}, Ipv4{last}};
}

std::string Ipv4Range::str() const { return first.str() + "-" + last.str(); }

}  // namespace lab::net
