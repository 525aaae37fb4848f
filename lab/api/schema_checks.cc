// Value checks for the schema tables: names, labels, ports, addresses, images. Each returns the
// detail Kubernetes puts after `Invalid value: <value>:`, or "" when the value is fine.
#include <algorithm>

#include "lab/api/scenario.h"
#include "lab/api/schema_rules.h"
#include "lab/api/source_ranges.h"
#include "netns/cidr.h"
#include "runtime/image.h"

namespace lab::api {

namespace {
bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool any_alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// One label-shaped part of a DNS name: [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool dns_part(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s)
    if (!lower_alnum(c) && c != '-') return false;
  return true;
}
}  // namespace

bool is_dns1123_label(const std::string& s) { return s.size() <= 63 && dns_part(s); }

bool is_dns1123_subdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (size_t start = 0;;) {
    size_t dot = s.find('.', start);
    if (!dns_part(std::string_view(s).substr(start, dot - start))) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// The IPv4 blocks that can never hold a lab's nodes, pods, Services or load balancer addresses:
// routing one of them to the lab would take it from the host (loopback), send node traffic out of
// the uplink (0.0.0.0/8), or mean nothing on a link (multicast, reserved, broadcast).
std::string special_range_problem(uint32_t first, uint32_t last) {
  struct Block { uint32_t base; int prefix; const char* what; };
  static const Block blocks[] = {
      {0x00000000, 8, "the \"this network\" block 0.0.0.0/8 (unspecified addresses; routed there, node traffic "
                      "would leave through the host's uplink)"},
      {0x7f000000, 8, "the loopback block 127.0.0.0/8"},
      {0xa9fe0000, 16, "the link-local block 169.254.0.0/16"},
      {0xe0000000, 4, "the multicast block 224.0.0.0/4"},
      {0xf0000000, 4, "the reserved block 240.0.0.0/4 (which holds the broadcast address 255.255.255.255)"},
  };
  for (const Block& b : blocks) {
    const uint32_t b_last = b.base | (~uint32_t{0} >> b.prefix);
    if (first <= b_last && b.base <= last) return std::string("must not overlap ") + b.what;
  }
  return "";
}

namespace schema {
namespace {

constexpr std::string_view kSubdomainRule =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character";
constexpr std::string_view kLabelRule =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

int64_t number(const json& v) { return v.get<int64_t>(); }

// Label values and the name part of label keys: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?
bool label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !any_alnum(s.front()) || !any_alnum(s.back())) return false;
  for (char c : s)
    if (!any_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// The address parsers quote the text they refuse; after `Invalid value: "x":` that is said once.
std::string without_value(std::string message, const json& v) {
  const std::string quoted = " " + v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (auto at = message.find(quoted); at != std::string::npos) message.erase(at, quoted.size());
  return message;
}

}  // namespace

std::string dns1123_subdomain_rule() { return std::string(kSubdomainRule); }

std::string dns_subdomain(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > 253) return "must be no more than 253 characters";
  return is_dns1123_subdomain(s) ? "" : std::string(kSubdomainRule);
}

std::string dns_label(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > 63) return "must be no more than 63 characters";
  if (is_dns1123_label(s)) return "";
  return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
         "must start and end with an alphanumeric character";
}

// Service names become DNS labels and environment variable names, so Kubernetes wants them to
// start with a letter (NameIsDNS1035Label).
std::string dns1035_label(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > 63) return "must be no more than 63 characters";
  if (is_dns1123_label(s) && s[0] >= 'a' && s[0] <= 'z') return "";
  return "a lowercase RFC 1035 label must consist of lower case alphanumeric characters or '-', "
         "start with an alphabetic character, and end with an alphanumeric character";
}

std::string optional_dns_label(const json& v) { return v.get_ref<const std::string&>().empty() ? "" : dns_label(v); }

std::string optional_dns_subdomain(const json& v) {
  return v.get_ref<const std::string&>().empty() ? "" : dns_subdomain(v);
}

std::string label_value(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || label_name(s)) return "";
  if (s.size() > 63) return "must be no more than 63 characters";
  return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
         "'.', and must start and end with an alphanumeric character";
}

// Label and annotation keys, finalizers: [prefix/]name, prefix a DNS subdomain.
std::string label_key(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  auto slash = s.find('/');
  std::string name = slash == std::string::npos ? s : s.substr(slash + 1);
  if (slash != std::string::npos && !is_dns1123_subdomain(s.substr(0, slash)))
    return "prefix part " + std::string(kSubdomainRule);
  if (name.empty()) return "name part must be non-empty";
  if (name.size() > 63) return "name part must be no more than 63 characters";
  if (!label_name(name)) return "name part " + std::string(kLabelRule);
  return "";
}

std::string non_negative(const json& v) { return number(v) >= 0 ? "" : "must be greater than or equal to 0"; }
std::string positive(const json& v) { return number(v) >= 1 ? "" : "must be greater than or equal to 1"; }

std::string port_number(const json& v) {
  auto n = number(v);
  return n >= 1 && n <= 65535 ? "" : "must be between 1 and 65535, inclusive";
}

// A Service's nodePort: 0 asks for one to be allocated; any other must lie in the allocator's
// range (30000-32767), checked here so that a scenario is refused with its line before anything
// is built, in the allocator's words.
std::string node_port(const json& v) {
  auto n = number(v);
  if (n < 0 || n > 65535) return "must be between 0 and 65535, inclusive (0 = allocate one)";
  if (n != 0 && (n < kNodePortMin || n > kNodePortMax))
    return "provided port is not in the valid range. The range of valid ports is " + std::to_string(kNodePortMin) +
           "-" + std::to_string(kNodePortMax);
  return "";
}

// An EndpointSlice port: the controller writes 0 for a named targetPort no container declares.
std::string endpoint_port(const json& v) {
  auto n = number(v);
  return n >= 0 && n <= 65535 ? "" : "must be between 0 and 65535, inclusive (0 = not resolved)";
}

// IANA_SVC_NAME, what Kubernetes allows as a container port's name.
std::string port_name(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  bool letter = false, ok = !s.empty() && s.size() <= 15 && s.front() != '-' && s.back() != '-' &&
                            s.find("--") == std::string::npos;
  for (char c : s) {
    ok = ok && (lower_alnum(c) || c == '-');
    letter = letter || (c >= 'a' && c <= 'z');
  }
  if (ok && letter) return "";
  return "must be at most 15 characters of a-z, 0-9 and '-', with at least one letter, no '-' at "
         "either end and no \"--\"";
}

std::string port_or_name(const json& v) { return v.is_number() ? port_number(v) : port_name(v); }

std::string int_or_percent(const json& v) {
  if (v.is_number()) return non_negative(v);
  const auto& s = v.get_ref<const std::string&>();
  bool ok = s.size() >= 2 && s.back() == '%';
  for (size_t i = 0; ok && i + 1 < s.size(); ++i) ok = s[i] >= '0' && s[i] <= '9';
  return ok ? "" : "must be an integer or a percentage such as \"25%\"";
}

std::string env_name(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  bool ok = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
  for (char c : s) ok = ok && (any_alnum(c) || c == '_' || c == '-' || c == '.');
  return ok ? ""
            : "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
              "or '.', and must not start with a digit";
}

std::string resource_name(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s == "cpu" || s == "memory" || s == "ephemeral-storage" || s.starts_with("hugepages-") ||
      (s.find('/') != std::string::npos && label_key(v).empty()))
    return "";
  return "must be a standard resource type or fully qualified (cpu, memory, ephemeral-storage, "
         "hugepages-<size>, or a name with a domain prefix such as example.com/gpu)";
}

std::string image(const json& v) {
  auto found = runtime::find_image(v.get_ref<const std::string&>());
  return found ? "" : without_value(found.error().message, v);
}

std::string cidr(const json& v) {
  auto parsed = net::Cidr::parse(v.get_ref<const std::string&>());
  return parsed ? "" : without_value(parsed.error().message, v);
}

std::string ip_range(const json& v) {
  auto parsed = net::Ipv4Range::parse(v.get_ref<const std::string&>());
  return parsed ? "" : without_value(parsed.error().message, v);
}

std::string ipv4_address(const json& v) {
  auto parsed = net::Ipv4::parse(v.get_ref<const std::string&>());
  return parsed ? "" : without_value(parsed.error().message, v);
}

std::string external_ip(const json& v) {
  // ValidateNonSpecialIP, as the apiserver checks spec.externalIPs.
  auto parsed = net::Ipv4::parse(v.get_ref<const std::string&>());
  if (!parsed) return without_value(parsed.error().message, v);
  const uint32_t a = parsed->value;
  if (a == 0) return "may not be unspecified (0.0.0.0)";
  if ((a >> 24) == 127) return "may not be in the loopback range (127.0.0.0/8, ::1/128)";
  if ((a >> 16) == 0xA9FE) return "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
  if ((a >> 8) == 0xE00000) return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
  return "";
}

std::string source_range(const json& v) {
  auto parsed = parse_source_range(v.get_ref<const std::string&>());
  return parsed ? "" : parsed.error().message;
}

std::string cluster_ip(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s == "None") return "";
  std::string problem = ipv4_address(v);
  return problem.empty() ? "" : problem + " (or \"None\" for a headless Service)";
}

// Every type Kubernetes has is served: ExternalName is an alias that cluster DNS answers (a
// CNAME); the proxy has nothing to do for it.
std::string service_type(const json&) { return ""; }

// ValidateService: the CNAME target may end in a dot (fully qualified), the rest is a DNS-1123
// subdomain.
std::string external_name(const json& v) {
  std::string s = v.get<std::string>();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s.empty() ? "" : dns_subdomain(json(s));
}

std::string ip_family(const json& v) { return v == "IPv6" ? "lab clusters are IPv4-only" : ""; }

// Kubernetes' MaxClientIPServiceAffinitySeconds is one day.
std::string affinity_timeout(const json& v) {
  auto n = number(v);
  return n >= 1 && n <= 86400 ? "" : "must be between 1 and 86400, inclusive (one day)";
}

// appProtocol is a qualified name: an IANA service name ("http") or "domain/name" ("kubernetes.io/h2c").
std::string app_protocol(const json& v) {
  if (label_key(v).empty()) return "";
  return "must be a name such as \"http\" or \"kubernetes.io/h2c\" (an optional DNS subdomain and '/', "
         "then alphanumerics, '-', '_' or '.')";
}

// The lab's name prefixes netns and link names, hence shorter than a label (the CLI's limit too).
std::string lab_name(const json& v) {
  if (v.get_ref<const std::string&>().size() > 40) return "must be no more than 40 characters";
  return dns_label(v);
}

// Lab spec.nodes: a count, or each listed name.
std::string node_count_or_name(const json& v) { return v.is_number() ? positive(v) : dns_label(v); }

std::string label_list(const json& labels) {
  std::string out;
  for (const auto& [k, v] : labels.items()) out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
  return out.empty() ? "none" : out;
}

}  // namespace schema
}  // namespace lab::api
