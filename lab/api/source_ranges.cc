#include "lab/api/source_ranges.h"

#include <cstdint>

namespace lab::api {

namespace {

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

}  // namespace

Result<net::Cidr> parse_source_range(std::string_view text) {
  const std::string_view t = trimmed(text);
  if (t.find(':') != std::string_view::npos)
    return fail("lab clusters are IPv4-only: must be an IPv4 CIDR value, (e.g. 10.9.8.0/24)");
  const std::string_view kInvalid = "must be a valid CIDR value, (e.g. 10.9.8.0/24)";
  const size_t slash = t.find('/');
  if (slash == std::string_view::npos) return fail(std::string(kInvalid));
  auto ip = net::Ipv4::parse(t.substr(0, slash));
  const std::string_view len = t.substr(slash + 1);
  if (!ip || len.empty() || len.size() > 2) return fail(std::string(kInvalid));
  int prefix = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return fail(std::string(kInvalid));
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > 32) return fail(std::string(kInvalid));
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return net::Cidr{net::Ipv4{ip->value & mask}, prefix};
}

Result<std::vector<net::Cidr>> parse_source_range_annotation(std::string_view value) {
  std::vector<net::Cidr> out;
  if (trimmed(value).empty()) return out;
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
  const auto spec = svc.find("spec");
  if (spec != svc.end() && spec->is_object()) {
    const auto field = spec->find("loadBalancerSourceRanges");
    if (field != spec->end() && field->is_array() && !field->empty()) {
      for (const auto& r : *field) {
        if (!r.is_string()) return {};
        auto c = parse_source_range(r.get_ref<const std::string&>());
        if (!c) return {};
        out.push_back(c->str());
      }
      return out;
    }
  }
  const auto meta = svc.find("metadata");
  if (meta == svc.end() || !meta->is_object()) return out;
  const auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return out;
  const auto value = annotations->find(kSourceRangesAnnotation);
  if (value == annotations->end() || !value->is_string()) return out;
  auto cidrs = parse_source_range_annotation(value->get_ref<const std::string&>());
  if (!cidrs) return out;
  for (const auto& c : *cidrs) out.push_back(c.str());
  return out;
}

}  // namespace lab::api
