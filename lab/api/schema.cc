// The tables of accepted fields for Lab, Pod, Deployment and Service documents, their value checks
// (names, labels, ports, CIDRs, images) and the hooks that apply Kubernetes' defaults and cross-field rules.
#include "lab/api/schema.h"

#include <algorithm>
#include <map>
#include <set>

#include "lab/api/scenario.h"
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

namespace schema {
namespace {

using nlohmann::json;

std::string show(const json& v) { return v.dump(); }  // "abc" quoted, 80 bare

// ---- value checks: "" = fine, else the message ----

std::string dns_subdomain(const json& v) {
  auto s = v.get<std::string>();
  if (s.size() > 253) return "invalid value " + show(v) + ": must be no more than 253 characters";
  if (is_dns1123_subdomain(s)) return "";
  return "invalid value " + show(v) +
         ": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
         "'-' or '.', and must start and end with an alphanumeric character";
}

std::string dns_label(const json& v) {
  auto s = v.get<std::string>();
  if (s.size() > 63) return "invalid value " + show(v) + ": must be no more than 63 characters";
  if (is_dns1123_label(s)) return "";
  return "invalid value " + show(v) +
         ": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
         "'-', and must start and end with an alphanumeric character";
}

// Service names become DNS labels and environment variable names, so Kubernetes wants them to
// start with a letter (NameIsDNS1035Label).
std::string dns1035_label(const json& v) {
  auto s = v.get<std::string>();
  if (s.size() > 63) return "invalid value " + show(v) + ": must be no more than 63 characters";
  if (is_dns1123_label(s) && s[0] >= 'a' && s[0] <= 'z') return "";
  return "invalid value " + show(v) +
         ": a lowercase RFC 1035 label must consist of lower case alphanumeric characters or '-', "
         "start with an alphabetic character, and end with an alphanumeric character";
}

// Label values and the name part of label keys: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?
bool label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !any_alnum(s.front()) || !any_alnum(s.back())) return false;
  for (char c : s)
    if (!any_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}
constexpr std::string_view kLabelRule =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

std::string label_value(const json& v) {
  auto s = v.get<std::string>();
  if (s.empty() || label_name(s)) return "";
  if (s.size() > 63) return "invalid label value " + show(v) + ": must be no more than 63 characters";
  return "invalid label value " + show(v) + ": a valid label must be an empty string or " +
         std::string(kLabelRule);
}

// Label and annotation keys: [prefix/]name, prefix a DNS subdomain.
std::string label_key(const json& v) {
  auto s = v.get<std::string>();
  auto slash = s.find('/');
  std::string name = slash == std::string::npos ? s : s.substr(slash + 1);
  if (slash != std::string::npos) {
    std::string prefix = s.substr(0, slash);
    if (!is_dns1123_subdomain(prefix))
      return "invalid key " + show(v) + ": the prefix part must be a lowercase RFC 1123 subdomain";
  }
  if (name.size() > 63) return "invalid key " + show(v) + ": the name part must be no more than 63 characters";
  if (!label_name(name)) return "invalid key " + show(v) + ": the name part " + std::string(kLabelRule);
  return "";
}

std::string non_negative(const json& v) {
  return v.get<int64_t>() >= 0 ? "" : "must be greater than or equal to 0, got " + show(v);
}
std::string positive(const json& v) {
  return v.get<int64_t>() >= 1 ? "" : "must be greater than or equal to 1, got " + show(v);
}
std::string port_number(const json& v) {
  auto n = v.get<int64_t>();
  return n >= 1 && n <= 65535 ? "" : "must be between 1 and 65535, got " + show(v);
}

// IANA_SVC_NAME, what Kubernetes allows as a port name.
std::string port_name(const json& v) {
  auto s = v.get<std::string>();
  bool letter = false, ok = !s.empty() && s.size() <= 15 && s.front() != '-' && s.back() != '-' &&
                            s.find("--") == std::string::npos;
  for (char c : s) {
    ok = ok && (lower_alnum(c) || c == '-');
    letter = letter || (c >= 'a' && c <= 'z');
  }
  if (ok && letter) return "";
  return "invalid port name " + show(v) +
         ": must be at most 15 characters of a-z, 0-9 and '-', with at least one letter, "
         "no '-' at either end and no \"--\"";
}

// A Service's nodePort: 0 asks for one to be allocated; the range (30000-32767) is the allocator's.
std::string node_port(const json& v) {
  auto n = v.get<int64_t>();
  return n >= 0 && n <= 65535 ? "" : "must be between 0 and 65535 (0 = allocate one), got " + show(v);
}

std::string port_or_name(const json& v) { return v.is_number() ? port_number(v) : port_name(v); }

std::string int_or_percent(const json& v) {
  if (v.is_number()) return non_negative(v);
  auto s = v.get<std::string>();
  bool ok = s.size() >= 2 && s.back() == '%';
  for (size_t i = 0; ok && i + 1 < s.size(); ++i) ok = s[i] >= '0' && s[i] <= '9';
  return ok ? "" : "expected an integer or a percentage such as \"25%\", got " + show(v);
}

std::string env_name(const json& v) {
  auto s = v.get<std::string>();
  bool ok = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
  for (char c : s) ok = ok && (any_alnum(c) || c == '_' || c == '-' || c == '.');
  return ok ? ""
            : "invalid value " + show(v) +
                  ": a valid environment variable name must consist of alphabetic characters, "
                  "digits, '_', '-', or '.', and must not start with a digit";
}

std::string resource_name(const json& v) {
  auto s = v.get<std::string>();
  if (s == "cpu" || s == "memory" || s == "ephemeral-storage" || s.starts_with("hugepages-") ||
      (s.find('/') != std::string::npos && label_key(v).empty()))
    return "";
  return "unknown resource " + show(v) +
         " (expected cpu, memory, ephemeral-storage or a name with a domain prefix such as "
         "example.com/gpu)";
}

std::string image(const json& v) {
  auto found = runtime::find_image(v.get<std::string>());
  return found ? "" : found.error().message;
}

// Both parsers' messages already quote the value and show an example.
std::string cidr(const json& v) {
  auto parsed = net::Cidr::parse(v.get<std::string>());
  return parsed ? "" : parsed.error().message;
}

std::string ip_range(const json& v) {
  auto parsed = net::Ipv4Range::parse(v.get<std::string>());
  return parsed ? "" : parsed.error().message;
}

std::string ipv4_address(const json& v) {
  auto parsed = net::Ipv4::parse(v.get<std::string>());
  return parsed ? "" : parsed.error().message;
}

// spec.clusterIP and each of spec.clusterIPs: an address, "None" (headless) or "" (allocate one).
std::string cluster_ip(const json& v) {
  auto s = v.get<std::string>();
  if (s.empty() || s == "None") return "";
  auto parsed = net::Ipv4::parse(s);
  return parsed ? "" : parsed.error().message + " (or \"None\" for a headless Service)";
}

// ExternalName is a valid Kubernetes type that lab cannot serve: it is a DNS alias, not a proxy.
std::string service_type(const json& v) {
  auto s = v.get<std::string>();
  if (s == "ClusterIP" || s == "NodePort" || s == "LoadBalancer") return "";
  if (s == "ExternalName")
    return "type \"ExternalName\" is not supported yet (use ClusterIP, NodePort or LoadBalancer)";
  return "unsupported value " + show(v) + " (expected one of: ClusterIP, NodePort, LoadBalancer)";
}

std::string ip_family(const json& v) {
  auto s = v.get<std::string>();
  if (s == "IPv4") return "";
  if (s == "IPv6") return "unsupported value \"IPv6\" (lab clusters are IPv4-only)";
  return "unsupported value " + show(v) + " (expected IPv4)";
}

// Kubernetes' MaxClientIPServiceAffinitySeconds is one day.
std::string affinity_timeout(const json& v) {
  auto n = v.get<int64_t>();
  return n >= 1 && n <= 86400 ? "" : "must be between 1 and 86400 (one day), got " + show(v);
}

// appProtocol is a qualified name: an IANA service name ("http") or "domain/name" ("kubernetes.io/h2c").
std::string app_protocol(const json& v) {
  if (label_key(v).empty()) return "";
  return "invalid value " + show(v) +
         ": must be a name such as \"http\" or \"kubernetes.io/h2c\" (an optional DNS subdomain and '/', then "
         "alphanumerics, '-', '_' or '.')";
}

// The lab's name prefixes netns and link names, hence shorter than a label (the CLI's limit too).
std::string lab_name(const json& v) {
  if (v.get<std::string>().size() > 40) return "invalid value " + show(v) + ": must be no more than 40 characters";
  return dns_label(v);
}

// Lab spec.nodes: a count, or each listed name.
std::string node_count_or_name(const json& v) {
  if (v.is_number()) return positive(v);
  return dns_label(v);
}

// ---- hooks: defaults and rules across fields ----

void set_default(json& o, const char* key, json value) {
  if (!o.contains(key)) o[key] = std::move(value);
}

std::optional<Problem> finish_metadata(json& m) {
  set_default(m, "namespace", "default");
  return std::nullopt;
}

std::optional<Problem> finish_port(json& p) {
  set_default(p, "protocol", "TCP");
  return std::nullopt;
}

std::optional<Problem> finish_http_get(json& h) {
  set_default(h, "path", "/");
  set_default(h, "scheme", "HTTP");
  return std::nullopt;
}

std::optional<Problem> finish_probe(json& p) {
  int handlers = p.contains("exec") + p.contains("httpGet") + p.contains("tcpSocket");
  if (handlers == 0) return Problem{"", "must specify a handler type (one of: exec, httpGet, tcpSocket)"};
  if (handlers > 1) return Problem{"", "may not specify more than 1 handler type (exec, httpGet, tcpSocket)"};
  set_default(p, "timeoutSeconds", 1);
  set_default(p, "periodSeconds", 10);
  set_default(p, "successThreshold", 1);
  set_default(p, "failureThreshold", 3);
  return std::nullopt;
}

std::optional<Problem> finish_container(json& c) {
  set_default(c, "imagePullPolicy", "IfNotPresent");
  for (const char* probe : {"livenessProbe", "startupProbe"})
    if (c.contains(probe) && c[probe]["successThreshold"] != 1)
      return Problem{std::string(probe) + ".successThreshold", "must be 1"};
  return std::nullopt;
}

std::optional<Problem> finish_pod_spec(json& s) {
  const json& containers = s["containers"];
  if (containers.empty()) return Problem{"containers", "must have at least one container"};
  std::set<std::string> names, port_names;
  for (size_t i = 0; i < containers.size(); ++i) {
    std::string at = "containers[" + std::to_string(i) + "]";
    if (!names.insert(containers[i]["name"].get<std::string>()).second)
      return Problem{at + ".name", "duplicate container name " + show(containers[i]["name"])};
    const json ports = containers[i].value("ports", json::array());
    for (size_t j = 0; j < ports.size(); ++j)
      if (ports[j].contains("name") && !port_names.insert(ports[j]["name"].get<std::string>()).second)
        return Problem{at + ".ports[" + std::to_string(j) + "].name",
                       "duplicate port name " + show(ports[j]["name"]) + " in this pod"};
  }
  set_default(s, "restartPolicy", "Always");
  set_default(s, "terminationGracePeriodSeconds", 30);
  set_default(s, "dnsPolicy", "ClusterFirst");
  return std::nullopt;
}

// "25%" -> 25, capped so that no digit string overflows; the format was checked already.
int percent(const json& v) {
  int n = 0;
  for (char c : v.get<std::string>())
    if (c >= '0' && c <= '9') n = std::min(n * 10 + (c - '0'), 1000);
  return n;
}

bool is_zero(const json& v) { return v.is_number() ? v == 0 : percent(v) == 0; }

std::optional<Problem> finish_strategy(json& s) {
  set_default(s, "type", "RollingUpdate");
  if (s["type"] == "Recreate") {
    if (s.contains("rollingUpdate"))
      return Problem{"rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"};
    return std::nullopt;
  }
  json& r = s["rollingUpdate"];
  if (r.is_null()) r = json::object();
  set_default(r, "maxSurge", "25%");
  set_default(r, "maxUnavailable", "25%");
  if (is_zero(r["maxSurge"]) && is_zero(r["maxUnavailable"]))
    return Problem{"rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"};
  if (r["maxUnavailable"].is_string() && percent(r["maxUnavailable"]) > 100)
    return Problem{"rollingUpdate.maxUnavailable", "must not be greater than 100%"};
  return std::nullopt;
}

std::string label_list(const json& labels) {
  std::string out;
  for (const auto& [k, v] : labels.items()) out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
  return out.empty() ? "none" : out;
}

std::optional<Problem> finish_deployment_spec(json& s) {
  const json& want = s["selector"].value("matchLabels", json::object());
  if (want.empty())
    return Problem{"selector", "empty selector is invalid for deployment (write selector.matchLabels)"};
  const json& tmpl = s["template"];
  const json have = tmpl.contains("metadata") ? tmpl["metadata"].value("labels", json::object()) : json::object();
  for (const auto& [k, v] : want.items())
    if (!have.contains(k) || have[k] != v)
      return Problem{"template.metadata.labels", "`selector` does not match template `labels` (selector: " +
                                                     label_list(want) + "; labels: " + label_list(have) + ")"};
  const json& policy = tmpl["spec"]["restartPolicy"];
  if (policy != "Always")
    return Problem{"template.spec.restartPolicy",
                   "unsupported value " + show(policy) + " (a Deployment's pods must use Always)"};
  set_default(s, "replicas", 1);
  set_default(s, "revisionHistoryLimit", 10);
  set_default(s, "progressDeadlineSeconds", 600);
  if (s["progressDeadlineSeconds"].get<int64_t>() <= s.value("minReadySeconds", int64_t{0}))
    return Problem{"progressDeadlineSeconds", "must be greater than minReadySeconds"};
  if (!s.contains("strategy")) {
    s["strategy"] = json::object();
    if (auto problem = finish_strategy(s["strategy"])) return Problem{"strategy." + problem->path, problem->message};
  }
  return std::nullopt;
}

// The Lab spec: node names, the four address ranges and how they fit together. Before this runs
// `spec` holds only what the file wrote, which is how "explicit" is told from "default".
std::optional<Problem> finish_lab_spec(json& spec) {
  const bool node_written = spec.contains("nodeCIDR"), pool_written = spec.contains("loadBalancerPool");
  auto pod = *net::Cidr::parse(spec.value("podCIDR", "10.244.0.0/16"));
  auto svc = *net::Cidr::parse(spec.value("serviceCIDR", "10.96.0.0/12"));
  auto node = *net::Cidr::parse(spec.value("nodeCIDR", "172.18.0.0/16"));

  net::Ipv4Range pool;
  if (pool_written) {
    pool = *net::Ipv4Range::parse(spec["loadBalancerPool"].get<std::string>());
  } else if (node_written) {
    // Same offsets as the default pool in 172.18.0.0/16: the last 55..5 addresses.
    if (node.size() < 64)
      return Problem{"nodeCIDR", node.str() + " is too small for the default loadBalancerPool " +
                                     "(its last 55..5 addresses): write spec.loadBalancerPool too"};
    pool = {net::Ipv4{node.last().value - 55}, net::Ipv4{node.last().value - 5}};
  } else {
    pool = *net::Ipv4Range::parse("172.18.255.200-172.18.255.250");
  }

  // Node names. node-N takes the N-th /24 of podCIDR (the 0th stays unused), as in 10.244.1.0/24.
  if (pod.prefix > 24)
    return Problem{"podCIDR", pod.str() + " is smaller than the /24 each node takes (use a /16)"};
  const uint64_t pod_slots = (uint64_t{1} << (24 - pod.prefix)) - 1;
  std::vector<std::string> names;
  const json nodes = spec.value("nodes", json(2));
  if (nodes.is_number()) {
    if (nodes.get<uint64_t>() > pod_slots)
      return Problem{"nodes", std::to_string(nodes.get<uint64_t>()) + " nodes do not fit in podCIDR " +
                                  pod.str() + " (one /24 per node; room for " + std::to_string(pod_slots) + ")"};
    for (uint64_t i = 1; i <= nodes.get<uint64_t>(); ++i) names.push_back("node-" + std::to_string(i));
  } else {
    if (nodes.empty()) return Problem{"nodes", "must list at least one node"};
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (std::find(names.begin(), names.end(), nodes[i]) != names.end())
        return Problem{"nodes[" + std::to_string(i) + "]", "duplicate node name " + show(nodes[i])};
      names.push_back(nodes[i].get<std::string>());
    }
    if (names.size() > pod_slots)
      return Problem{"nodes", std::to_string(names.size()) + " nodes do not fit in podCIDR " + pod.str() +
                                  " (one /24 per node; room for " + std::to_string(pod_slots) + ")"};
  }

  // Kubernetes' own limit (the allocator's bitmap) at the large end; the API and DNS service IPs
  // (.1 and .10) at the small end.
  if (svc.prefix < 12 || svc.prefix > 28)
    return Problem{"serviceCIDR", svc.str() + " must be between a /12 and a /28"};

  const char* pool_path = pool_written ? "loadBalancerPool" : "nodeCIDR";
  if (!node.contains(pool.first) || !node.contains(pool.last))
    return Problem{pool_path, "loadBalancerPool " + pool.str() + " must lie inside nodeCIDR " + node.str() +
                                  (node_written ? "" : " (the default)")};
  // The host takes .1 of the node network and the nodes .2, .3, ...: all below the pool.
  if (node.first().value + names.size() + 1 >= pool.first.value)
    return Problem{pool_written ? "loadBalancerPool" : "nodes",
                   "nodeCIDR " + node.str() + " has no room for the host (.1) and " + std::to_string(names.size()) +
                       " nodes below loadBalancerPool " + pool.str()};

  struct Named { const char* field; net::Cidr cidr; };
  const Named ranges[] = {{"podCIDR", pod}, {"serviceCIDR", svc}, {"nodeCIDR", node}};
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = i + 1; j < 3; ++j)
      if (ranges[i].cidr.overlaps(ranges[j].cidr)) {
        const char* at = spec.contains(ranges[j].field) ? ranges[j].field : ranges[i].field;
        return Problem{at, std::string(ranges[i].field) + " " + ranges[i].cidr.str() + " overlaps " +
                               ranges[j].field + " " + ranges[j].cidr.str()};
      }

  spec["nodes"] = names;
  spec["podCIDR"] = pod.str();
  spec["serviceCIDR"] = svc.str();
  spec["nodeCIDR"] = node.str();
  spec["loadBalancerPool"] = pool.str();
  return std::nullopt;
}

std::optional<Problem> finish_lab_document(json& doc) {
  set_default(doc, "apiVersion", "lab.dev/v1alpha1");
  set_default(doc, "kind", "Lab");
  if (!doc.contains("spec")) {  // otherwise its hook already ran
    doc["spec"] = json::object();
    if (auto problem = finish_lab_spec(doc["spec"])) return Problem{"spec." + problem->path, problem->message};
  }
  return std::nullopt;
}

// The API server's defaults for one Service port. nodePort 0 means "allocate one", as if absent.
std::optional<Problem> finish_service_port(json& p) {
  set_default(p, "protocol", "TCP");
  set_default(p, "targetPort", p["port"]);
  if (p.contains("nodePort") && p["nodePort"] == 0) p.erase("nodePort");
  return std::nullopt;
}

std::string port_key(const json& p) {
  return std::to_string(p["port"].get<int64_t>()) + "/" + p["protocol"].get<std::string>();
}

// ValidateService's rules across ports: names (required once there are two ports, since endpoints
// and SRV records are matched by name), unique names, unique port/protocol and nodePort/protocol.
std::optional<Problem> check_service_ports(const json& ports, bool node_ports_allowed, const std::string& type) {
  if (ports.empty()) return Problem{"ports", "must have at least one port"};
  std::map<std::string, size_t> names, keys, node_ports;
  for (size_t i = 0; i < ports.size(); ++i) {
    const json& p = ports[i];
    const std::string at = "ports[" + std::to_string(i) + "]";
    auto also = [&](size_t first) { return " (also ports[" + std::to_string(first) + "])"; };
    if (!p.contains("name")) {
      if (ports.size() > 1) return Problem{at + ".name", "required when the Service has more than one port"};
    } else if (auto [it, fresh] = names.emplace(p["name"].get<std::string>(), i); !fresh) {
      return Problem{at + ".name", "duplicate port name " + show(p["name"]) + also(it->second)};
    }
    if (auto [it, fresh] = keys.emplace(port_key(p), i); !fresh)
      return Problem{at, "duplicate port " + port_key(p) + also(it->second)};
    if (p.contains("nodePort")) {
      if (!node_ports_allowed) return Problem{at + ".nodePort", "may not be used when `type` is '" + type + "'"};
      const std::string key = std::to_string(p["nodePort"].get<int64_t>()) + "/" + p["protocol"].get<std::string>();
      if (auto [it, fresh] = node_ports.emplace(key, i); !fresh)
        return Problem{at + ".nodePort", "duplicate node port " + key + also(it->second)};
    }
  }
  return std::nullopt;
}

// clusterIP and clusterIPs say the same thing twice (clusterIPs exists for dual-stack); the API
// server fills whichever is missing from the other and insists that they agree.
std::optional<Problem> finish_cluster_ips(json& s, const std::string& type) {
  if (s.contains("clusterIP") && s["clusterIP"] == "") s.erase("clusterIP");
  if (s.contains("clusterIPs") && (s["clusterIPs"].empty() || s["clusterIPs"][0] == "")) s.erase("clusterIPs");
  const bool written = s.contains("clusterIP");
  if (s.contains("clusterIPs")) {
    const json& ips = s["clusterIPs"];
    if (ips.size() > 1)
      return Problem{"clusterIPs[1]", "lab clusters are IPv4 single-stack: at most one address"};
    if (written && s["clusterIP"] != ips[0])
      return Problem{"clusterIPs[0]", "must match clusterIP " + show(s["clusterIP"]) + " (got " + show(ips[0]) + ")"};
    s["clusterIP"] = ips[0];
  } else if (written) {
    s["clusterIPs"] = json::array({s["clusterIP"]});
  }
  if (s.value("clusterIP", "") == "None" && type != "ClusterIP")
    return Problem{written ? "clusterIP" : "clusterIPs[0]", "may not be set to 'None' for " + type + " services"};
  return std::nullopt;
}

std::optional<Problem> finish_service_spec(json& s) {
  set_default(s, "type", "ClusterIP");
  const std::string type = s["type"].get<std::string>();
  const bool external = type == "NodePort" || type == "LoadBalancer";  // reachable from outside the cluster
  const bool lb = type == "LoadBalancer";

  if (auto problem = check_service_ports(s["ports"], external, type)) return problem;
  if (auto problem = finish_cluster_ips(s, type)) return problem;

  set_default(s, "sessionAffinity", "None");
  if (s["sessionAffinity"] == "None") {
    if (s.contains("sessionAffinityConfig"))
      return Problem{"sessionAffinityConfig", "must not be set when session affinity is None"};
  } else {  // ClientIP: three hours unless told otherwise
    json& config = s["sessionAffinityConfig"];
    if (config.is_null()) config = json::object();
    if (!config.contains("clientIP")) config["clientIP"] = json::object();
    set_default(config["clientIP"], "timeoutSeconds", 10800);
  }

  if (s.contains("externalTrafficPolicy") && !external)
    return Problem{"externalTrafficPolicy", "may only be set when `type` is 'NodePort' or 'LoadBalancer'"};
  if (external) set_default(s, "externalTrafficPolicy", "Cluster");
  set_default(s, "internalTrafficPolicy", "Cluster");

  for (const char* field : {"loadBalancerIP", "allocateLoadBalancerNodePorts"})
    if (s.contains(field) && !lb) return Problem{field, "may only be used when `type` is 'LoadBalancer'"};
  if (lb) set_default(s, "allocateLoadBalancerNodePorts", true);

  if (s.value("ipFamilyPolicy", "") == "RequireDualStack")
    return Problem{"ipFamilyPolicy",
                   "RequireDualStack cannot be met: lab clusters are IPv4-only (use SingleStack or PreferDualStack)"};
  set_default(s, "ipFamilyPolicy", "SingleStack");
  if (s.contains("ipFamilies") && s["ipFamilies"].size() > 1)
    return Problem{"ipFamilies[1]",
                   "duplicate IP family " + show(s["ipFamilies"][1]) + " (lab clusters are IPv4-only)"};
  if (!s.contains("ipFamilies") || s["ipFamilies"].empty()) s["ipFamilies"] = json::array({"IPv4"});
  return std::nullopt;
}

// ---- the tables ----

using enum Type;

const ObjectSchema kLabelSelector{{
    {.name = "matchLabels", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "matchExpressions", .type = Unsupported, .note = "use matchLabels"},
}};

const ObjectSchema kObjectMeta{{
    {.name = "name", .type = String, .required = true, .check = dns_subdomain},
    {.name = "namespace", .type = String, .check = dns_label},
    {.name = "labels", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "annotations", .type = StringMap, .key_check = label_key},
    {.name = "generateName", .type = Unsupported, .note = "write metadata.name"},
    {.name = "creationTimestamp", .type = Ignored},
}, finish_metadata};

const ObjectSchema kTemplateMeta{{
    {.name = "name", .type = String, .check = dns_subdomain},
    {.name = "labels", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "annotations", .type = StringMap, .key_check = label_key},
    {.name = "creationTimestamp", .type = Ignored},
}};

const ObjectSchema kEnvVar{{
    {.name = "name", .type = String, .required = true, .check = env_name},
    {.name = "value", .type = String},
    {.name = "valueFrom", .type = Unsupported, .note = "write value"},
}};

const ObjectSchema kContainerPort{{
    {.name = "containerPort", .type = Int, .required = true, .check = port_number},
    {.name = "name", .type = String, .check = port_name},
    {.name = "protocol", .type = String, .values = {"TCP", "UDP", "SCTP"}},
    {.name = "hostPort", .type = Int, .check = port_number},
    {.name = "hostIP", .type = String},
}, finish_port};

const ObjectSchema kResources{{
    {.name = "limits", .type = QuantityMap, .key_check = resource_name},
    {.name = "requests", .type = QuantityMap, .key_check = resource_name},
}};

const ObjectSchema kHttpHeader{{
    {.name = "name", .type = String, .required = true},
    {.name = "value", .type = String, .required = true},
}};

const ObjectSchema kHttpGet{{
    {.name = "path", .type = String},
    {.name = "port", .type = IntOrString, .required = true, .check = port_or_name},
    {.name = "host", .type = String},
    {.name = "scheme", .type = String, .values = {"HTTP", "HTTPS"}},
    {.name = "httpHeaders", .type = ObjectList, .object = &kHttpHeader},
}, finish_http_get};

const ObjectSchema kTcpSocket{{
    {.name = "port", .type = IntOrString, .required = true, .check = port_or_name},
    {.name = "host", .type = String},
}};

const ObjectSchema kExec{{
    {.name = "command", .type = StringList},
}};

const ObjectSchema kProbe{{
    {.name = "httpGet", .type = Object, .object = &kHttpGet},
    {.name = "tcpSocket", .type = Object, .object = &kTcpSocket},
    {.name = "exec", .type = Object, .object = &kExec},
    {.name = "grpc", .type = Unsupported, .note = "use httpGet, tcpSocket or exec"},
    {.name = "initialDelaySeconds", .type = Int, .check = non_negative},
    {.name = "periodSeconds", .type = Int, .check = positive},
    {.name = "timeoutSeconds", .type = Int, .check = positive},
    {.name = "successThreshold", .type = Int, .check = positive},
    {.name = "failureThreshold", .type = Int, .check = positive},
}, finish_probe};

const ObjectSchema kContainer{{
    {.name = "name", .type = String, .required = true, .check = dns_label},
    {.name = "image", .type = String, .required = true, .check = image},
    {.name = "command", .type = StringList},
    {.name = "args", .type = StringList},
    {.name = "env", .type = ObjectList, .object = &kEnvVar},
    {.name = "envFrom", .type = Unsupported, .note = "list each variable under env"},
    {.name = "ports", .type = ObjectList, .object = &kContainerPort},
    {.name = "workingDir", .type = String},
    {.name = "imagePullPolicy", .type = String, .values = {"Always", "IfNotPresent", "Never"}},
    {.name = "resources", .type = Object, .object = &kResources},
    {.name = "readinessProbe", .type = Object, .object = &kProbe},
    {.name = "livenessProbe", .type = Object, .object = &kProbe},
    {.name = "startupProbe", .type = Object, .object = &kProbe},
    {.name = "volumeMounts", .type = Unsupported, .note = "lab has no volumes yet"},
    {.name = "stdin", .type = Bool},
    {.name = "tty", .type = Bool},
}, finish_container};

const ObjectSchema kPodSpec{{
    {.name = "containers", .type = ObjectList, .object = &kContainer, .required = true},
    {.name = "initContainers", .type = Unsupported},
    {.name = "restartPolicy", .type = String, .values = {"Always", "OnFailure", "Never"}},
    {.name = "terminationGracePeriodSeconds", .type = Int, .check = non_negative},
    {.name = "nodeName", .type = String, .check = dns_subdomain},
    {.name = "nodeSelector", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "hostname", .type = String, .check = dns_label},
    {.name = "subdomain", .type = String, .check = dns_label},
    {.name = "volumes", .type = Unsupported, .note = "lab has no volumes yet"},
    {.name = "dnsPolicy", .type = String, .values = {"ClusterFirst", "ClusterFirstWithHostNet", "Default"}},
}, finish_pod_spec};

const ObjectSchema kPodTemplate{{
    {.name = "metadata", .type = Object, .object = &kTemplateMeta},
    {.name = "spec", .type = Object, .object = &kPodSpec, .required = true},
}};

const ObjectSchema kRollingUpdate{{
    {.name = "maxSurge", .type = IntOrString, .check = int_or_percent},
    {.name = "maxUnavailable", .type = IntOrString, .check = int_or_percent},
}};

const ObjectSchema kStrategy{{
    {.name = "type", .type = String, .values = {"RollingUpdate", "Recreate"}},
    {.name = "rollingUpdate", .type = Object, .object = &kRollingUpdate},
}, finish_strategy};

const ObjectSchema kDeploymentSpec{{
    {.name = "replicas", .type = Int, .check = non_negative},
    {.name = "selector", .type = Object, .object = &kLabelSelector, .required = true},
    {.name = "template", .type = Object, .object = &kPodTemplate, .required = true},
    {.name = "strategy", .type = Object, .object = &kStrategy},
    {.name = "minReadySeconds", .type = Int, .check = non_negative},
    {.name = "revisionHistoryLimit", .type = Int, .check = non_negative},
    {.name = "progressDeadlineSeconds", .type = Int, .check = positive},
    {.name = "paused", .type = Bool},
}, finish_deployment_spec};

// Service: the fields of core/v1 ServiceSpec that lab's proxy implements.
const ObjectSchema kServiceMeta{{
    {.name = "name", .type = String, .required = true, .check = dns1035_label},
    {.name = "namespace", .type = String, .check = dns_label},
    {.name = "labels", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "annotations", .type = StringMap, .key_check = label_key},
    {.name = "generateName", .type = Unsupported, .note = "write metadata.name"},
    {.name = "creationTimestamp", .type = Ignored},
}, finish_metadata};

const ObjectSchema kServicePort{{
    {.name = "name", .type = String, .check = dns_label},
    {.name = "protocol", .type = String, .values = {"TCP", "UDP", "SCTP"}},
    {.name = "port", .type = Int, .required = true, .check = port_number},
    {.name = "targetPort", .type = IntOrString, .check = port_or_name},
    {.name = "nodePort", .type = Int, .check = node_port},
    {.name = "appProtocol", .type = String, .check = app_protocol},
}, finish_service_port};

const ObjectSchema kClientIpConfig{{
    {.name = "timeoutSeconds", .type = Int, .check = affinity_timeout},
}};

const ObjectSchema kSessionAffinityConfig{{
    {.name = "clientIP", .type = Object, .object = &kClientIpConfig},
}};

const ObjectSchema kServiceSpec{{
    {.name = "type", .type = String, .check = service_type},
    {.name = "selector", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "ports", .type = ObjectList, .object = &kServicePort, .required = true},
    {.name = "clusterIP", .type = String, .check = cluster_ip},
    {.name = "clusterIPs", .type = StringList, .check = cluster_ip},
    {.name = "sessionAffinity", .type = String, .values = {"None", "ClientIP"}},
    {.name = "sessionAffinityConfig", .type = Object, .object = &kSessionAffinityConfig},
    {.name = "externalTrafficPolicy", .type = String, .values = {"Cluster", "Local"}},
    {.name = "internalTrafficPolicy", .type = String, .values = {"Cluster", "Local"}},
    {.name = "ipFamilies", .type = StringList, .check = ip_family},
    {.name = "ipFamilyPolicy", .type = String, .values = {"SingleStack", "PreferDualStack", "RequireDualStack"}},
    {.name = "publishNotReadyAddresses", .type = Bool},
    {.name = "loadBalancerIP", .type = String, .check = ipv4_address},  // deprecated in Kubernetes 1.24, still honoured
    {.name = "allocateLoadBalancerNodePorts", .type = Bool},
    {.name = "externalName", .type = Unsupported, .note = "ExternalName Services are not supported yet"},
    {.name = "externalIPs", .type = Unsupported, .note = "use type NodePort or LoadBalancer"},
    {.name = "loadBalancerSourceRanges", .type = Unsupported},
    {.name = "loadBalancerClass", .type = Unsupported, .note = "lab has one load balancer implementation"},
    {.name = "healthCheckNodePort", .type = Unsupported, .note = "lab allocates it"},
    {.name = "trafficDistribution", .type = Unsupported},
}, finish_service_spec};

const ObjectSchema kLabMeta{{
    {.name = "name", .type = String, .check = lab_name},
}};

const ObjectSchema kLabSpec{{
    {.name = "nodes", .type = IntOrStringList, .check = node_count_or_name},
    {.name = "podCIDR", .type = String, .check = cidr},
    {.name = "serviceCIDR", .type = String, .check = cidr},
    {.name = "nodeCIDR", .type = String, .check = cidr},
    {.name = "loadBalancerPool", .type = String, .check = ip_range},
}, finish_lab_spec};

}  // namespace

const ObjectSchema kLabDocument{{
    {.name = "apiVersion", .type = String},
    {.name = "kind", .type = String},
    {.name = "metadata", .type = Object, .object = &kLabMeta},
    {.name = "spec", .type = Object, .object = &kLabSpec},
}, finish_lab_document};

// A Kubernetes document: apiVersion, kind, metadata and spec, with status accepted and dropped.
static ObjectSchema document(const ObjectSchema& meta, const ObjectSchema& spec) {
  return ObjectSchema{{
      {.name = "apiVersion", .type = String, .required = true},
      {.name = "kind", .type = String, .required = true},
      {.name = "metadata", .type = Object, .object = &meta, .required = true},
      {.name = "spec", .type = Object, .object = &spec, .required = true},
      {.name = "status", .type = Ignored},
  }};
}

const ObjectSchema kPodDocument = document(kObjectMeta, kPodSpec);
const ObjectSchema kDeploymentDocument = document(kObjectMeta, kDeploymentSpec);
const ObjectSchema kServiceDocument = document(kServiceMeta, kServiceSpec);

}  // namespace schema
}  // namespace lab::api
