// Table columns and cells of services, endpointslices, endpoints, events, secrets, configmaps,
// serviceaccounts and namespaces,
// as Kubernetes' printers (pkg/printers/internalversion) make them.
#include <algorithm>
#include <cctype>
#include <set>

#include "lab/api/table.h"
#include "lab/api/table_util.h"

namespace lab::api {

using namespace table_detail;

namespace {

// The API server always sets these; objects written by hand may not, and then read as defaulted.
std::string protocol_of(const Json& port) {
  std::string p = str(port, {"protocol"});
  return p.empty() ? "TCP" : p;
}

// loadBalancerStatusStringer: ingress IPs (else hostnames) as a sorted set; outside wide output
// the cell is cut to 16 bytes ("172.18.255.20..."), so two addresses never fit.
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

Json service_cells(const Json& svc, bool wide, Clock::time_point now) {
  // CLUSTER-IP is clusterIPs[0] ("None" for a headless Service); clusterIP stands in for objects
  // that carry only the older field.
  const Json& ips = arr(svc, {"spec", "clusterIPs"});
  std::string cluster_ip =
      !ips.empty() && ips[0].is_string() ? ips[0].get<std::string>() : str(svc, {"spec", "clusterIP"});
  Json row = Json::array({str(svc, {"metadata", "name"}),
                          str(svc, {"spec", "type"}).empty() ? "ClusterIP" : str(svc, {"spec", "type"}),
                          or_none(cluster_ip), service_external_ip(svc, wide), service_ports(svc), age(svc, now)});
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
Json endpointslice_cells(const Json& slice, bool, Clock::time_point now) {
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
  return Json::array({str(slice, {"metadata", "name"}), str(slice, {"addressType"}),
                      list_with_more(ports, more_ports, port_count, kMax),
                      list_with_more(addresses, more_addresses, address_count, kMax), age(slice, now)});
}

// strings.TrimSpace.
std::string trim_space(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t\r\n\v\f") - b + 1);
}

std::string first_non_empty(const std::string& a, const std::string& b) { return a.empty() ? b : a; }

// printEvent: eventTime stands in for a missing firstTimestamp, and both for a missing lastTimestamp;
// an events.k8s.io series overrides the last time and count.
Json event_cells(const Json& e, bool wide, Clock::time_point now) {
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
  if (!wide) return Json::array({last, str(e, {"type"}), str(e, {"reason"}), object, message});
  std::string component = first_non_empty(str(e, {"source", "component"}), str(e, {"reportingController"}));
  std::string instance = first_non_empty(str(e, {"source", "host"}), str(e, {"reportingInstance"}));
  return Json::array({last, str(e, {"type"}), str(e, {"reason"}), object, str(e, {"involvedObject", "fieldPath"}),
                      instance.empty() ? component : component + ", " + instance, message, first, count,
                      str(e, {"metadata", "name"})});
}

size_t keys(const Json& o, const char* field) {
  const Json* v = get(o, {field});
  return v && v->is_object() ? v->size() : 0;
}

Json secret_cells(const Json& s, bool, Clock::time_point now) {
  return Json::array({str(s, {"metadata", "name"}), str(s, {"type"}), keys(s, "data"), age(s, now)});
}

Json configmap_cells(const Json& c, bool, Clock::time_point now) {
  return Json::array({str(c, {"metadata", "name"}), keys(c, "data") + keys(c, "binaryData"), age(c, now)});
}

// formatEndpoints: ip:port for every address and port of every subset (bare IPs for a subset
// without ports), three then "+ N more..."; <none> without subsets.
Json endpoints_cells(const Json& ep, bool, Clock::time_point now) {
  const Json& subsets = arr(ep, {"subsets"});
  std::string text = "<none>";
  if (!subsets.empty()) {
    constexpr size_t kMax = 3;
    std::vector<std::string> list;
    bool more = false;
    size_t count = 0;
    auto add = [&](const std::string& s) {
      if (list.size() == kMax) more = true;
      else list.push_back(s);
    };
    for (const auto& ss : subsets) {
      const Json& addresses = arr(ss, {"addresses"});
      const Json& ports = arr(ss, {"ports"});
      if (ports.empty()) {
        count += addresses.size();
        for (const auto& a : addresses) add(str(a, {"ip"}));
        continue;
      }
      for (const auto& port : ports) {
        count += addresses.size();
        for (const auto& a : addresses) {
          // net.JoinHostPort brackets an IPv6 address.
          std::string ip = str(a, {"ip"});
          if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
          add(ip + ":" + std::to_string(num(port, {"port"})));
        }
      }
    }
    text = join(list, ",");
    if (more) text += " + " + std::to_string(count - kMax) + " more...";
  }
  return Json::array({str(ep, {"metadata", "name"}), text, age(ep, now)});
}

Json serviceaccount_cells(const Json& sa, bool, Clock::time_point now) {
  return Json::array({str(sa, {"metadata", "name"}), arr(sa, {"secrets"}).size(), age(sa, now)});
}

Json lease_cells(const Json& lease, bool, Clock::time_point now) {
  return Json::array({str(lease, {"metadata", "name"}), str(lease, {"spec", "holderIdentity"}), age(lease, now)});
}

Json namespace_cells(const Json& ns, bool, Clock::time_point now) {
  return Json::array({str(ns, {"metadata", "name"}), str(ns, {"status", "phase"}), age(ns, now)});
}

const std::vector<TableColumn> kServiceColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Type", "string", "", "type determines how the Service is exposed. Defaults to ClusterIP.", 0},
    {"Cluster-IP", "string", "", "clusterIP is the IP address of the service and is usually assigned randomly.", 0},
    {"External-IP", "string", "",
     "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this "
     "service.",
     0},
    {"Port(s)", "string", "", "The list of ports that are exposed by this service.", 0},
    {"Age", "string", "", kAgeDescription, 0},
    {"Selector", "string", "",
     "Route service traffic to pods with label keys and values matching this selector.", 1},
};

const std::vector<TableColumn> kEndpointSliceColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"AddressType", "string", "", "addressType specifies the type of address carried by this EndpointSlice.", 0},
    {"Ports", "string", "", "ports specifies the list of network ports exposed by each endpoint in this slice.", 0},
    {"Endpoints", "string", "", "endpoints is a list of unique endpoints in this slice.", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

const std::vector<TableColumn> kEventColumns = {
    {"Last Seen", "string", "", "The time at which the most recent occurrence of this event was recorded.", 0},
    {"Type", "string", "", "Type of this event (Normal, Warning), new types could be added in the future", 0},
    {"Reason", "string", "",
     "This should be a short, machine understandable string that gives the reason for the transition into the "
     "object's current status.",
     0},
    {"Object", "string", "", "The object that this event is about.", 0},
    {"Subobject", "string", "", "If referring to a piece of an object instead of an entire object, this string "
                                "should contain a valid JSON/Go field access statement.", 1},
    {"Source", "string", "", "The component reporting this event. Should be a short machine understandable string.",
     1},
    {"Message", "string", "", "A human-readable description of the status of this operation.", 0},
    {"First Seen", "string", "", "The time at which the event was first recorded. (Time of server receipt is in "
                                 "TypeMeta.)", 1},
    {"Count", "string", "", "The number of times this event has occurred.", 1},
    {"Name", "string", "name", kNameDescription, 1},
};

const std::vector<TableColumn> kSecretColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Type", "string", "", "Used to facilitate programmatic handling of secret data.", 0},
    {"Data", "string", "", "Data contains the secret data.", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

const std::vector<TableColumn> kConfigMapColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Data", "string", "", "Data contains the configuration data.", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

const std::vector<TableColumn> kEndpointsColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Endpoints", "string", "", "Endpoints of the Service", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

const std::vector<TableColumn> kServiceAccountColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Secrets", "string", "", "Secrets is a list of the secrets in the same namespace that pods running using this "
                              "ServiceAccount are allowed to use.", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

const std::vector<TableColumn> kLeaseColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Holder", "string", "", "holderIdentity contains the identity of the holder of a current lease.", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

const std::vector<TableColumn> kNamespaceColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Status", "string", "", "The status of the namespace", 0},
    {"Age", "string", "", kAgeDescription, 0},
};

}  // namespace

namespace table_detail {
const std::vector<KindPrinter>& network_printers() {
  static const std::vector<KindPrinter> printers = {
      {"Service", &kServiceColumns, service_cells},     {"EndpointSlice", &kEndpointSliceColumns, endpointslice_cells},
      {"Event", &kEventColumns, event_cells},           {"Secret", &kSecretColumns, secret_cells},
      {"ConfigMap", &kConfigMapColumns, configmap_cells}, {"Namespace", &kNamespaceColumns, namespace_cells},
      {"Endpoints", &kEndpointsColumns, endpoints_cells}, {"ServiceAccount", &kServiceAccountColumns, serviceaccount_cells},
      {"Lease", &kLeaseColumns, lease_cells},
  };
  return printers;
}
}  // namespace table_detail

}  // namespace lab::api
