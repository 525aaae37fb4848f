// The downward API's values (see downward_api.h).
#include "lab/api/downward_api.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "lab/api/go_quote.h"
#include "lab/api/json_access.h"
#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"

namespace lab::api {

namespace {

using nlohmann::json;

const json& container_named(const json& pod_spec, std::string_view name) {
  static const json null;
  const json& cs = member(pod_spec, "containers");
  if (cs.is_array())
    for (const auto& c : cs)
      if (string_at(c, "name") == name) return c;
  return null;
}

}  // namespace

const std::vector<std::string_view>& env_field_paths() {
  static const std::vector<std::string_view> paths = {
      "metadata.name",  "metadata.namespace", "metadata.uid",  "spec.nodeName", "spec.serviceAccountName",
      "status.hostIP", "status.hostIPs",     "status.podIP", "status.podIPs"};
  return paths;
}

const std::vector<std::string_view>& volume_field_paths() {
  static const std::vector<std::string_view> paths = {"metadata.annotations", "metadata.labels", "metadata.name",
                                                      "metadata.namespace", "metadata.uid"};
  return paths;
}

std::optional<std::pair<std::string, std::string>> split_subscripted(std::string_view path) {
  if (!path.ends_with("']")) return std::nullopt;
  const size_t open = path.find("['");
  if (open == std::string_view::npos || open + 2 > path.size() - 2) return std::nullopt;
  return std::pair{std::string(path.substr(0, open)), std::string(path.substr(open + 2, path.size() - 2 - open - 2))};
}

std::string format_map(const json& map) {
  std::vector<std::pair<std::string, std::string>> items;
  if (map.is_object())
    for (const auto& [k, v] : map.items()) items.emplace_back(k, v.is_string() ? v.get<std::string>() : "");
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& [k, v] : items) out += (out.empty() ? "" : "\n") + k + "=" + go_quote(v);
  return out;
}

Result<std::string> field_path_value(const json& pod, std::string_view field_path, const PodAddresses& addresses) {
  const json& meta = metadata_of(pod);
  if (auto sub = split_subscripted(field_path)) {
    const auto& [base, key] = *sub;
    if (base == "metadata.labels" || base == "metadata.annotations") {
      const json& map = member(meta, base == "metadata.labels" ? "labels" : "annotations");
      return string_at(map, key.c_str());
    }
    return fail("fieldPath " + std::string(field_path) + " does not support subscript");
  }
  if (field_path == "metadata.name") return string_at(meta, "name");
  if (field_path == "metadata.namespace") {
    std::string ns = string_at(meta, "namespace");
    return ns.empty() ? std::string("default") : ns;
  }
  if (field_path == "metadata.uid") return string_at(meta, "uid");
  if (field_path == "metadata.labels") return format_map(member(meta, "labels"));
  if (field_path == "metadata.annotations") return format_map(member(meta, "annotations"));
  const json& spec = member(pod, "spec");
  if (field_path == "spec.nodeName") return string_at(spec, "nodeName");
  if (field_path == "spec.serviceAccountName") {
    // The API defaults it to "default" (lab has no service accounts; that is the name it would have).
    std::string sa = string_at(spec, "serviceAccountName");
    return sa.empty() ? std::string("default") : sa;
  }
  if (field_path == "status.podIP" || field_path == "status.podIPs") return addresses.pod_ip;
  if (field_path == "status.hostIP" || field_path == "status.hostIPs") return addresses.host_ip;
  return fail("unsupported fieldPath: " + std::string(field_path));
}

std::optional<long double> quantity_value(std::string_view q) {
  if (!q.empty() && q.front() == '+') q.remove_prefix(1);
  size_t i = 0;
  while (i < q.size() && ((q[i] >= '0' && q[i] <= '9') || q[i] == '.')) ++i;
  std::string_view number = q.substr(0, i), suffix = q.substr(i);
  if (number.empty() || number == ".") return std::nullopt;
  long double value = 0, scale = 1;
  bool dot = false;
  for (char c : number) {
    if (c == '.') {
      if (dot) return std::nullopt;
      dot = true;
      continue;
    }
    value = value * 10 + (c - '0');
    if (dot) scale *= 10;
  }
  value /= scale;
  static const std::pair<std::string_view, long double> suffixes[] = {
      {"", 1},        {"n", 1e-9L},  {"u", 1e-6L},          {"m", 1e-3L},          {"k", 1e3L},
      {"M", 1e6L},    {"G", 1e9L},   {"T", 1e12L},          {"P", 1e15L},          {"E", 1e18L},
      {"Ki", 1024.0L}, {"Mi", 1048576.0L}, {"Gi", 1073741824.0L}, {"Ti", 1099511627776.0L},
      {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L}};
  for (const auto& [s, mult] : suffixes)
    if (suffix == s) return value * mult;
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    auto exp = parse_int(suffix.substr(1), -30, 30);
    if (!exp) return std::nullopt;
    return value * std::pow(10.0L, static_cast<long double>(*exp));
  }
  return std::nullopt;
}

const std::vector<std::string_view>& resource_field_paths() {
  static const std::vector<std::string_view> paths = {"limits.cpu", "limits.memory", "requests.cpu",
                                                      "requests.memory"};
  return paths;
}

std::string divisor_problem(std::string_view resource, std::string_view divisor) {
  if (divisor.empty()) return "";
  auto v = quantity_value(divisor);
  if (resource.ends_with(".cpu")) {
    if (v && (*v == 1 || *v == 1e-3L)) return "";
    return "only divisor's values 1m and 1 are supported with the cpu resource";
  }
  static const std::vector<std::string_view> memory = {"1",  "1k",  "1M",  "1G",  "1T",  "1P",  "1E",
                                                       "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"};
  if (std::find(memory.begin(), memory.end(), divisor) != memory.end()) return "";
  return "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the "
         "memory resource";
}

NodeAllocatable host_allocatable() {
  NodeAllocatable n;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  n.cpu_milli = (cpus > 0 ? cpus : 1) * 1000;
  if (auto meminfo = read_file("/proc/meminfo")) {
    // "MemTotal:       24576000 kB"
    std::string_view text = *meminfo;
    if (auto at = text.find("MemTotal:"); at != std::string_view::npos) {
      text.remove_prefix(at + 9);
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      size_t end = text.find(' ');
      if (auto kb = parse_number<int64_t>(text.substr(0, end))) n.memory_bytes = *kb * 1024;
    }
  }
  return n;
}

Result<std::string> resource_field_value(const json& pod_spec, std::string_view container_name,
                                         std::string_view resource, std::string_view divisor,
                                         const NodeAllocatable& node) {
  const json& c = container_named(pod_spec, container_name);
  if (c.is_null()) return fail("container " + std::string(container_name) + " not found");
  const size_t dot = resource.find('.');
  if (dot == std::string_view::npos) return fail("unsupported container resource: " + std::string(resource));
  const std::string kind(resource.substr(0, dot)), name(resource.substr(dot + 1));
  if ((kind != "limits" && kind != "requests") || (name != "cpu" && name != "memory"))
    return fail("unsupported container resource: " + std::string(resource));
  const json& res = member(c, "resources");
  auto read = [&](const char* which) -> std::optional<long double> {
    const json& q = member(member(res, which), name.c_str());
    if (!q.is_string()) return std::nullopt;
    return quantity_value(q.get<std::string>());
  };
  std::optional<long double> value = read(kind.c_str());
  // An unset request is the limit when there is one (the API's defaulting); an unset limit is
  // what the node offers (the kubelet's defaultPodLimitsForDownwardAPI).
  if (!value && kind == "requests") value = read("limits");
  if (!value && kind == "limits")
    value = name == "cpu" ? static_cast<long double>(node.cpu_milli) / 1000 : static_cast<long double>(node.memory_bytes);
  if (!value) value = 0;
  long double div = divisor.empty() ? 1 : quantity_value(divisor).value_or(1);
  if (div <= 0) div = 1;
  long double out;
  if (name == "cpu") {
    // MilliValue rounds up, then the division does (convertResourceCPUToString).
    out = std::ceil(std::ceil(*value * 1000 - 1e-9L) / std::ceil(div * 1000 - 1e-9L));
  } else {
    out = std::ceil(std::ceil(*value - 1e-9L) / std::ceil(div - 1e-9L));
  }
  return std::to_string(static_cast<int64_t>(out));
}

}  // namespace lab::api
