#include "lab/api/source_ranges.h"

#include <cstdint>

#include "lab/api/json_access.h"
#include "lab/base/parse.h"

namespace lab::api {

Result<net::Cidr> parse_source_range(std::string_view text) {
  const std::string_view t = trim_space(text);
  if (t.find(':') != std::string_view::npos)
    return fail("lab clusters are IPv4-only: must be an IPv4 CIDR value, (e.g. 10.9.8.0/24)");
  const std::string_view kInvalid = "must be a valid CIDR value, (e.g. 10.9.8.0/24)";
  const size_t slash = t.find('/');
  if (slash == std::string_view::npos) return fail(std::string(kInvalid));
  auto ip = net::Ipv4::parse(t.substr(0, slash));
  const std::string_view len = t.substr(slash + 1);
  if (!ip || len.empty() || len.size() > 2) return fail(std::string(kInvalid));
  // Digits only, as Go's ParseCIDR takes them: no sign, which parse_int would allow.
  if (len.front() < '0' || len.front() > '9') return fail(std::string(kInvalid));
  auto parsed = parse_int(len, 0, 32);
  if (!parsed) return fail(std::string(kInvalid));
  const int prefix = *parsed;
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return net::Cidr{net::Ipv4{ip->value & mask}, prefix};
}

Result<std::vector<net::Cidr>> parse_source_range_annotation(std::string_view value) {
  std::vector<net::Cidr> out;
  if (trim_space(value).empty()) return out;
  for (size_t start = 0;;) {
    const size_t comma = value.find(',', start);
    auto c = parse_source_range(value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!c) return std::unexpected(c.error());
    out.push_back(*c);
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::vector<std::string> source_ranges(const nlohmann::json& svc) {
  std::vector<std::string> out;
  const nlohmann::json& field = member(member(svc, "spec"), "loadBalancerSourceRanges");
  if (field.is_array() && !field.empty()) {
    for (const auto& r : field) {
      auto c = r.is_string() ? parse_source_range(r.get_ref<const std::string&>()) : fail("not a string");
      if (!c) return {};
      out.push_back(c->str());
    }
    return out;
  }
  const nlohmann::json& value = member(member(metadata_of(svc), "annotations"), kSourceRangesAnnotation);
  auto cidrs = value.is_string() ? parse_source_range_annotation(value.get_ref<const std::string&>()) : fail("not a string");
  if (!cidrs) return out;
  for (const auto& c : *cidrs) out.push_back(c.str());
  return out;
}

}  // namespace lab::api
