// spec.loadBalancerSourceRanges and the annotation that came before it: read as the API server
// checks them (ValidateService) and as the proxy applies them (only a LoadBalancer's own
// addresses are filtered, see lab/proxy/rules.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "netns/cidr.h"

namespace lab::api {

// Comma-separated ranges; counts only while spec.loadBalancerSourceRanges is empty.
inline constexpr const char* kSourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges";

// One range as the API server takes it: surrounding whitespace trimmed (a leftover of the
// annotation's days), host bits allowed as Go's net.ParseCIDR allows them, and cleared here.
// IPv4 only: the error says so for anything else.
Result<net::Cidr> parse_source_range(std::string_view text);

// The annotation's value as ranges: empty (or only spaces) is none, as Kubernetes reads it
// (0.0.0.0/0, everyone); otherwise each comma-separated piece must parse.
Result<std::vector<net::Cidr>> parse_source_range_annotation(std::string_view value);

// A Service's ranges, as net::Cidr writes them: the field's, or when the field is empty the
// annotation's. Empty when neither has any, or when one does not parse (the API refused it).
std::vector<std::string> source_ranges(const nlohmann::json& svc);

}  // namespace lab::api
