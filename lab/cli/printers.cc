// kubectl's table printers (pods, nodes, workloads, services, slices), AGE, -o json, -o name and Go's %v.
// Row logic follows kubectl's internalversion printers so STATUS/READY/RESTARTS read the same.
#include "lab/cli/printers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <string_view>

namespace lab::cli {
namespace {

const Json* get(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string str(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = get(j, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

long long num(const Json& j, std::initializer_list<const char*> path, long long def = 0) {
  const Json* v = get(j, path);
  return v && v->is_number() ? v->get<long long>() : def;
}

const Json& arr(const Json& j, std::initializer_list<const char*> path) {
  static const Json empty = Json::array();
  const Json* v = get(j, path);
  return v && v->is_array() ? *v : empty;
}

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)", the only shape metav1.Time serializes to.
std::optional<Clock::time_point> parse_rfc3339(std::string_view s) {
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, Y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' ||
      !digits(8, 2, D) || (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' ||
      !digits(14, 2, m) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{Y}, std::chrono::month(M), std::chrono::day(D)};
  if (!ymd.ok() || h > 23 || m > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  std::chrono::nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    long long scale = 100'000'000, ns = 0;
    size_t start = ++pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10) ns += (s[pos] - '0') * scale;
    if (pos == start) return std::nullopt;
    frac = std::chrono::nanoseconds(ns);
  }
  std::chrono::minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om))
      return std::nullopt;
    offset = std::chrono::minutes((s[pos] == '-' ? -1 : 1) * (oh * 60 + om));
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(m) +
            std::chrono::seconds(sec) + frac - offset;
  return std::chrono::time_point_cast<Clock::duration>(tp);
}

std::string age(const Json& obj, Clock::time_point now) {
  return age_of(str(obj, {"metadata", "creationTimestamp"}), now);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

std::string or_none(std::string s) { return s.empty() ? "<none>" : s; }

// Shortest digits of v that read back exactly, as (digits, decimal exponent of the first digit).
std::pair<std::string, int> shortest_digits(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  (void)ec;
  std::string_view s(buf, end - buf);
  size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e))
    if (c >= '0' && c <= '9') digits += c;
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  return {digits, exp};
}

// strconv.FormatFloat(v, 'g', -1, 64), which is also fmt's %v: with shortest precision Go picks
// the exponent form when the exponent is < -4 or >= 6 (fmt.Print(1e6) gives "1e+06").
std::string go_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  auto [digits, exp] = shortest_digits(std::fabs(v));
  std::string out = std::signbit(v) ? "-" : "";
  if (exp < -4 || exp >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::string e = std::to_string(std::abs(exp));
    return out + "e" + (exp < 0 ? "-" : "+") + (e.size() < 2 ? "0" : "") + e;
  }
  int dp = exp + 1;
  if (dp <= 0) return out + "0." + std::string(-dp, '0') + digits;
  if (dp >= static_cast<int>(digits.size())) return out + digits + std::string(dp - digits.size(), '0');
  return out + digits.substr(0, dp) + "." + digits.substr(dp);
}

// `last` is Clock::time_point::min() when no container has a last termination time.
std::string restarts_cell(long long restarts, Clock::time_point last, Clock::time_point now) {
  if (restarts == 0 || last == Clock::time_point::min()) return std::to_string(restarts);
  auto d = std::chrono::duration_cast<std::chrono::seconds>(now - last);
  return std::to_string(restarts) + " (" + human_duration(d) + " ago)";
}

bool condition_true(const Json& obj, const char* type) {
  for (const auto& c : arr(obj, {"status", "conditions"}))
    if (str(c, {"type"}) == type) return str(c, {"status"}) == "True";
  return false;
}

// kubectl's "Init:..." / waiting reason / "ExitCode:N" precedence, from printPod.
std::vector<std::string> pod_row(const Json& pod, bool wide, Clock::time_point now) {
  std::string phase = str(pod, {"status", "phase"});
  std::string reason = str(pod, {"status", "reason"}).empty() ? phase : str(pod, {"status", "reason"});
  long long restarts = 0;
  Clock::time_point last_restart = Clock::time_point::min();
  auto note_restarts = [&](const Json& cs) {
    restarts += num(cs, {"restartCount"});
    if (auto t = parse_rfc3339(str(cs, {"lastState", "terminated", "finishedAt"})))
      last_restart = std::max(last_restart, *t);
  };
  auto exit_reason = [](const Json& term) {
    long long sig = num(term, {"signal"});
    return sig ? "Signal:" + std::to_string(sig) : "ExitCode:" + std::to_string(num(term, {"exitCode"}));
  };

  bool initializing = false;
  const Json& inits = arr(pod, {"status", "initContainerStatuses"});
  for (size_t i = 0; i < inits.size(); ++i) {
    const Json& c = inits[i];
    note_restarts(c);
    const Json* term = get(c, {"state", "terminated"});
    std::string waiting = str(c, {"state", "waiting", "reason"});
    if (term && num(*term, {"exitCode"}) == 0) continue;
    if (term)
      reason = "Init:" + (str(*term, {"reason"}).empty() ? exit_reason(*term) : str(*term, {"reason"}));
    else if (!waiting.empty() && waiting != "PodInitializing")
      reason = "Init:" + waiting;
    else
      reason = "Init:" + std::to_string(i) + "/" + std::to_string(arr(pod, {"spec", "initContainers"}).size());
    initializing = true;
    break;
  }

  int ready = 0;
  if (!initializing || condition_true(pod, "Initialized")) {
    // Plain init containers' restarts stop counting once the pod is initialized, as in kubectl.
    restarts = 0;
    last_restart = Clock::time_point::min();
    bool has_running = false;
    const Json& statuses = arr(pod, {"status", "containerStatuses"});
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {  // the first container wins
      const Json& c = *it;
      note_restarts(c);
      const Json* term = get(c, {"state", "terminated"});
      std::string waiting = str(c, {"state", "waiting", "reason"});
      if (!waiting.empty()) {
        reason = waiting;
      } else if (term) {
        reason = str(*term, {"reason"}).empty() ? exit_reason(*term) : str(*term, {"reason"});
      } else if (get(c, {"ready"}) && c["ready"] == true && get(c, {"state", "running"})) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) reason = condition_true(pod, "Ready") ? "Running" : "NotReady";
  }

  bool deleting = get(pod, {"metadata", "deletionTimestamp"}) != nullptr;
  if (deleting && str(pod, {"status", "reason"}) == "NodeLost")
    reason = "Unknown";
  else if (deleting && phase != "Succeeded" && phase != "Failed")
    reason = "Terminating";

  std::vector<std::string> row{str(pod, {"metadata", "name"}),
                               std::to_string(ready) + "/" + std::to_string(arr(pod, {"spec", "containers"}).size()),
                               reason, restarts_cell(restarts, last_restart, now), age(pod, now)};
  if (wide) {
    const Json& ips = arr(pod, {"status", "podIPs"});
    std::string ip = ips.empty() ? str(pod, {"status", "podIP"}) : str(ips[0], {"ip"});
    const Json& gates = arr(pod, {"spec", "readinessGates"});
    std::string gates_cell = "<none>";
    if (!gates.empty()) {
      size_t passed = 0;
      for (const auto& g : gates)
        if (condition_true(pod, str(g, {"conditionType"}).c_str())) ++passed;
      gates_cell = std::to_string(passed) + "/" + std::to_string(gates.size());
    }
    row.insert(row.end(), {or_none(ip), or_none(str(pod, {"spec", "nodeName"})),
                           or_none(str(pod, {"status", "nominatedNodeName"})), gates_cell});
  }
  return row;
}

std::string node_address(const Json& node, const char* type) {
  for (const auto& a : arr(node, {"status", "addresses"}))
    if (str(a, {"type"}) == type) return str(a, {"address"});
  return "<none>";
}

std::vector<std::string> node_row(const Json& node, bool wide, Clock::time_point now) {
  std::string status = "Unknown";  // no Ready condition at all, as kubectl says
  for (const auto& c : arr(node, {"status", "conditions"}))
    if (str(c, {"type"}) == "Ready") status = str(c, {"status"}) == "True" ? "Ready" : "NotReady";
  if (const Json* u = get(node, {"spec", "unschedulable"}); u && *u == true) status += ",SchedulingDisabled";

  std::set<std::string> roles;
  if (const Json* labels = get(node, {"metadata", "labels"}); labels && labels->is_object()) {
    constexpr std::string_view prefix = "node-role.kubernetes.io/";
    for (const auto& [k, v] : labels->items()) {
      if (k.starts_with(prefix) && k.size() > prefix.size()) roles.insert(k.substr(prefix.size()));
      if (k == "kubernetes.io/role" && v.is_string() && !v.get<std::string>().empty())
        roles.insert(v.get<std::string>());
    }
  }
  std::vector<std::string> row{str(node, {"metadata", "name"}), status,
                               or_none(join({roles.begin(), roles.end()}, ",")), age(node, now),
                               str(node, {"status", "nodeInfo", "kubeletVersion"})};
  if (wide) {
    auto info = [&](const char* key) {
      std::string v = str(node, {"status", "nodeInfo", key});
      return v.empty() ? "<unknown>" : v;
    };
    row.insert(row.end(), {node_address(node, "InternalIP"), node_address(node, "ExternalIP"), info("osImage"),
                           info("kernelVersion"), info("containerRuntimeVersion")});
  }
  return row;
}

// metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key.
std::string selector_string(const Json& sel) {
  std::vector<std::pair<std::string, std::string>> reqs;
  if (const Json* ml = get(sel, {"matchLabels"}); ml && ml->is_object())
    for (const auto& [k, v] : ml->items())
      reqs.emplace_back(k, k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  for (const auto& e : arr(sel, {"matchExpressions"})) {
    std::string key = str(e, {"key"}), op = str(e, {"operator"});
    std::vector<std::string> vals;
    for (const auto& v : arr(e, {"values"}))
      if (v.is_string()) vals.push_back(v.get<std::string>());
    std::sort(vals.begin(), vals.end());
    if (op == "In") reqs.emplace_back(key, key + " in (" + join(vals, ",") + ")");
    else if (op == "NotIn") reqs.emplace_back(key, key + " notin (" + join(vals, ",") + ")");
    else if (op == "Exists") reqs.emplace_back(key, key);
    else if (op == "DoesNotExist") reqs.emplace_back(key, "!" + key);
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (auto& r : reqs) parts.push_back(r.second);
  return join(parts, ",");
}

std::vector<std::string> deployment_row(const Json& d, bool wide, Clock::time_point now) {
  // spec.replicas is defaulted to 1 by the API; an object that omits it means 1.
  std::vector<std::string> row{
      str(d, {"metadata", "name"}),
      std::to_string(num(d, {"status", "readyReplicas"})) + "/" + std::to_string(num(d, {"spec", "replicas"}, 1)),
      std::to_string(num(d, {"status", "updatedReplicas"})), std::to_string(num(d, {"status", "availableReplicas"})),
      age(d, now)};
  if (wide) {
    std::vector<std::string> names, images;
    for (const auto& c : arr(d, {"spec", "template", "spec", "containers"})) {
      names.push_back(str(c, {"name"}));
      images.push_back(str(c, {"image"}));
    }
    const Json* sel = get(d, {"spec", "selector"});
    row.insert(row.end(), {join(names, ","), join(images, ","), sel ? selector_string(*sel) : ""});
  }
  return row;
}

std::vector<std::string> replicaset_row(const Json& rs, bool wide, Clock::time_point now) {
  std::vector<std::string> row{str(rs, {"metadata", "name"}), std::to_string(num(rs, {"spec", "replicas"}, 1)),
                               std::to_string(num(rs, {"status", "replicas"})),
                               std::to_string(num(rs, {"status", "readyReplicas"})), age(rs, now)};
  if (wide) {
    std::vector<std::string> names, images;
    for (const auto& c : arr(rs, {"spec", "template", "spec", "containers"})) {
      names.push_back(str(c, {"name"}));
      images.push_back(str(c, {"image"}));
    }
    // metav1.FormatLabelSelector, unlike deployments' selector.String(), says <none> for nothing.
    const Json* sel = get(rs, {"spec", "selector"});
    row.insert(row.end(), {join(names, ","), join(images, ","), or_none(sel ? selector_string(*sel) : "")});
  }
  return row;
}

// The API server always sets these; objects written by hand may not, and then read as defaulted.
std::string protocol_of(const Json& port) {
  std::string p = str(port, {"protocol"});
  return p.empty() ? "TCP" : p;
}

// loadBalancerStatusStringer: ingress IPs (else hostnames) as a sorted set; outside -o wide the
// cell is cut to 16 bytes ("172.18.255.20..."), so two addresses never fit.
std::string load_balancer_ips(const Json& svc, bool wide) {
  std::set<std::string> ips;
  for (const auto& ingress : arr(svc, {"status", "loadBalancer", "ingress"})) {
    if (!str(ingress, {"ip"}).empty()) ips.insert(str(ingress, {"ip"}));
    else if (!str(ingress, {"hostname"}).empty()) ips.insert(str(ingress, {"hostname"}));
  }
  std::string out = join({ips.begin(), ips.end()}, ",");
  constexpr size_t kLoadBalancerWidth = 16;
  if (!wide && out.size() > kLoadBalancerWidth) out = out.substr(0, kLoadBalancerWidth - 3) + "...";
  return out;
}

std::vector<std::string> strings_of(const Json& list) {
  std::vector<std::string> out;
  for (const auto& v : list)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// getServiceExternalIP.
std::string service_external_ip(const Json& svc, bool wide) {
  const std::string type = str(svc, {"spec", "type"}).empty() ? "ClusterIP" : str(svc, {"spec", "type"});
  std::vector<std::string> external = strings_of(arr(svc, {"spec", "externalIPs"}));
  if (type == "ClusterIP" || type == "NodePort") return external.empty() ? "<none>" : join(external, ",");
  if (type == "ExternalName") return str(svc, {"spec", "externalName"});
  if (type != "LoadBalancer") return "<unknown>";
  std::string lb = load_balancer_ips(svc, wide);
  if (!external.empty()) return lb.empty() ? join(external, ",") : lb + "," + join(external, ",");
  return lb.empty() ? "<pending>" : lb;
}

// makePortString: "80/TCP", or "8080:31704/TCP" when a node port is allocated.
std::string service_ports(const Json& svc) {
  std::vector<std::string> parts;
  for (const auto& p : arr(svc, {"spec", "ports"})) {
    std::string port = std::to_string(num(p, {"port"}));
    if (num(p, {"nodePort"}) > 0) port += ":" + std::to_string(num(p, {"nodePort"}));
    parts.push_back(port + "/" + protocol_of(p));
  }
  return or_none(join(parts, ","));
}

std::vector<std::string> service_row(const Json& svc, bool wide, Clock::time_point now) {
  // CLUSTER-IP is clusterIPs[0] ("None" for a headless Service); clusterIP stands in for objects
  // that carry only the older field.
  const Json& ips = arr(svc, {"spec", "clusterIPs"});
  std::string cluster_ip =
      !ips.empty() && ips[0].is_string() ? ips[0].get<std::string>() : str(svc, {"spec", "clusterIP"});
  std::vector<std::string> row{str(svc, {"metadata", "name"}),
                               str(svc, {"spec", "type"}).empty() ? "ClusterIP" : str(svc, {"spec", "type"}),
                               or_none(cluster_ip), service_external_ip(svc, wide), service_ports(svc), age(svc, now)};
  if (wide) {
    const Json* selector = get(svc, {"spec", "selector"});
    row.push_back(format_labels(selector ? *selector : Json::object()));
  }
  return row;
}

// listWithMoreString: at most three items, then "+ N more...".
std::string list_with_more(const std::vector<std::string>& list, bool more, size_t count, size_t max) {
  std::string out = join(list, ",");
  if (more) return out + " + " + std::to_string(count - max) + " more...";
  return out.empty() ? "<unset>" : out;
}

// printEndpointSlice, with formatDiscoveryPorts and formatDiscoveryEndpoints.
std::vector<std::string> endpointslice_row(const Json& slice, Clock::time_point now) {
  constexpr size_t kMax = 3;
  std::vector<std::string> ports, addresses;
  bool more_ports = false, more_addresses = false;
  size_t port_count = 0, address_count = 0;
  for (const auto& p : arr(slice, {"ports"})) {
    if (ports.size() < kMax) {
      const Json* number = get(p, {"port"});
      ports.push_back(number && number->is_number() ? std::to_string(number->get<long long>())
                      : get(p, {"name"})          ? str(p, {"name"})
                                                  : "*");
    } else {
      more_ports = true;
    }
    ++port_count;
  }
  for (const auto& e : arr(slice, {"endpoints"}))
    for (const auto& a : arr(e, {"addresses"})) {
      if (addresses.size() < kMax) addresses.push_back(a.is_string() ? a.get<std::string>() : "");
      else more_addresses = true;
      ++address_count;
    }
  return {str(slice, {"metadata", "name"}), str(slice, {"addressType"}),
          list_with_more(ports, more_ports, port_count, kMax),
          list_with_more(addresses, more_addresses, address_count, kMax), age(slice, now)};
}

// strings.TrimSpace.
std::string trim_space(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t\r\n\v\f") - b + 1);
}

std::string first_non_empty(const std::string& a, const std::string& b) { return a.empty() ? b : a; }

// printEvent: eventTime stands in for a missing firstTimestamp, and both for a missing lastTimestamp;
// an events.k8s.io series overrides the last time and count.
std::vector<std::string> event_row(const Json& e, bool wide, Clock::time_point now) {
  std::string first = str(e, {"firstTimestamp"}).empty() ? age_of(str(e, {"eventTime"}), now)
                                                         : age_of(str(e, {"firstTimestamp"}), now);
  std::string last = str(e, {"lastTimestamp"}).empty() ? first : age_of(str(e, {"lastTimestamp"}), now);
  long long count = num(e, {"count"});
  if (get(e, {"series"})) {
    last = age_of(str(e, {"series", "lastObservedTime"}), now);
    count = num(e, {"series", "count"});
  } else if (count == 0) {
    count = 1;  // singleton events of the new API carry no count
  }
  std::string kind = str(e, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string name = str(e, {"involvedObject", "name"});
  std::string object = name.empty() ? kind : kind + "/" + name;
  std::string message = trim_space(str(e, {"message"}));
  if (!wide) return {last, str(e, {"type"}), str(e, {"reason"}), object, message};
  std::string component = first_non_empty(str(e, {"source", "component"}), str(e, {"reportingController"}));
  std::string instance = first_non_empty(str(e, {"source", "host"}), str(e, {"reportingInstance"}));
  return {last,    str(e, {"type"}), str(e, {"reason"}), object, str(e, {"involvedObject", "fieldPath"}),
          instance.empty() ? component : component + ", " + instance,
          message, first, std::to_string(count), str(e, {"metadata", "name"})};
}

std::string table(const Json& list, std::vector<std::string> header, bool headers,
                  const std::function<std::vector<std::string>(const Json&)>& row_of) {
  const Json& items = arr(list, {"items"});
  if (items.empty()) return "";  // kubectl prints "No resources found" on stderr instead
  std::vector<std::vector<std::string>> rows;
  if (headers) rows.push_back(std::move(header));
  for (const auto& item : items) rows.push_back(row_of(item));
  return format_table(rows);
}

size_t display_width(std::string_view s) {
  // tabwriter counts runes, not bytes.
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

void go_format_to(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::null: out += "<nil>"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<long long>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<unsigned long long>()); break;
    case Json::value_t::number_float: out += go_float(v.get<double>()); break;
    case Json::value_t::string: out += v.get_ref<const std::string&>(); break;
    case Json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ' ';
        go_format_to(v[i], out);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += "map[";
      bool first = true;
      for (const auto& [k, item] : v.items()) {  // nlohmann keeps keys sorted, as fmt sorts map keys
        if (!first) out += ' ';
        first = false;
        out += k + ":";
        go_format_to(item, out);
      }
      out += ']';
      break;
    }
    default: break;
  }
}


// encoding/json's string escaping: HTML-safe, and U+2028/U+2029 escaped for JavaScript.
void go_json_string(const std::string& s, std::string& out) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<': case '>': case '&': out += std::string("\\u00") + hex[c >> 4] + hex[c & 0xF]; break;
      default:
        if (c < 0x20) {
          out += std::string("\\u00") + hex[c >> 4] + hex[c & 0xF];
        } else if (c == 0xE2 && i + 2 < s.size() && s[i + 1] == '\x80' &&
                   (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
          out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// encoding/json's float64: %f-like, exponent form outside [1e-6, 1e21) with "e-7" not "e-07".
std::string go_json_float(double v) {
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::string s = go_float(v);  // exponent form already for these magnitudes
    size_t e = s.find("e-0");
    if (e != std::string::npos && e + 4 == s.size()) s.erase(e + 2, 1);
    return s;
  }
  auto [digits, exp] = shortest_digits(a);
  std::string out = std::signbit(v) ? "-" : "";
  int dp = exp + 1;
  if (dp <= 0) return out + "0." + std::string(-dp, '0') + digits;
  if (dp >= static_cast<int>(digits.size())) return out + digits + std::string(dp - digits.size(), '0');
  return out + digits.substr(0, dp) + "." + digits.substr(dp);
}

// json.MarshalIndent(v, "", spaces) for indent >= 0, json.Marshal for indent < 0.
void go_json_to(const Json& v, int indent, int depth, std::string& out) {
  auto newline = [&](int d) {
    if (indent >= 0) out += "\n" + std::string(static_cast<size_t>(indent) * d, ' ');
  };
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<long long>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<unsigned long long>()); break;
    case Json::value_t::number_float: out += go_json_float(v.get<double>()); break;
    case Json::value_t::string: go_json_string(v.get_ref<const std::string&>(), out); break;
    case Json::value_t::array:
    case Json::value_t::object: {
      bool obj = v.is_object();
      out += obj ? '{' : '[';
      if (v.empty()) {
        out += obj ? '}' : ']';
        break;
      }
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        if (obj) {
          go_json_string(it.key(), out);
          out += indent >= 0 ? ": " : ":";
        }
        go_json_to(*it, indent, depth + 1, out);
      }
      newline(depth);
      out += obj ? '}' : ']';
      break;
    }
    default: break;
  }
}

}  // namespace

std::string human_duration(std::chrono::seconds d) {
  long long seconds = d.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  long long minutes = seconds / 60;
  if (minutes < 10) {
    long long s = seconds % 60;
    return std::to_string(minutes) + "m" + (s ? std::to_string(s) + "s" : "");
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  long long hours = seconds / 3600;
  if (hours < 8) {
    long long m = minutes % 60;
    return std::to_string(hours) + "h" + (m ? std::to_string(m) + "m" : "");
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    long long h = hours % 24;
    return std::to_string(hours / 24) + "d" + (h ? std::to_string(h) + "h" : "");
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    long long dy = hours / 24 % 365;
    return std::to_string(hours / 24 / 365) + "y" + (dy ? std::to_string(dy) + "d" : "");
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::string age_of(const std::string& rfc3339, Clock::time_point now) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], display_width(row[i]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      // kubectl's tabwriter: padding 3, minimum cell width 6.
      if (i + 1 < row.size()) line.append(std::max<size_t>(width[i] + 3, 6) - display_width(row[i]), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string pods_table(const Json& pod_list, bool wide, bool headers, Clock::time_point now) {
  std::vector<std::string> header{"NAME", "READY", "STATUS", "RESTARTS", "AGE"};
  if (wide) header.insert(header.end(), {"IP", "NODE", "NOMINATED NODE", "READINESS GATES"});
  return table(pod_list, header, headers, [&](const Json& p) { return pod_row(p, wide, now); });
}

std::string nodes_table(const Json& node_list, bool wide, bool headers, Clock::time_point now) {
  std::vector<std::string> header{"NAME", "STATUS", "ROLES", "AGE", "VERSION"};
  if (wide)
    header.insert(header.end(), {"INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"});
  return table(node_list, header, headers, [&](const Json& n) { return node_row(n, wide, now); });
}

std::string deployments_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  std::vector<std::string> header{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  if (wide) header.insert(header.end(), {"CONTAINERS", "IMAGES", "SELECTOR"});
  return table(list, header, headers, [&](const Json& d) { return deployment_row(d, wide, now); });
}

std::string replicasets_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  std::vector<std::string> header{"NAME", "DESIRED", "CURRENT", "READY", "AGE"};
  if (wide) header.insert(header.end(), {"CONTAINERS", "IMAGES", "SELECTOR"});
  return table(list, header, headers, [&](const Json& rs) { return replicaset_row(rs, wide, now); });
}

std::string services_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  std::vector<std::string> header{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"};
  if (wide) header.push_back("SELECTOR");
  return table(list, header, headers, [&](const Json& svc) { return service_row(svc, wide, now); });
}

std::string endpointslices_table(const Json& list, bool /*wide: kubectl adds no columns*/, bool headers,
                                 Clock::time_point now) {
  return table(list, {"NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"}, headers,
               [&](const Json& slice) { return endpointslice_row(slice, now); });
}

std::string format_labels(const Json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())  // nlohmann keeps keys sorted, as FormatLabels sorts them
      parts.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  return or_none(join(parts, ","));
}

std::string events_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  std::vector<std::string> header{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
  if (wide)
    header = {"LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME"};
  return table(list, header, headers, [&](const Json& e) { return event_row(e, wide, now); });
}

// DescribeEvents' interval: eventTime (else firstTimestamp) is the first sighting.
std::string event_interval(const Json& e, Clock::time_point now) {
  std::string first = str(e, {"eventTime"}).empty() ? age_of(str(e, {"firstTimestamp"}), now)
                                                    : age_of(str(e, {"eventTime"}), now);
  if (get(e, {"series"}))
    return age_of(str(e, {"series", "lastObservedTime"}), now) + " (x" +
           std::to_string(num(e, {"series", "count"})) + " over " + first + ")";
  if (num(e, {"count"}) > 1)
    return age_of(str(e, {"lastTimestamp"}), now) + " (x" + std::to_string(num(e, {"count"})) + " over " + first +
           ")";
  return first;
}

std::optional<Clock::time_point> parse_time(const std::string& rfc3339) { return parse_rfc3339(rfc3339); }

std::string label_selector_string(const Json& selector) { return selector_string(selector); }

std::string no_resources_message(const std::string& ns) {
  if (ns.empty()) return "No resources found\n";
  return "No resources found in " + ns + " namespace.\n";
}

std::string go_json(const Json& j, int indent) {
  std::string out;
  go_json_to(j, indent, 0, out);
  return out;
}

std::string to_json_text(const Json& j) { return go_json(j, 4) + "\n"; }

std::string names(const Json& list) {
  auto line = [](const Json& obj, const std::string& kind, const std::string& api_version) {
    std::string k = str(obj, {"kind"}).empty() ? kind : str(obj, {"kind"});
    std::string av = str(obj, {"apiVersion"}).empty() ? api_version : str(obj, {"apiVersion"});
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t slash = av.find('/');
    std::string group = slash == std::string::npos ? "" : av.substr(0, slash);
    std::string name = str(obj, {"metadata", "name"});
    return k + (group.empty() ? "" : "." + group) + "/" + (name.empty() ? "<unknown>" : name) + "\n";
  };
  const Json* items = get(list, {"items"});
  if (!items || !items->is_array()) return line(list, "", "");
  std::string list_kind = str(list, {"kind"});
  if (list_kind.ends_with("List")) list_kind.resize(list_kind.size() - 4);
  std::string out;
  for (const auto& item : *items) out += line(item, list_kind, str(list, {"apiVersion"}));
  return out;
}

std::string go_format(const Json& v) {
  std::string out;
  go_format_to(v, out);
  return out;
}

}  // namespace lab::cli
