// kubectl describe for pods: the pod's own fields and the container, environment, probe, volume and
// QoS sections, which pod templates (describe_pod_template, for the workload describers) share.
// Split out of describe.cc, which now holds the TabWriter and the generic describer.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "lab/cli/describe_util.h"

namespace lab::cli {
namespace describe_detail {
namespace {

// A resource.Quantity as a number ("500m" = 0.5, "1Gi" = 2^30); nullopt if it is not one.
std::optional<double> quantity(const Json* q) {
  if (q && q->is_number()) return q->get<double>();
  if (!q || !q->is_string()) return std::nullopt;
  const std::string& s = q->get_ref<const std::string&>();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return std::nullopt;
  std::string suffix(end);
  // clang-format off
  static const std::pair<const char*, double> kSuffixes[] = {
      {"", 1}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
      {"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60}};
  // clang-format on
  for (auto [name, scale] : kSuffixes)
    if (suffix == name) return v * scale;
  return std::nullopt;
}

// --- containers ---

std::string ports_cell(const Json& ports, bool host) {
  std::vector<std::string> out;
  for (const auto& p : ports) {
    std::string protocol = str(p, "protocol").empty() ? "TCP" : str(p, "protocol");
    std::string s = std::to_string(num(p, host ? "hostPort" : "containerPort")) + "/" + protocol;
    if (!str(p, "name").empty()) s += " (" + str(p, "name") + ")";
    out.push_back(s);
  }
  return join(out, ", ");
}

// DescribeProbe, with the API's defaults for timings and the HTTP scheme.
std::string probe_text(const Json& p) {
  std::string attrs = "delay=" + std::to_string(num(p, "initialDelaySeconds")) +
                      "s timeout=" + std::to_string(num(p, "timeoutSeconds", 1)) +
                      "s period=" + std::to_string(num(p, "periodSeconds", 10)) +
                      "s #success=" + std::to_string(num(p, "successThreshold", 1)) +
                      " #failure=" + std::to_string(num(p, "failureThreshold", 3));
  if (const Json* exec = at(p, "exec")) return "exec " + go_format(arr(*exec, "command")) + " " + attrs;
  if (const Json* http = at(p, "httpGet")) {
    std::string scheme = str(*http, "scheme").empty() ? "http" : str(*http, "scheme");
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string host = str(*http, "host"), port = scalar(at(*http, "port")), path = str(*http, "path");
    if (!port.empty()) host = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
    // url.URL.String puts a slash between a host and a relative path.
    if (!path.empty() && path[0] != '/' && !host.empty()) path = "/" + path;
    return "http-get " + scheme + "://" + host + path + " " + attrs;
  }
  if (const Json* tcp = at(p, "tcpSocket"))
    return "tcp-socket " + str(*tcp, "host") + ":" + scalar(at(*tcp, "port")) + " " + attrs;
  if (const Json* grpc = at(p, "grpc"))
    return "grpc <pod>:" + std::to_string(num(*grpc, "port")) + " " + str(*grpc, "service") + " " + attrs;
  return "unknown " + attrs;
}

// The values downward-API env vars get from the pod (fieldpath.ExtractFieldPathAsString).
std::string pod_field(const Json* pod, const std::string& path) {
  if (!pod) return "";  // pod templates have nothing to resolve against
  auto keyed = [&](const std::string& prefix, const char* map) -> std::optional<std::string> {
    if (!path.starts_with(prefix) || !path.ends_with("']")) return std::nullopt;
    const Json& values = obj(*pod, std::string("metadata.") + map);
    auto it = values.find(path.substr(prefix.size(), path.size() - prefix.size() - 2));
    return it != values.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (auto v = keyed("metadata.labels['", "labels")) return *v;
  if (auto v = keyed("metadata.annotations['", "annotations")) return *v;
  if (path == "status.podIPs") {
    std::vector<std::string> ips;
    for (const auto& ip : arr(*pod, "status.podIPs")) ips.push_back(str(ip, "ip"));
    return join(ips, ",");
  }
  return str(*pod, path);  // metadata.name, spec.nodeName, status.podIP, ...
}

// ExtractContainerResourceValue: the quantity in units of the divisor, rounded up.
std::string resource_field(const Json& container, const Json& ref) {
  std::string resource = str(ref, "resource");
  size_t dot = resource.find('.');
  if (dot == std::string::npos) return "";
  const Json& list = obj(container, "resources." + resource.substr(0, dot));  // limits or requests
  auto it = list.find(resource.substr(dot + 1));
  double value = it == list.end() ? 0 : quantity(&*it).value_or(0);
  double divisor = quantity(at(ref, "divisor")).value_or(1);
  if (divisor == 0) divisor = 1;
  // CPU counts in millicores and memory in whole bytes, as resource.Quantity rounds them.
  bool cpu = resource.ends_with("cpu");
  double scale = cpu ? 1000 : 1;
  double units = std::ceil(value * scale - 1e-9), per = std::ceil(divisor * scale - 1e-9);
  std::string out = std::to_string(static_cast<long long>(std::ceil(units / per - 1e-9)));
  if (out == "0" && (resource == "limits.cpu" || resource == "limits.memory")) return "node allocatable";
  return out;
}

void describe_env(Writer& w, const Json& c, const Json* pod) {
  const Json& env_from = arr(c, "envFrom");
  if (!env_from.empty()) {
    w(2, "Environment Variables from:\n");
    for (const auto& e : env_from) {
      bool secret = at(e, "secretRef") != nullptr;
      const Json& ref = obj(e, secret ? "secretRef" : "configMapRef");
      std::string from = secret ? "Secret" : at(e, "configMapRef") ? "ConfigMap" : "";
      if (!str(e, "prefix").empty()) from += " with prefix '" + str(e, "prefix") + "'";
      w(3, str(ref, "name") + "\t" + from + "\tOptional: " + (flag(ref, "optional") ? "true" : "false") + "\n");
    }
  }
  const Json& env = arr(c, "env");
  w(2, env.empty() ? "Environment:\t<none>\n" : "Environment:\n");
  for (const auto& e : env) {
    std::string name = str(e, "name");
    const Json* from = at(e, "valueFrom");
    if (!from) {
      std::string value = str(e, "value");
      size_t pos = 0;
      for (bool first = true;; first = false) {
        size_t nl = value.find('\n', pos);
        std::string line = value.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        w(3, (first ? name + ":\t" : "\t") + line + "\n");
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    } else if (const Json* f = at(*from, "fieldRef")) {
      std::string api = str(*f, "apiVersion").empty() ? "v1" : str(*f, "apiVersion");
      w(3, name + ":\t" + pod_field(pod, str(*f, "fieldPath")) + " (" + api + ":" + str(*f, "fieldPath") + ")\n");
    } else if (const Json* r = at(*from, "resourceFieldRef")) {
      w(3, name + ":\t" + resource_field(c, *r) + " (" + str(*r, "resource") + ")\n");
    } else if (const Json* s = at(*from, "secretKeyRef")) {
      w(3, name + ":\t<set to the key '" + str(*s, "key") + "' in secret '" + str(*s, "name") +
               "'>\tOptional: " + (flag(*s, "optional") ? "true" : "false") + "\n");
    } else if (const Json* m = at(*from, "configMapKeyRef")) {
      w(3, name + ":\t<set to the key '" + str(*m, "key") + "' of config map '" + str(*m, "name") +
               "'>\tOptional: " + (flag(*m, "optional") ? "true" : "false") + "\n");
    }
  }
}

void describe_state(Writer& w, const std::string& name, const Json& state) {
  if (const Json* r = at(state, "running")) {
    w(2, name + ":\tRunning\n");
    w(3, "Started:\t" + rfc1123z(str(*r, "startedAt")) + "\n");
  } else if (const Json* t = at(state, "terminated")) {
    w(2, name + ":\tTerminated\n");
    if (!str(*t, "reason").empty()) w(3, "Reason:\t" + str(*t, "reason") + "\n");
    if (!str(*t, "message").empty()) w(3, "Message:\t" + str(*t, "message") + "\n");
    w(3, "Exit Code:\t" + std::to_string(num(*t, "exitCode")) + "\n");
    if (num(*t, "signal") > 0) w(3, "Signal:\t" + std::to_string(num(*t, "signal")) + "\n");
    w(3, "Started:\t" + rfc1123z(str(*t, "startedAt")) + "\n");
    w(3, "Finished:\t" + rfc1123z(str(*t, "finishedAt")) + "\n");
  } else {
    w(2, name + ":\tWaiting\n");
    if (!str(state, "waiting.reason").empty()) w(3, "Reason:\t" + str(state, "waiting.reason") + "\n");
  }
}

// describeContainers; `statuses` is null for pod templates, `space` indents a template's section.
void describe_containers(Writer& w, const std::string& label, const Json& containers, const Json* statuses,
                         const Json* pod, const std::string& space) {
  w(0, space + label + ":" + (containers.empty() ? " <none>" : "") + "\n");
  for (const auto& c : containers) {
    const Json* status = nullptr;
    if (statuses)
      for (const auto& s : *statuses)
        if (str(s, "name") == str(c, "name")) status = &s;
    w(1, (space.empty() ? "" : " ") + str(c, "name") + ":\n");
    if (status) w(2, "Container ID:\t" + str(*status, "containerID") + "\n");
    w(2, "Image:\t" + str(c, "image") + "\n");
    if (status) w(2, "Image ID:\t" + str(*status, "imageID") + "\n");
    std::string ports = ports_cell(arr(c, "ports"), false), host_ports = ports_cell(arr(c, "ports"), true);
    w(2, (ports.find(',') != std::string::npos ? "Ports:\t" : "Port:\t") + or_none(ports) + "\n");
    w(2, (host_ports.find(',') != std::string::npos ? "Host Ports:\t" : "Host Port:\t") + or_none(host_ports) + "\n");
    if (!str(c, "securityContext.seccompProfile.type").empty()) {
      w(2, "SeccompProfile:\t" + str(c, "securityContext.seccompProfile.type") + "\n");
      if (str(c, "securityContext.seccompProfile.type") == "Localhost")
        w(3, "LocalhostProfile:\t" + str(c, "securityContext.seccompProfile.localhostProfile") + "\n");
    }
    for (const char* field : {"command", "args"}) {
      if (arr(c, field).empty()) continue;
      w(2, std::string(field[0] == 'c' ? "Command" : "Args") + ":\n");
      for (const auto& part : arr(c, field)) {
        std::string s = part.is_string() ? part.get<std::string>() : "";
        for (size_t pos = 0;;) {
          size_t nl = s.find('\n', pos);
          w(3, s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n");
          if (nl == std::string::npos) break;
          pos = nl + 1;
        }
      }
    }
    if (status) {
      describe_state(w, "State", obj(*status, "state"));
      if (at(*status, "lastState.terminated")) describe_state(w, "Last State", obj(*status, "lastState"));
      w(2, std::string("Ready:\t") + (flag(*status, "ready") ? "True" : "False") + "\n");
      w(2, "Restart Count:\t" + std::to_string(num(*status, "restartCount")) + "\n");
    }
    for (const char* kind : {"limits", "requests"}) {
      const Json& list = obj(c, std::string("resources.") + kind);
      if (list.empty()) continue;
      w(2, std::string(kind[0] == 'l' ? "Limits" : "Requests") + ":\n");
      for (const auto& [name, q] : list.items()) w(3, name + ":\t" + scalar(&q) + "\n");
    }
    for (auto [field, title] : {std::pair{"livenessProbe", "Liveness"}, std::pair{"readinessProbe", "Readiness"},
                                std::pair{"startupProbe", "Startup"}})
      if (const Json* p = at(c, field)) w(2, std::string(title) + ":\t" + probe_text(*p) + "\n");
    describe_env(w, c, pod);
    std::vector<const Json*> mounts;
    for (const auto& m : arr(c, "volumeMounts")) mounts.push_back(&m);
    std::stable_sort(mounts.begin(), mounts.end(),
                     [](const Json* a, const Json* b) { return str(*a, "mountPath") < str(*b, "mountPath"); });
    w(2, mounts.empty() ? "Mounts:\t<none>\n" : "Mounts:\n");
    for (const Json* m : mounts) {
      std::string flags = flag(*m, "readOnly") ? "ro" : "rw";
      if (!str(*m, "subPath").empty()) flags += ",path=" + Json(str(*m, "subPath")).dump();  // Go's %q
      w(3, str(*m, "mountPath") + " from " + str(*m, "name") + " (" + flags + ")\n");
    }
  }
}

void describe_volumes(Writer& w, const Json& volumes, const std::string& space) {
  if (volumes.empty()) return w(0, space + "Volumes:\t<none>\n");
  w(0, space + "Volumes:\n");
  auto optional = [](const Json& src) { return std::string(flag(src, "optional") ? "true" : "false"); };
  for (const auto& v : volumes) {
    w(1, (space.empty() ? "" : " ") + str(v, "name") + ":\n");
    if (const Json* h = at(v, "hostPath")) {
      w(2, "Type:\tHostPath (bare host directory volume)\n    Path:\t" + str(*h, "path") + "\n    HostPathType:\t" +
               (at(*h, "type") ? str(*h, "type") : "<none>") + "\n");
    } else if (const Json* e = at(v, "emptyDir")) {
      auto size = quantity(at(*e, "sizeLimit"));
      w(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t" + str(*e, "medium") +
               "\n    SizeLimit:\t" + (size && *size > 0 ? scalar(at(*e, "sizeLimit")) : "<unset>") + "\n");
    } else if (const Json* s = at(v, "secret")) {
      w(2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t" + str(*s, "secretName") +
               "\n    Optional:\t" + optional(*s) + "\n");
    } else if (const Json* m = at(v, "configMap")) {
      w(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t" + str(*m, "name") + "\n    Optional:\t" +
               optional(*m) + "\n");
    } else if (const Json* c = at(v, "persistentVolumeClaim")) {
      w(2,
        "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
        "    ClaimName:\t" +
            str(*c, "claimName") + "\n    ReadOnly:\t" + (flag(*c, "readOnly") ? "true" : "false") + "\n");
    } else if (const Json* p = at(v, "projected")) {
      w(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
      // v1.30 prints the *bool Optional with %v: "<nil>" when unset.
      auto opt = [&](const Json& src) { return at(src, "optional") ? optional(src) : "<nil>"; };
      for (const auto& src : arr(*p, "sources")) {
        if (const Json* s = at(src, "secret"))
          w(2, "SecretName:\t" + str(*s, "name") + "\n    SecretOptionalName:\t" + opt(*s) + "\n");
        else if (at(src, "downwardAPI"))
          w(2, "DownwardAPI:\ttrue\n");
        else if (const Json* m = at(src, "configMap"))
          w(2, "ConfigMapName:\t" + str(*m, "name") + "\n    ConfigMapOptional:\t" + opt(*m) + "\n");
        else if (const Json* t = at(src, "serviceAccountToken"))
          w(2, "TokenExpirationSeconds:\t" + std::to_string(num(*t, "expirationSeconds", 3600)) + "\n");
      }
    } else if (const Json* d = at(v, "downwardAPI")) {
      w(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
      for (const auto& item : arr(*d, "items")) {
        if (at(item, "fieldRef")) w(3, str(item, "fieldRef.fieldPath") + " -> " + str(item, "path") + "\n");
        if (at(item, "resourceFieldRef"))
          w(3, str(item, "resourceFieldRef.resource") + " -> " + str(item, "path") + "\n");
      }
    } else {
      w(1, "<unknown>\n");
    }
  }
}

// qos.GetPodQOS: status.qosClass when the server set it, else derived from cpu/memory resources.
// A missing request counts as equal to its limit, as the API server defaults it.
std::string qos_class(const Json& pod) {
  if (!str(pod, "status.qosClass").empty()) return str(pod, "status.qosClass");
  std::map<std::string, double> requests, limits;
  bool guaranteed = true;
  auto containers = arr(pod, "spec.containers");
  for (const auto& c : arr(pod, "spec.initContainers")) containers.push_back(c);
  for (const auto& c : containers) {
    int limited = 0;
    for (const char* name : {"cpu", "memory"}) {
      auto req = quantity(at(obj(c, "resources.requests"), name));
      auto lim = quantity(at(obj(c, "resources.limits"), name));
      if (!req) req = lim;
      if (req && *req > 0) requests[name] += *req;
      if (lim && *lim > 0) {
        limits[name] += *lim;
        ++limited;
      }
    }
    if (limited < 2) guaranteed = false;
  }
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed && requests == limits) return "Guaranteed";
  return "Burstable";
}

}  // namespace

void describe_pod_template(Writer& w, const Json& t) {
  w(0, "Pod Template:\n");
  labels_multiline(w, "  Labels", obj(t, "metadata.labels"));
  if (!obj(t, "metadata.annotations").empty())
    annotations_multiline(w, "  Annotations", obj(t, "metadata.annotations"));
  if (!str(t, "spec.serviceAccountName").empty()) w(1, "Service Account:\t" + str(t, "spec.serviceAccountName") + "\n");
  if (!arr(t, "spec.initContainers").empty())
    describe_containers(w, "Init Containers", arr(t, "spec.initContainers"), nullptr, nullptr, "  ");
  describe_containers(w, "Containers", arr(t, "spec.containers"), nullptr, nullptr, "  ");
  describe_volumes(w, arr(t, "spec.volumes"), "  ");
  if (!str(t, "spec.priorityClassName").empty())
    w(1, "Priority Class Name:\t" + str(t, "spec.priorityClassName") + "\n");
  labels_multiline(w, "  Node-Selectors", obj(t, "spec.nodeSelector"));
  tolerations_multiline(w, "  Tolerations", arr(t, "spec.tolerations"));
}

}  // namespace describe_detail

using namespace describe_detail;

std::string describe_pod(const Json& pod, const Json& events, Clock::time_point now) {
  Writer w;
  w(0, "Name:\t" + str(pod, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(pod, "metadata.namespace") + "\n");
  // The Priority and ServiceAccount admission plugins fill these in on every pod.
  w(0, "Priority:\t" + std::to_string(num(pod, "spec.priority")) + "\n");
  if (!str(pod, "spec.priorityClassName").empty())
    w(0, "Priority Class Name:\t" + str(pod, "spec.priorityClassName") + "\n");
  if (!str(pod, "spec.runtimeClassName").empty())
    w(0, "Runtime Class Name:\t" + str(pod, "spec.runtimeClassName") + "\n");
  std::string sa = str(pod, "spec.serviceAccountName");
  w(0, "Service Account:\t" + (sa.empty() ? std::string("default") : sa) + "\n");
  std::string node = str(pod, "spec.nodeName");
  w(0, "Node:\t" + (node.empty() ? "<none>" : node + "/" + str(pod, "status.hostIP")) + "\n");
  if (!str(pod, "status.startTime").empty()) w(0, "Start Time:\t" + rfc1123z(str(pod, "status.startTime")) + "\n");
  labels_multiline(w, "Labels", obj(pod, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(pod, "metadata.annotations"));
  std::string phase = str(pod, "status.phase");
  if (at(pod, "metadata.deletionTimestamp") && phase != "Failed" && phase != "Succeeded") {
    w(0, "Status:\tTerminating (lasts " + age_of(str(pod, "metadata.deletionTimestamp"), now) + ")\n");
    w(0, "Termination Grace Period:\t" + std::to_string(num(pod, "metadata.deletionGracePeriodSeconds", 30)) + "s\n");
  } else {
    w(0, "Status:\t" + phase + "\n");
  }
  if (!str(pod, "status.reason").empty()) w(0, "Reason:\t" + str(pod, "status.reason") + "\n");
  if (!str(pod, "status.message").empty()) w(0, "Message:\t" + str(pod, "status.message") + "\n");
  if (std::string seccomp = str(pod, "spec.securityContext.seccompProfile.type"); !seccomp.empty()) {
    w(0, "SeccompProfile:\t" + seccomp + "\n");
    if (seccomp == "Localhost")
      w(0, "LocalhostProfile:\t" + str(pod, "spec.securityContext.seccompProfile.localhostProfile") + "\n");
  }
  w(0, "IP:\t" + str(pod, "status.podIP") + "\n");
  const Json& ips = arr(pod, "status.podIPs");
  w(0, ips.empty() ? "IPs:\t<none>\n" : "IPs:\n");
  for (const auto& ip : ips) w(1, "IP:\t" + str(ip, "ip") + "\n");
  for (const auto& ref : arr(pod, "metadata.ownerReferences"))
    if (flag(ref, "controller")) {
      w(0, "Controlled By:\t" + str(ref, "kind") + "/" + str(ref, "name") + "\n");
      break;
    }
  if (!str(pod, "status.nominatedNodeName").empty())
    w(0, "NominatedNodeName:\t" + str(pod, "status.nominatedNodeName") + "\n");
  if (!arr(pod, "spec.initContainers").empty())
    describe_containers(w, "Init Containers", arr(pod, "spec.initContainers"),
                        &arr(pod, "status.initContainerStatuses"), &pod, "");
  describe_containers(w, "Containers", arr(pod, "spec.containers"), &arr(pod, "status.containerStatuses"), &pod, "");
  auto condition_status = [&](const std::string& type) {
    for (const auto& c : arr(pod, "status.conditions"))
      if (str(c, "type") == type) return str(c, "status");
    return std::string("<none>");
  };
  if (!arr(pod, "spec.readinessGates").empty()) {
    w(0, "Readiness Gates:\n  Type\tStatus\n");
    for (const auto& g : arr(pod, "spec.readinessGates"))
      w(1, str(g, "conditionType") + " \t" + condition_status(str(g, "conditionType")) + " \n");
  }
  if (!arr(pod, "status.conditions").empty()) {
    w(0, "Conditions:\n  Type\tStatus\n");
    for (const auto& c : arr(pod, "status.conditions")) w(1, str(c, "type") + " \t" + str(c, "status") + " \n");
  }
  describe_volumes(w, arr(pod, "spec.volumes"), "");
  w(0, "QoS Class:\t" + qos_class(pod) + "\n");
  labels_multiline(w, "Node-Selectors", obj(pod, "spec.nodeSelector"));
  tolerations_multiline(w, "Tolerations", arr(pod, "spec.tolerations"));
  describe_events(w, events, now);
  return w.tw.str();
}

}  // namespace lab::cli
