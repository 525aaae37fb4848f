// kubectl describe (k8s.io/kubectl/pkg/describe, v1.30) ported line for line where it matters:
// the same format strings through the same tabwriter give the same spacing, trailing blanks included.
#include "lab/cli/describe.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

namespace lab::cli {
namespace {

// --- JSON access by dotted path ("status.podIP"); missing or mistyped reads as empty. ---

const Json* at(const Json& j, std::string_view path) {
  const Json* cur = &j;
  while (!path.empty()) {
    size_t dot = path.find('.');
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(std::string(path.substr(0, dot)));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    path = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  }
  return cur;
}

std::string str(const Json& j, std::string_view path) {
  const Json* v = at(j, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

long long num(const Json& j, std::string_view path, long long def = 0) {
  const Json* v = at(j, path);
  return v && v->is_number() ? v->get<long long>() : def;
}

bool flag(const Json& j, std::string_view path) {
  const Json* v = at(j, path);
  return v && v->is_boolean() && v->get<bool>();
}

const Json& arr(const Json& j, std::string_view path) {
  static const Json empty = Json::array();
  const Json* v = at(j, path);
  return v && v->is_array() ? *v : empty;
}

const Json& obj(const Json& j, std::string_view path) {
  static const Json empty = Json::object();
  const Json* v = at(j, path);
  return v && v->is_object() ? *v : empty;
}

// Go's %v of an IntOrString or any scalar ("80", "25%").
std::string scalar(const Json* v) { return v ? go_format(*v) : ""; }

const Json& items_of(const Json& list) { return list.is_array() ? list : arr(list, "items"); }

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

// time.RFC1123Z in the local zone: metav1.Time unmarshals to local time, so kubectl prints that.
std::string rfc1123z(const std::string& rfc3339) {
  auto t = parse_time(rfc3339);
  if (!t) return "Mon, 01 Jan 0001 00:00:00 +0000";  // Go's zero time
  std::time_t tt = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(*t));
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

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

// --- kubectl's PrefixWriter: each level indents two spaces. ---

struct Writer {
  TabWriter tw;
  void operator()(int level, const std::string& text) { tw.write(std::string(2 * level, ' ') + text); }
};

// printLabelsMultilineWithIndent: the first pair shares the title's line, the rest line up under it.
void labels_multiline(Writer& w, const std::string& title, const Json& labels) {
  w(0, title + ":\t");
  if (!labels.is_object() || labels.empty()) return w(0, "<none>\n");
  bool first = true;
  for (const auto& [k, v] : labels.items()) {  // nlohmann keeps keys sorted, as kubectl sorts them
    if (!first) w(0, "\t");
    first = false;
    w(0, k + "=" + scalar(&v) + "\n");
  }
}

// printAnnotationsMultiline: long or multi-line values go below their key, cut at 140 columns.
void annotations_multiline(Writer& w, const std::string& title, const Json& annotations) {
  constexpr size_t kMaxLen = 140;
  w(0, title + ":\t");
  std::vector<std::pair<std::string, std::string>> kept;
  if (annotations.is_object())
    for (const auto& [k, v] : annotations.items())
      if (k != "kubectl.kubernetes.io/last-applied-configuration") kept.emplace_back(k, scalar(&v));
  if (kept.empty()) return w(0, "<none>\n");
  for (size_t i = 0; i < kept.size(); ++i) {
    auto& [key, value] = kept[i];
    if (i) w(0, "\t");
    if (value.ends_with('\n')) value.pop_back();
    if (value.size() + key.size() + 2 > kMaxLen || value.find('\n') != std::string::npos) {
      w(0, key + ":\n");
      size_t pos = 0;
      while (true) {
        size_t nl = value.find('\n', pos);
        std::string line = value.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.size() > kMaxLen - 2) line = line.substr(0, kMaxLen - 2) + "...";
        w(0, "\t  " + line + "\n");
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    } else {
      w(0, key + ": " + value + "\n");
    }
  }
}

void tolerations_multiline(Writer& w, const std::string& title, const Json& tolerations) {
  w(0, title + ":\t");
  if (tolerations.empty()) return w(0, "<none>\n");
  std::vector<const Json*> sorted;
  for (const auto& t : tolerations) sorted.push_back(&t);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Json* a, const Json* b) { return str(*a, "key") < str(*b, "key"); });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const Json& t = *sorted[i];
    std::string key = str(t, "key"), value = str(t, "value"), effect = str(t, "effect"), line;
    if (i) w(0, "\t");
    line = key;
    if (!value.empty()) line += "=" + value;
    if (!effect.empty()) line += ":" + effect;
    // An Exists toleration without key and effect tolerates everything.
    if (str(t, "operator") == "Exists" && value.empty())
      line += key.empty() && effect.empty() ? "op=Exists" : " op=Exists";
    if (at(t, "tolerationSeconds")) line += " for " + std::to_string(num(t, "tolerationSeconds")) + "s";
    w(0, line + "\n");
  }
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

// --- events ---

void describe_events(Writer& w, const Json& events, Clock::time_point now) {
  const Json& list = items_of(events);
  if (list.empty()) return w(0, "Events:\t<none>\n");
  w.tw.flush();  // the table lines up on its own, not with the fields above it
  std::vector<const Json*> sorted;
  for (const auto& e : list) sorted.push_back(&e);
  auto last = [](const Json* e) { return parse_time(str(*e, "lastTimestamp")).value_or(Clock::time_point::min()); };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Json* a, const Json* b) { return last(a) < last(b); });
  w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
  w(1, "----\t------\t----\t----\t-------\n");
  for (const Json* e : sorted) {
    std::string from =
        str(*e, "source.component").empty() ? str(*e, "reportingController") : str(*e, "source.component");
    std::string message = str(*e, "message");
    size_t b = message.find_first_not_of(" \t\r\n"), end = message.find_last_not_of(" \t\r\n");
    message = b == std::string::npos ? "" : message.substr(b, end - b + 1);
    w(1, str(*e, "type") + "\t" + str(*e, "reason") + "\t" + event_interval(*e, now) + "\t" + from + "\t" + message +
             "\n");
  }
}

// --- pod templates and replica sets ---

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

// Drops what apimachinery's semantic equality does not tell apart from absence: nulls, {} and [].
Json normalized(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) {
      Json n = normalized(v);
      if (!n.is_null() && !((n.is_object() || n.is_array()) && n.empty())) out[k] = std::move(n);
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(normalized(v));
    return out;
  }
  return j;
}

// deploymentutil.EqualIgnoreHash: the templates match but for the pod-template-hash label.
bool same_template(const Json& a, const Json& b) {
  auto strip = [](Json t) {
    if (t.is_object() && t.contains("metadata") && t["metadata"].contains("labels") &&
        t["metadata"]["labels"].is_object())
      t["metadata"]["labels"].erase("pod-template-hash");
    return normalized(t);
  };
  return strip(a) == strip(b);
}

bool controlled_by(const Json& child, const Json& owner) {
  for (const auto& ref : arr(child, "metadata.ownerReferences")) {
    if (!flag(ref, "controller")) continue;
    if (!str(owner, "metadata.uid").empty()) return str(ref, "uid") == str(owner, "metadata.uid");
    return str(ref, "kind") == str(owner, "kind") && str(ref, "name") == str(owner, "metadata.name");
  }
  return false;
}

std::string replica_sets_cell(const std::vector<const Json*>& sets) {
  std::vector<std::string> parts;
  for (const Json* rs : sets)
    parts.push_back(str(*rs, "metadata.name") + " (" + std::to_string(num(*rs, "status.replicas")) + "/" +
                    std::to_string(num(*rs, "spec.replicas", 1)) + " replicas created)");
  return or_none(join(parts, ", "));
}

// --- services ---

// net.JoinHostPort: IPv6 addresses go in brackets.
std::string host_port(const std::string& host, long long port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// formatEndpointSlices(slices, {port_name}) as of kubectl with kubernetes#126932: ready endpoints
// (a missing ready condition counts as ready) at the slice's port of that name, three at most, then
// "+ N more...". Quirks kept: "more" is decided before readiness, so three ready endpoints followed
// by unready ones read "+ 0 more..."; slices without a ready endpoint give an empty cell, and only
// no slices at all give <none>.
std::string endpoints_cell(const std::vector<const Json*>& slices, const std::string& port_name) {
  if (slices.empty()) return "<none>";
  constexpr size_t kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  size_t count = 0;
  auto add = [&](const Json& endpoint, const Json* port) {
    const Json& addresses = arr(endpoint, "addresses");
    if (addresses.empty() || !addresses[0].is_string()) return;  // kubectl would crash; skip it
    if (list.size() == kMax) more = true;
    const Json* ready = at(endpoint, "conditions.ready");
    if (ready && ready->is_boolean() && !ready->get<bool>()) return;
    if (!more) {
      const std::string& address = addresses[0].get_ref<const std::string&>();
      list.push_back(port ? host_port(address, num(*port, "port")) : address);
    }
    ++count;
  };
  for (const Json* slice : slices) {
    const Json& ports = arr(*slice, "ports");
    if (ports.empty()) {  // a headless Service may have no ports: bare addresses
      for (const auto& e : arr(*slice, "endpoints")) add(e, nullptr);
      continue;
    }
    for (const auto& port : ports)
      if (str(port, "name") == port_name)
        for (const auto& e : arr(*slice, "endpoints")) add(e, &port);
  }
  std::string out = join(list, ",");
  return more ? out + " + " + std::to_string(count - kMax) + " more..." : out;
}

// buildIngressString.
std::string ingress_cell(const Json& ingress) {
  std::vector<std::string> parts;
  for (const auto& i : ingress) {
    if (str(i, "ip").empty()) {
      parts.push_back(str(i, "hostname"));
      continue;
    }
    parts.push_back(str(i, "ip") + (str(i, "ipMode").empty() ? "" : " (" + str(i, "ipMode") + ")"));
  }
  return join(parts, ", ");
}

std::string strings_joined(const Json& list, std::string_view sep) {
  std::vector<std::string> parts;
  for (const auto& v : list) parts.push_back(scalar(&v));
  return join(parts, sep);
}

// --- the generic describer ---

// fatih/camelcase.Split on ASCII: runs of lower, upper and other characters, where an upper run
// gives its last letter to a following lower run ("PDFLoader" -> "PDF", "Loader").
std::vector<std::string> camel_split(const std::string& s) {
  auto cls = [](char c) {
    return std::islower(static_cast<unsigned char>(c))   ? 1
           : std::isupper(static_cast<unsigned char>(c)) ? 2
           : std::isdigit(static_cast<unsigned char>(c)) ? 3
                                                         : 4;
  };
  std::vector<std::string> runs;
  int last = 0;
  for (char c : s) {
    if (cls(c) == last)
      runs.back() += c;
    else
      runs.emplace_back(1, c);
    last = cls(c);
  }
  for (size_t i = 0; i + 1 < runs.size(); ++i)
    if (cls(runs[i][0]) == 2 && cls(runs[i + 1][0]) == 1) {
      runs[i + 1].insert(runs[i + 1].begin(), runs[i].back());
      runs[i].pop_back();
    }
  std::erase_if(runs, [](const std::string& r) { return r.empty(); });
  return runs;
}

// smartLabelFor: "apiVersion" -> "API Version", "podIPs" -> "Pod I Ps" (sic); keys holding anything
// but letters and '-' stay as they are.
std::string smart_label(const std::string& field) {
  if (std::any_of(field.begin(), field.end(),
                  [](char c) { return !std::isalpha(static_cast<unsigned char>(c)) && c != '-'; }))
    return field;
  std::vector<std::string> parts;
  for (std::string part : camel_split(field)) {
    if (part == "_") continue;
    std::string upper = part;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    if (upper == "API" || upper == "URL" || upper == "UID" || upper == "OSB" || upper == "GUID")
      part = upper;
    else
      part[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
    parts.push_back(part);
  }
  return join(parts, " ");
}

// printUnstructuredContent.
void unstructured(Writer& w, int level, const Json& content, const std::string& prefix) {
  static const char* kSkip[] = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
                                ".metadata.annotations"};
  for (const auto& [field, value] : content.items()) {
    std::string path = prefix + "." + field;
    if (std::find(std::begin(kSkip), std::end(kSkip), path) != std::end(kSkip)) continue;
    if (value.is_object()) {
      w(level, smart_label(field) + ":\n");
      unstructured(w, level + 1, value, path);
    } else if (value.is_array()) {
      w(level, smart_label(field) + ":\n");
      for (const auto& child : value) {
        if (child.is_object())
          unstructured(w, level + 1, child, path);
        else
          w(level + 1, go_format(child) + "\n");
      }
    } else {
      w(level, smart_label(field) + ":\t" + go_format(value) + "\n");
    }
  }
}

}  // namespace

// text/tabwriter's format(): a column's width is its widest cell plus padding, over the run of
// lines that reach that column; cells right of it are laid out within the run, recursively.
void TabWriter::flush() {
  std::vector<std::vector<std::string>> lines;
  size_t pos = 0;
  while (pos < pending_.size()) {
    size_t nl = pending_.find('\n', pos);
    std::string_view line(pending_.data() + pos, (nl == std::string::npos ? pending_.size() : nl) - pos);
    std::vector<std::string> cells;
    for (size_t start = 0;;) {
      size_t tab = line.find('\t', start);
      cells.emplace_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    lines.push_back(std::move(cells));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  bool ends_open = !pending_.empty() && pending_.back() != '\n';
  pending_.clear();

  auto width_of = [](const std::string& s) {  // runes, not bytes
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  };
  std::vector<size_t> widths;
  auto write_lines = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      for (size_t j = 0; j < lines[i].size(); ++j) {
        out_ += lines[i][j];
        if (j < widths.size()) out_.append(widths[j] - width_of(lines[i][j]), ' ');
      }
      if (i + 1 < lines.size() || !ends_open) out_ += '\n';
    }
  };
  auto format = [&](auto& self, size_t line0, size_t line1) -> void {
    size_t column = widths.size();
    for (size_t i = line0; i < line1; ++i) {
      if (column + 1 >= lines[i].size()) continue;  // no cell in this column (the last cell never counts)
      write_lines(line0, i);
      line0 = i;
      size_t width = 0;
      for (; i < line1 && column + 1 < lines[i].size(); ++i) width = std::max(width, width_of(lines[i][column]) + 2);
      widths.push_back(width);
      self(self, line0, i);
      widths.pop_back();
      line0 = i;
    }
    write_lines(line0, line1);
  };
  format(format, 0, lines.size());
}

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

std::string describe_deployment(const Json& d, const Json& replicasets, const Json& events, Clock::time_point now) {
  Writer w;
  w(0, "Name:\t" + str(d, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(d, "metadata.namespace") + "\n");
  w(0, "CreationTimestamp:\t" + rfc1123z(str(d, "metadata.creationTimestamp")) + "\n");
  labels_multiline(w, "Labels", obj(d, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(d, "metadata.annotations"));
  w(0, "Selector:\t" + label_selector_string(obj(d, "spec.selector")) + "\n");
  w(0, "Replicas:\t" + std::to_string(num(d, "spec.replicas", 1)) + " desired | " +
           std::to_string(num(d, "status.updatedReplicas")) + " updated | " +
           std::to_string(num(d, "status.replicas")) + " total | " +
           std::to_string(num(d, "status.availableReplicas")) + " available | " +
           std::to_string(num(d, "status.unavailableReplicas")) + " unavailable\n");
  std::string strategy = str(d, "spec.strategy.type").empty() ? "RollingUpdate" : str(d, "spec.strategy.type");
  w(0, "StrategyType:\t" + strategy + "\n");
  w(0, "MinReadySeconds:\t" + std::to_string(num(d, "spec.minReadySeconds")) + "\n");
  if (strategy == "RollingUpdate") {
    auto value = [&](const char* field) {
      const Json* v = at(obj(d, "spec.strategy.rollingUpdate"), field);
      return v ? scalar(v) : "25%";
    };
    w(0,
      "RollingUpdateStrategy:\t" + value("maxUnavailable") + " max unavailable, " + value("maxSurge") + " max surge\n");
  }
  describe_pod_template(w, obj(d, "spec.template"));
  if (!arr(d, "status.conditions").empty()) {
    w(0, "Conditions:\n  Type\tStatus\tReason\n");
    w(1, "----\t------\t------\n");
    for (const auto& c : arr(d, "status.conditions"))
      w(1, str(c, "type") + " \t" + str(c, "status") + "\t" + str(c, "reason") + "\n");
  }
  // deploymentutil.GetAllReplicaSets: the oldest one with the deployment's template is the new one.
  std::vector<const Json*> owned, old_sets, new_set;
  for (const auto& rs : items_of(replicasets))
    if (controlled_by(rs, d)) owned.push_back(&rs);
  auto created = [](const Json* rs) {
    return parse_time(str(*rs, "metadata.creationTimestamp")).value_or(Clock::time_point::min());
  };
  std::stable_sort(owned.begin(), owned.end(), [&](const Json* a, const Json* b) {
    return created(a) != created(b) ? created(a) < created(b) : str(*a, "metadata.name") < str(*b, "metadata.name");
  });
  for (const Json* rs : owned) {
    if (new_set.empty() && same_template(obj(*rs, "spec.template"), obj(d, "spec.template")))
      new_set.push_back(rs);
    else
      old_sets.push_back(rs);
  }
  if (!owned.empty()) {
    w(0, "OldReplicaSets:\t" + replica_sets_cell(old_sets) + "\n");
    w(0, "NewReplicaSet:\t" + replica_sets_cell(new_set) + "\n");
  }
  describe_events(w, events, now);
  return w.tw.str();
}

std::string describe_service(const Json& svc, const Json& endpoint_slices, const Json& events,
                             Clock::time_point now) {
  // kubectl lists the slices labelled kubernetes.io/service-name=<name> in the Service's namespace,
  // in name order; callers may pass more than that.
  std::vector<const Json*> slices;
  for (const auto& slice : items_of(endpoint_slices)) {
    const std::string ns = str(slice, "metadata.namespace");
    const Json& labels = obj(slice, "metadata.labels");  // the key holds dots: no at() path
    auto owner = labels.find("kubernetes.io/service-name");
    if (owner != labels.end() && *owner == str(svc, "metadata.name") &&
        (ns.empty() || str(svc, "metadata.namespace").empty() || ns == str(svc, "metadata.namespace")))
      slices.push_back(&slice);
  }
  std::stable_sort(slices.begin(), slices.end(),
                   [](const Json* a, const Json* b) { return str(*a, "metadata.name") < str(*b, "metadata.name"); });

  Writer w;
  w(0, "Name:\t" + str(svc, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(svc, "metadata.namespace") + "\n");
  labels_multiline(w, "Labels", obj(svc, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(svc, "metadata.annotations"));
  w(0, "Selector:\t" + format_labels(obj(svc, "spec.selector")) + "\n");
  const std::string type = str(svc, "spec.type").empty() ? "ClusterIP" : str(svc, "spec.type");
  w(0, "Type:\t" + type + "\n");
  if (at(svc, "spec.ipFamilyPolicy")) w(0, "IP Family Policy:\t" + str(svc, "spec.ipFamilyPolicy") + "\n");
  w(0, "IP Families:\t" + or_none(strings_joined(arr(svc, "spec.ipFamilies"), ",")) + "\n");
  w(0, "IP:\t" + str(svc, "spec.clusterIP") + "\n");
  w(0, "IPs:\t" + or_none(strings_joined(arr(svc, "spec.clusterIPs"), ",")) + "\n");
  if (!arr(svc, "spec.externalIPs").empty())
    w(0, "External IPs:\t" + strings_joined(arr(svc, "spec.externalIPs"), ",") + "\n");
  if (!str(svc, "spec.loadBalancerIP").empty())
    w(0, "Desired LoadBalancer IP:\t" + str(svc, "spec.loadBalancerIP") + "\n");
  if (!str(svc, "spec.externalName").empty()) w(0, "External Name:\t" + str(svc, "spec.externalName") + "\n");
  if (!arr(svc, "status.loadBalancer.ingress").empty())
    w(0, "LoadBalancer Ingress:\t" + ingress_cell(arr(svc, "status.loadBalancer.ingress")) + "\n");
  for (const auto& p : arr(svc, "spec.ports")) {
    const std::string name = str(p, "name").empty() ? "<unset>" : str(p, "name");
    const std::string protocol = str(p, "protocol").empty() ? "TCP" : str(p, "protocol");
    w(0, "Port:\t" + name + "\t" + std::to_string(num(p, "port")) + "/" + protocol + "\n");
    // The API server defaults targetPort to port.
    const Json* target = at(p, "targetPort");
    w(0, "TargetPort:\t" + (target ? scalar(target) : std::to_string(num(p, "port"))) + "/" + protocol + "\n");
    if (num(p, "nodePort") != 0)
      w(0, "NodePort:\t" + name + "\t" + std::to_string(num(p, "nodePort")) + "/" + protocol + "\n");
    w(0, "Endpoints:\t" + endpoints_cell(slices, str(p, "name")) + "\n");
  }
  w(0, "Session Affinity:\t" + (str(svc, "spec.sessionAffinity").empty() ? "None" : str(svc, "spec.sessionAffinity")) +
           "\n");
  if (!str(svc, "spec.externalTrafficPolicy").empty())
    w(0, "External Traffic Policy:\t" + str(svc, "spec.externalTrafficPolicy") + "\n");
  if (at(svc, "spec.internalTrafficPolicy"))
    w(0, "Internal Traffic Policy:\t" + str(svc, "spec.internalTrafficPolicy") + "\n");
  if (num(svc, "spec.healthCheckNodePort") != 0)
    w(0, "HealthCheck NodePort:\t" + std::to_string(num(svc, "spec.healthCheckNodePort")) + "\n");
  if (!arr(svc, "spec.loadBalancerSourceRanges").empty())
    w(0, "LoadBalancer Source Ranges:\t" + strings_joined(arr(svc, "spec.loadBalancerSourceRanges"), ",") + "\n");
  describe_events(w, events, now);
  return w.tw.str();
}

std::string describe_endpoint_slice(const Json& slice, const Json& events, Clock::time_point now) {
  Writer w;
  w(0, "Name:\t" + str(slice, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(slice, "metadata.namespace") + "\n");
  labels_multiline(w, "Labels", obj(slice, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(slice, "metadata.annotations"));
  w(0, "AddressType:\t" + str(slice, "addressType") + "\n");
  const Json& ports = arr(slice, "ports");
  if (ports.empty()) {
    w(0, "Ports: <unset>\n");
  } else {
    w(0, "Ports:\n");
    w(1, "Name\tPort\tProtocol\n");
    w(1, "----\t----\t--------\n");
    for (const auto& p : ports) {
      const std::string name = str(p, "name").empty() ? "<unset>" : str(p, "name");
      const std::string number = at(p, "port") ? std::to_string(num(p, "port")) : "<unset>";
      w(1, name + "\t" + number + "\t" + str(p, "protocol") + "\n");
    }
  }
  const Json& endpoints = arr(slice, "endpoints");
  w(0, endpoints.empty() ? "Endpoints: <none>\n" : "Endpoints:\n");
  auto or_unset = [](const Json* v) { return v ? scalar(v) : std::string("<unset>"); };
  for (const auto& e : endpoints) {
    const Json& addresses = arr(e, "addresses");
    w(1, "- Addresses:\t" + (addresses.empty() ? "<none>" : strings_joined(addresses, ", ")) + "\n");
    w(2, "Conditions:\n");
    w(3, "Ready:\t" + or_unset(at(e, "conditions.ready")) + "\n");
    w(2, "Hostname:\t" + or_unset(at(e, "hostname")) + "\n");
    if (at(e, "targetRef")) w(2, "TargetRef:\t" + str(e, "targetRef.kind") + "/" + str(e, "targetRef.name") + "\n");
    w(2, "NodeName:\t" + or_unset(at(e, "nodeName")) + "\n");
    w(2, "Zone:\t" + or_unset(at(e, "zone")) + "\n");
  }
  describe_events(w, events, now);
  return w.tw.str();
}

std::string describe_generic(const Json& o, const Json& events, Clock::time_point now) {
  Writer w;
  w(0, "Name:\t" + str(o, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(o, "metadata.namespace") + "\n");
  labels_multiline(w, "Labels", obj(o, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(o, "metadata.annotations"));
  if (o.is_object()) unstructured(w, 0, o, "");
  describe_events(w, events, now);
  return w.tw.str();
}

}  // namespace lab::cli
