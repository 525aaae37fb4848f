// kubectl's table printers (pods, nodes, workloads, services, slices, events): the columns of each
// kind. Row logic follows kubectl's internalversion printers so STATUS/READY/RESTARTS read the same.
// The formatting they share (ages, selectors, the table layout) is in printers_format.cc; Go's value
// printing (-o json, -o name, %v) in printers_json.cc.
#include "lab/cli/printers.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>

#include "lab/cli/printers_util.h"

namespace lab::cli {

using namespace printers_detail;

namespace {

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
    if (auto t = parse_time(str(cs, {"lastState", "terminated", "finishedAt"})))
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
    row.insert(row.end(), {join(names, ","), join(images, ","), sel ? label_selector_string(*sel) : ""});
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
    row.insert(row.end(), {join(names, ","), join(images, ","), or_none(sel ? label_selector_string(*sel) : "")});
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

}  // namespace

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

}  // namespace lab::cli
