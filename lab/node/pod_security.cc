// securityContext and resources into the runtime spec (see pod_security.h).
#include "lab/node/pod_security.h"

#include <cmath>

#include "lab/api/json_access.h"
#include "lab/node/pod_status.h"
#include "runtime/cgroups.h"

namespace lab::node {
namespace {

using api::member;
using api::strings_at;

// The value of a quantity as a long double (bytes, cores); an error names the quantity.
Result<long double> quantity(const std::string& q) {
  auto bad = [&] { return fail("invalid quantity \"" + q + "\"", EINVAL); };
  size_t i = 0;
  if (i < q.size() && q[i] == '+') ++i;
  size_t start = i;
  while (i < q.size() && (std::isdigit(static_cast<unsigned char>(q[i])) || q[i] == '.')) ++i;
  std::string number = q.substr(start, i - start);
  if (number.empty() || number == "." || number.find('.') != number.rfind('.')) return bad();
  long double v = std::strtold(number.c_str(), nullptr);
  std::string suffix = q.substr(i);
  struct Scale {
    const char* suffix;
    long double factor;
  };
  static const Scale kScales[] = {
      {"", 1.0L},       {"n", 1e-9L},          {"u", 1e-6L},          {"m", 1e-3L},
      {"k", 1e3L},      {"M", 1e6L},           {"G", 1e9L},           {"T", 1e12L},
      {"P", 1e15L},     {"E", 1e18L},          {"Ki", 1024.0L},       {"Mi", 1048576.0L},
      {"Gi", 1073741824.0L}, {"Ti", 1099511627776.0L}, {"Pi", 1125899906842624.0L},
      {"Ei", 1152921504606846976.0L}};
  for (const auto& s : kScales)
    if (suffix == s.suffix) return v * s.factor;
  if (!suffix.empty() && (suffix[0] == 'e' || suffix[0] == 'E')) {
    size_t j = 1;
    if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
    if (j == suffix.size()) return bad();
    for (size_t k = j; k < suffix.size(); ++k)
      if (!std::isdigit(static_cast<unsigned char>(suffix[k]))) return bad();
    if (suffix.size() - j > 3) return bad();
    return v * std::pow(10.0L, std::strtold(suffix.c_str() + 1, nullptr));
  }
  return bad();
}

Result<int64_t> whole(long double v, const std::string& q) {
  long double up = std::ceil(v);
  if (up > 9.2e18L || up < 0) return fail("quantity \"" + q + "\" is out of range", ERANGE);
  return static_cast<int64_t>(up);
}

std::optional<int64_t> int_at(const Json& obj, const char* key) {
  const Json& v = member(obj, key);
  if (!v.is_number_integer()) return std::nullopt;
  return v.get<int64_t>();
}

std::optional<bool> bool_at(const Json& obj, const char* key) {
  const Json& v = member(obj, key);
  if (!v.is_boolean()) return std::nullopt;
  return v.get<bool>();
}

// A quantity of resources.limits/requests, nullopt when absent or not a string.
std::optional<std::string> resource(const Json& c, const char* kind, const char* name) {
  const Json& v = member(member(member(c, "resources"), kind), name);
  if (!v.is_string()) return std::nullopt;
  return v.get<std::string>();
}

// format.Pod: "name_namespace(uid)".
std::string pod_ref(const Json& pod) {
  return "\"" + pod_name(pod) + "_" + pod_namespace(pod) + "(" + pod_uid(pod) + ")\"";
}

}  // namespace

Result<int64_t> quantity_milli(const std::string& q) {
  auto v = quantity(q);
  if (!v) return std::unexpected(v.error());
  return whole(*v * 1000.0L, q);
}

Result<int64_t> quantity_value(const std::string& q) {
  auto v = quantity(q);
  if (!v) return std::unexpected(v.error());
  return whole(*v, q);
}

std::optional<ContainerConfigError> resolve_security(const std::string& lab, const Json& pod,
                                                     runtime::PodRuntimeSpec& spec) {
  const Json& pod_spec = member(pod, "spec");
  const Json& psc = member(pod_spec, "securityContext");
  const Json& containers = member(pod_spec, "containers");
  auto fs_group = int_at(psc, "fsGroup");
  spec.fs_group = fs_group;
  bool all_memory = true, all_cpu = true;
  int64_t memory_sum = 0, cpu_sum_milli = 0, shares_milli = 0;
  bool any_request = false;
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    auto& cs = spec.containers[i];
    const Json& c = containers.is_array() && i < containers.size() ? containers[i] : Json::object();
    const Json& csc = member(c, "securityContext");
    auto error = [&](const std::string& what) {
      return ContainerConfigError{cs.name, what + " (pod: " + pod_ref(pod) + ", container: " + cs.name + ")"};
    };
    runtime::SecuritySpec sec;
    sec.run_as_user = int_at(csc, "runAsUser");
    if (!sec.run_as_user) sec.run_as_user = int_at(psc, "runAsUser");
    sec.run_as_group = int_at(csc, "runAsGroup");
    if (!sec.run_as_group) sec.run_as_group = int_at(psc, "runAsGroup");
    const Json& groups = member(psc, "supplementalGroups");
    if (groups.is_array())
      for (const auto& g : groups)
        if (g.is_number_integer()) sec.supplemental_groups.push_back(g.get<int64_t>());
    if (fs_group) sec.supplemental_groups.push_back(*fs_group);
    auto non_root = bool_at(csc, "runAsNonRoot");
    if (!non_root) non_root = bool_at(psc, "runAsNonRoot");
    // Every lab image runs as root (uid 0) unless runAsUser says otherwise.
    if (non_root.value_or(false) && sec.run_as_user.value_or(0) == 0)
      return error(sec.run_as_user ? "container's runAsUser breaks non-root policy"
                                   : "container has runAsNonRoot and image will run as root");
    const Json& caps = member(csc, "capabilities");
    auto adjusted = runtime::adjust_caps(runtime::default_caps(), strings_at(caps, "add"), strings_at(caps, "drop"));
    if (!adjusted) return error(adjusted.error().message);
    sec.capabilities = *adjusted;
    if (bool_at(csc, "privileged").value_or(false)) return error("privileged containers are not supported");
    const Json& profile = member(csc, "seccompProfile").is_object() ? member(csc, "seccompProfile")
                                                                      : member(psc, "seccompProfile");
    std::string type = api::string_at(profile, "type");
    if (type == "Localhost") return error("seccompProfile type Localhost is not supported");
    sec.seccomp_unconfined = type == "Unconfined";
    sec.read_only_root = bool_at(csc, "readOnlyRootFilesystem").value_or(false);
    cs.security = sec;

    runtime::CgroupLimits lim;
    if (auto m = resource(c, "limits", "memory")) {
      auto bytes = quantity_value(*m);
      if (!bytes) return error("resources.limits.memory: " + bytes.error().message);
      lim.memory_bytes = *bytes;
      memory_sum += *bytes;
    } else {
      all_memory = false;
    }
    if (auto q = resource(c, "limits", "cpu")) {
      auto milli = quantity_milli(*q);
      if (!milli) return error("resources.limits.cpu: " + milli.error().message);
      lim.cpu_quota_us = runtime::cpu_quota_from_milli(*milli, lim.cpu_period_us);
      cpu_sum_milli += *milli;
    } else {
      all_cpu = false;
    }
    // A missing request is its limit, as the API server defaults it.
    auto request = resource(c, "requests", "cpu");
    if (!request) request = resource(c, "limits", "cpu");
    if (request) {
      auto milli = quantity_milli(*request);
      if (!milli) return error("resources.requests.cpu: " + milli.error().message);
      // No request: the default 1024 shares rather than Kubernetes' 2, so that a BestEffort pod
      // is not starved by the host's own processes (lab's pods share the host's root cgroup).
      lim.cpu_shares = runtime::cpu_shares_from_milli(*milli);
      shares_milli += *milli;
      any_request = true;
    }
    cs.resources = lim;
  }
  std::string uid = pod_uid(pod);
  spec.cgroup = uid.empty() ? "" : runtime::pod_cgroup(lab, uid);
  runtime::CgroupLimits pod_limits;
  pod_limits.pids_max = kPodPidsLimit;
  if (all_memory && !spec.containers.empty()) pod_limits.memory_bytes = memory_sum;
  if (all_cpu && !spec.containers.empty())
    pod_limits.cpu_quota_us = runtime::cpu_quota_from_milli(cpu_sum_milli, pod_limits.cpu_period_us);
  if (any_request) pod_limits.cpu_shares = runtime::cpu_shares_from_milli(shares_milli);
  spec.pod_resources = pod_limits;
  return std::nullopt;
}

}  // namespace lab::node
