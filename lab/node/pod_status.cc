// Building a pod's status from the kubelet's observations (see pod_status.h). Nothing here reads
// files or the store: the kubelet gathers the observation, these functions shape it.
#include "lab/node/pod_status.h"

#include "lab/api/json_access.h"

namespace lab::node {
namespace {

using api::member;
using api::string_at;

std::optional<int> int_member(const Json& obj, const char* key) {
  const Json& v = member(obj, key);
  if (!v.is_number_integer()) return std::nullopt;
  return v.get<int>();
}

// The conditions a running pod has, in the order kubectl describe prints them.
constexpr const char* kConditionTypes[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                           "ContainersReady", "PodScheduled"};

Json conditions_for(bool all_ready, const Json& old_conditions, const std::string& now) {
  Json out = Json::array();
  for (const char* type : kConditionTypes) {
    std::string t = type;
    bool value = (t == "Ready" || t == "ContainersReady") ? all_ready : true;
    std::string status = value ? "True" : "False";
    // A condition whose status did not change keeps the time it last changed.
    std::string when = now;
    if (old_conditions.is_array())
      for (const auto& oc : old_conditions)
        if (string_at(oc, "type") == t && string_at(oc, "status") == status &&
            !string_at(oc, "lastTransitionTime").empty())
          when = string_at(oc, "lastTransitionTime");
    out.push_back({{"type", t}, {"status", status}, {"lastTransitionTime", when}});
  }
  return out;
}

Json container_status(const ContainerObservation& c, const std::string& uid) {
  Json state = c.running
                   ? Json{{"running", {{"startedAt", c.started_at}}}}
                   : Json{{"waiting", {{"reason", c.restarts > 0 ? "CrashLoopBackOff" : "ContainerCreating"}}}};
  return {{"name", c.name},
          {"image", c.image},
          {"imageID", ""},
          {"containerID", "lab://" + uid.substr(0, 8) + "-" + c.name},
          {"ready", c.ready},
          {"started", c.running},
          {"restartCount", c.restarts},
          {"state", std::move(state)},
          {"lastState", c.last_terminated.is_null() ? Json::object() : Json{{"terminated", c.last_terminated}}}};
}

}  // namespace

Json running_pod_status(const Json& pod_spec, const Json& old_status, const PodObservation& obs,
                        const std::string& now) {
  Json statuses = Json::array();
  bool all_ready = !obs.containers.empty();
  for (const auto& c : obs.containers) {
    statuses.push_back(container_status(c, obs.uid));
    all_ready = all_ready && c.ready;
  }
  std::string start = string_at(old_status, "startTime");
  if (start.empty()) start = obs.start_time.empty() ? now : obs.start_time;
  return {{"phase", "Running"},
          {"conditions", conditions_for(all_ready, member(old_status, "conditions"), now)},
          {"hostIP", obs.host_ip},
          {"hostIPs", Json::array({{{"ip", obs.host_ip}}})},
          {"podIP", obs.pod_ip},
          {"podIPs", Json::array({{{"ip", obs.pod_ip}}})},
          {"startTime", start},
          {"containerStatuses", std::move(statuses)},
          {"qosClass", qos_class(pod_spec)}};
}

Json failed_pod_status(const std::string& message) {
  return {{"phase", "Failed"}, {"reason", "StartError"}, {"message", message}};
}

Json terminated_state(int exit_code, const std::string& started_at, const std::string& finished_at) {
  return {{"exitCode", exit_code},
          {"reason", exit_code == 0 ? "Completed" : "Error"},
          {"startedAt", started_at},
          {"finishedAt", finished_at}};
}

std::string qos_class(const Json& pod_spec) {
  bool any = false, guaranteed = true;
  const Json& containers = member(pod_spec, "containers");
  if (!containers.is_array()) return "BestEffort";
  for (const auto& c : containers) {
    const Json& resources = member(c, "resources");
    const Json& requests = member(resources, "requests");
    const Json& limits = member(resources, "limits");
    for (const char* name : {"cpu", "memory"}) {
      const Json& lim = member(limits, name);
      const Json& req = member(requests, name).is_null() ? lim : member(requests, name);
      if (!req.is_null() || !lim.is_null()) any = true;
      // Compared as written: "1" and "1000m" read as different, which only errs towards Burstable.
      if (lim.is_null() || req != lim) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

std::string pod_uid(const Json& pod) { return string_at(member(pod, "metadata"), "uid"); }

std::string pod_namespace(const Json& pod) {
  std::string ns = string_at(member(pod, "metadata"), "namespace");
  return ns.empty() ? "default" : ns;
}

std::string pod_name(const Json& pod) { return string_at(member(pod, "metadata"), "name"); }

std::string pod_node(const Json& pod) { return string_at(member(pod, "spec"), "nodeName"); }

std::string pod_phase(const Json& pod) {
  std::string phase = string_at(member(pod, "status"), "phase");
  return phase.empty() ? "Pending" : phase;
}

int pod_grace_seconds(const Json& pod) {
  if (auto g = int_member(member(pod, "metadata"), "deletionGracePeriodSeconds")) return *g;
  if (auto g = int_member(member(pod, "spec"), "terminationGracePeriodSeconds")) return *g;
  return 30;
}

}  // namespace lab::node
