// Tables for object metadata (what users write and what the server owns), the shapes several kinds
// share (references, conditions), and Pods: spec, containers, probes, status.
#include <arpa/inet.h>

#include <set>

#include "lab/api/schema_rules.h"
#include "lab/api/schema_volumes.h"

namespace lab::api::schema {

namespace {

using enum Type;

// ---- metadata ----

// Kubernetes' TotalAnnotationSizeLimitB.
constexpr size_t kAnnotationBytes = 256 * 1024;

std::optional<Problem> finish_meta(json& m, bool namespaced, Check name_check) {
  if (m.contains("generateName")) {
    // A prefix: it must make a valid name once the random suffix is added (maskTrailingDash).
    std::string prefix = m["generateName"].get<std::string>();
    if (!prefix.empty() && prefix.back() == '-') prefix.back() = 'a';
    if (std::string problem = name_check(json(prefix)); !problem.empty())
      return Problem{"generateName", problem};
  }
  if (namespaced) {
    set_default(m, "namespace", "default");
  } else if (m.contains("namespace")) {
    if (m["namespace"] != "") return Problem{"namespace", "not allowed on this type", ErrorType::Forbidden};
    m.erase("namespace");
  }
  if (m.contains("annotations")) {
    size_t bytes = 0;
    for (const auto& [k, v] : m["annotations"].items()) bytes += k.size() + v.get_ref<const std::string&>().size();
    if (bytes > kAnnotationBytes)
      return Problem{"annotations", "must have at most " + std::to_string(kAnnotationBytes) + " bytes",
                     ErrorType::TooLong};
  }
  return std::nullopt;
}

std::optional<Problem> finish_object_meta(json& m) { return finish_meta(m, true, dns_subdomain); }
std::optional<Problem> finish_service_meta(json& m) { return finish_meta(m, true, dns1035_label); }
std::optional<Problem> finish_cluster_meta(json& m) { return finish_meta(m, false, dns_subdomain); }

const ObjectSchema kOwnerReference{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "name", .type = String, .required = true},
    {.name = "uid", .type = String, .required = true},
    {.name = "controller", .type = Bool},
    {.name = "blockOwnerDeletion", .type = Bool},
}};

// Server-side apply's bookkeeping: lab writes none, but a client may send it back; kept loosely.
const ObjectSchema kManagedFieldsEntry{{
    {.name = "manager", .type = String},
    {.name = "operation", .type = String},
    {.name = "apiVersion", .type = String},
    {.name = "time", .type = Timestamp},
    {.name = "fieldsType", .type = String},
    {.name = "fieldsV1", .type = Object, .object = &kOpenObject},
    {.name = "subresource", .type = String},
}, nullptr, true};

// Every object's metadata; name_check is the kind's rule for names.
ObjectSchema object_meta(Check name_check, std::optional<Problem> (*finish)(json&)) {
  return ObjectSchema{{
      {.name = "name", .type = String, .required = true, .unless = "generateName", .check = name_check},
      {.name = "generateName", .type = String, .note = "write metadata.name", .in_file = InFile::Unsupported},
      {.name = "namespace", .type = String, .check = dns_label},
      {.name = "labels", .type = StringMap, .check = label_value, .key_check = label_key},
      {.name = "annotations", .type = StringMap, .key_check = label_key},
      {.name = "creationTimestamp", .type = Timestamp, .in_file = InFile::Drop},
      // What the server and the controllers own: never from a scenario file.
      {.name = "uid", .type = String, .in_file = InFile::Unknown},
      {.name = "resourceVersion", .type = String, .in_file = InFile::Unknown},
      {.name = "generation", .type = Int64, .check = non_negative, .in_file = InFile::Unknown},
      {.name = "deletionTimestamp", .type = Timestamp, .in_file = InFile::Unknown},
      {.name = "deletionGracePeriodSeconds", .type = Int64, .check = non_negative, .in_file = InFile::Unknown},
      {.name = "ownerReferences", .type = ObjectList, .object = &kOwnerReference, .in_file = InFile::Unknown},
      {.name = "finalizers", .type = StringList, .check = label_key, .in_file = InFile::Unknown},
      {.name = "managedFields", .type = ObjectList, .object = &kManagedFieldsEntry, .in_file = InFile::Unknown},
  }, finish};
}

// ---- pods ----

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
  if (handlers == 0)
    return Problem{"", "must specify a handler type (one of: exec, httpGet, tcpSocket)", ErrorType::Required};
  if (handlers > 1) return Problem{"", "may not specify more than 1 handler type", ErrorType::Forbidden};
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
  if (containers.empty()) return Problem{"containers", "must have at least one container", ErrorType::Required};
  std::set<std::string> names, port_names;
  for (size_t i = 0; i < containers.size(); ++i) {
    std::string at = "containers[" + std::to_string(i) + "]";
    if (!names.insert(containers[i]["name"].get<std::string>()).second)
      return Problem{at + ".name", "", ErrorType::Duplicate};
    const json ports = containers[i].value("ports", json::array());
    for (size_t j = 0; j < ports.size(); ++j)
      if (ports[j].contains("name") && !port_names.insert(ports[j]["name"].get<std::string>()).second)
        return Problem{at + ".ports[" + std::to_string(j) + "].name", "", ErrorType::Duplicate};
  }
  if (auto problem = check_pod_volumes(s)) return problem;
  set_default(s, "restartPolicy", "Always");
  set_default(s, "terminationGracePeriodSeconds", 30);
  set_default(s, "dnsPolicy", "ClusterFirst");
  set_default(s, "enableServiceLinks", true);
  // validatePodDNSConfig: with dnsPolicy None, dnsConfig is the whole resolv.conf.
  if (s["dnsPolicy"] == "None") {
    if (!s.contains("dnsConfig"))
      return Problem{"dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None", ErrorType::Required};
    if (s["dnsConfig"].value("nameservers", json::array()).empty())
      return Problem{"dnsConfig.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None",
                     ErrorType::Required};
  }
  return std::nullopt;
}

// ---- dnsConfig, as validatePodDNSConfig checks it ----

// Kubernetes' MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars.
constexpr size_t kMaxDNSNameservers = 3, kMaxDNSSearchPaths = 32, kMaxDNSSearchListChars = 2048;

// IsValidIP: IPv4 or IPv6 (a resolv.conf line; lab pods only reach IPv4 ones).
std::string dns_nameserver(const json& v) {
  const auto& s = v.get_ref<const std::string&>();
  unsigned char buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1) return "";
  return "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
}

// A search domain: a DNS subdomain, a trailing dot allowed.
std::string dns_search(const json& v) {
  std::string s = v.get<std::string>();
  if (s.ends_with('.')) s.pop_back();
  return dns_subdomain(json(s));
}

std::optional<Problem> finish_dns_option(json& o) {
  if (o.value("name", "").empty()) return Problem{"", "Option.Name must not be empty", ErrorType::Required};
  return std::nullopt;
}

std::optional<Problem> finish_dns_config(json& c) {
  const json nameservers = c.value("nameservers", json::array()), searches = c.value("searches", json::array());
  if (nameservers.size() > kMaxDNSNameservers)
    return Problem{"nameservers", "must not have more than " + std::to_string(kMaxDNSNameservers) + " nameservers"};
  if (searches.size() > kMaxDNSSearchPaths)
    return Problem{"searches", "must not have more than " + std::to_string(kMaxDNSSearchPaths) + " search paths"};
  size_t chars = 0;
  for (const auto& d : searches) chars += d.get_ref<const std::string&>().size() + (chars ? 1 : 0);
  if (chars > kMaxDNSSearchListChars)
    return Problem{"searches", "must not have more than " + std::to_string(kMaxDNSSearchListChars) +
                                   " characters (including spaces) in the search list"};
  return std::nullopt;
}

const ObjectSchema kPodDNSConfigOption{{
    {.name = "name", .type = String},
    {.name = "value", .type = String},
}, finish_dns_option};

const ObjectSchema kPodDNSConfig{{
    {.name = "nameservers", .type = StringList, .check = dns_nameserver},
    {.name = "searches", .type = StringList, .check = dns_search},
    {.name = "options", .type = ObjectList, .object = &kPodDNSConfigOption},
}, finish_dns_config};

const ObjectSchema kEnvVar{{
    {.name = "name", .type = String, .required = true, .check = env_name},
    {.name = "value", .type = String},
    {.name = "valueFrom", .type = Object, .object = &kEnvVarSource},
}, finish_env_var};

const ObjectSchema kContainerPort{{
    {.name = "containerPort", .type = Int, .required = true, .check = port_number},
    {.name = "name", .type = String, .check = port_name},
    {.name = "protocol", .type = String, .values = {"TCP", "UDP", "SCTP"}},
    {.name = "hostPort", .type = Int, .check = port_number},
    {.name = "hostIP", .type = String, .check = ipv4_address},
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
    {.name = "envFrom", .type = ObjectList, .object = &kEnvFromSource},
    {.name = "ports", .type = ObjectList, .object = &kContainerPort},
    {.name = "workingDir", .type = String},
    {.name = "imagePullPolicy", .type = String, .values = {"Always", "IfNotPresent", "Never"}},
    {.name = "resources", .type = Object, .object = &kResources},
    {.name = "readinessProbe", .type = Object, .object = &kProbe},
    {.name = "livenessProbe", .type = Object, .object = &kProbe},
    {.name = "startupProbe", .type = Object, .object = &kProbe},
    {.name = "volumeMounts", .type = ObjectList, .object = &kVolumeMount},
    {.name = "stdin", .type = Bool},
    {.name = "stdinOnce", .type = Bool},
    {.name = "tty", .type = Bool},
    {.name = "securityContext", .type = Object, .object = &kSecurityContext},
}, finish_container};

const ObjectSchema kPodSpec{{
    {.name = "containers", .type = ObjectList, .object = &kContainer, .required = true},
    {.name = "initContainers", .type = Unsupported},
    {.name = "restartPolicy", .type = String, .values = {"Always", "OnFailure", "Never"}},
    {.name = "terminationGracePeriodSeconds", .type = Int64, .check = non_negative},
    {.name = "nodeName", .type = String, .check = dns_subdomain},
    {.name = "nodeSelector", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "hostname", .type = String, .check = dns_label},
    {.name = "subdomain", .type = String, .check = dns_label},
    {.name = "volumes", .type = ObjectList, .object = &kVolume},
    {.name = "dnsPolicy", .type = String, .values = {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"}},
    {.name = "dnsConfig", .type = Object, .object = &kPodDNSConfig},
    {.name = "enableServiceLinks", .type = Bool},
    {.name = "securityContext", .type = Object, .object = &kPodSecurityContext},
    // ServiceAccount admission (lab/api/service_account_admission.h) defaults the name of a Pod's.
    {.name = "serviceAccountName", .type = String, .check = optional_dns_subdomain},
    {.name = "serviceAccount", .type = String},
    {.name = "automountServiceAccountToken", .type = Bool},
}, finish_pod_spec};

// ---- pod status, as the kubelet writes it (lab/node/kubelet.cc) ----

const ObjectSchema kPodIP{{
    {.name = "ip", .type = String, .check = ipv4_address},
}, nullptr, true};

const ObjectSchema kRunning{{
    {.name = "startedAt", .type = Timestamp},
}, nullptr, true};

const ObjectSchema kWaiting{{
    {.name = "reason", .type = String},
    {.name = "message", .type = String},
}, nullptr, true};

const ObjectSchema kTerminated{{
    {.name = "exitCode", .type = Int},
    {.name = "signal", .type = Int},
    {.name = "reason", .type = String},
    {.name = "message", .type = String},
    {.name = "startedAt", .type = Timestamp},
    {.name = "finishedAt", .type = Timestamp},
    {.name = "containerID", .type = String},
}, nullptr, true};

const ObjectSchema kContainerState{{
    {.name = "running", .type = Object, .object = &kRunning},
    {.name = "waiting", .type = Object, .object = &kWaiting},
    {.name = "terminated", .type = Object, .object = &kTerminated},
}, nullptr, true};

const ObjectSchema kContainerStatus{{
    {.name = "name", .type = String, .required = true},
    {.name = "image", .type = String},
    {.name = "imageID", .type = String},
    {.name = "containerID", .type = String},
    {.name = "ready", .type = Bool},
    {.name = "started", .type = Bool},
    {.name = "restartCount", .type = Int, .check = non_negative},
    {.name = "state", .type = Object, .object = &kContainerState},
    {.name = "lastState", .type = Object, .object = &kContainerState},
}, nullptr, true};

const ObjectSchema kPodStatus{{
    {.name = "phase", .type = String, .values = {"Pending", "Running", "Succeeded", "Failed", "Unknown"}},
    {.name = "conditions", .type = ObjectList, .object = &kCondition},
    {.name = "message", .type = String},
    {.name = "reason", .type = String},
    {.name = "hostIP", .type = String, .check = ipv4_address},
    {.name = "hostIPs", .type = ObjectList, .object = &kPodIP},
    {.name = "podIP", .type = String, .check = ipv4_address},
    {.name = "podIPs", .type = ObjectList, .object = &kPodIP},
    {.name = "startTime", .type = Timestamp},
    {.name = "qosClass", .type = String, .values = {"Guaranteed", "Burstable", "BestEffort"}},
    {.name = "containerStatuses", .type = ObjectList, .object = &kContainerStatus},
    {.name = "nominatedNodeName", .type = String},
}, nullptr, true};

}  // namespace

const ObjectSchema kOpenObject{{}, nullptr, true};

const ObjectSchema kObjectMeta = object_meta(dns_subdomain, finish_object_meta);
const ObjectSchema kServiceMeta = object_meta(dns1035_label, finish_service_meta);
const ObjectSchema kClusterMeta = object_meta(dns_subdomain, finish_cluster_meta);

const ObjectSchema kTemplateMeta{{
    {.name = "name", .type = String, .check = dns_subdomain},
    {.name = "labels", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "annotations", .type = StringMap, .key_check = label_key},
    {.name = "creationTimestamp", .type = Timestamp, .in_file = InFile::Drop},
}};

const ObjectSchema kLabelSelector{{
    {.name = "matchLabels", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "matchExpressions", .type = Unsupported, .note = "use matchLabels"},
}};

const ObjectSchema kPodTemplate{{
    {.name = "metadata", .type = Object, .object = &kTemplateMeta},
    {.name = "spec", .type = Object, .object = &kPodSpec, .required = true},
}};

const ObjectSchema kObjectReference{{
    {.name = "kind", .type = String},
    {.name = "namespace", .type = String},
    {.name = "name", .type = String},
    {.name = "uid", .type = String},
    {.name = "apiVersion", .type = String},
    {.name = "resourceVersion", .type = String},
    {.name = "fieldPath", .type = String},
}};

const ObjectSchema kCondition{{
    {.name = "type", .type = String, .required = true},
    {.name = "status", .type = String, .required = true, .values = {"True", "False", "Unknown"}},
    {.name = "reason", .type = String},
    {.name = "message", .type = String},
    {.name = "lastTransitionTime", .type = Timestamp},
    {.name = "lastProbeTime", .type = Timestamp},
    {.name = "lastUpdateTime", .type = Timestamp},
    {.name = "lastHeartbeatTime", .type = Timestamp},
    {.name = "observedGeneration", .type = Int64},
}, nullptr, true};

ObjectSchema document(const ObjectSchema& meta, const ObjectSchema& spec, const ObjectSchema& status) {
  return ObjectSchema{{
      {.name = "apiVersion", .type = Type::String, .required = true},
      {.name = "kind", .type = Type::String, .required = true},
      {.name = "metadata", .type = Type::Object, .object = &meta, .required = true},
      {.name = "spec", .type = Type::Object, .object = &spec, .required = true},
      {.name = "status", .type = Type::Object, .object = &status, .in_file = InFile::Drop},
  }};
}

const ObjectSchema kPodDocument = document(kObjectMeta, kPodSpec, kPodStatus);

}  // namespace lab::api::schema
