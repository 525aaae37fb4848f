// Building a pod's status from the kubelet's observations (see pod_status.h). Nothing here reads
// files or the store: the kubelet gathers the observation, these functions shape it.
#include "lab/node/pod_status.h"

#include "lab/api/json_access.h"

namespace lab::node {
namespace {

using api::member;
using api::string_at;

// The conditions a running pod has, in the order kubectl describe prints them.
constexpr const char* kConditionTypes[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                           "ContainersReady", "PodScheduled"};

Json conditions_for(bool all_ready, bool node_ready, const Json& old_conditions, const std::string& now) {
  // On a NotReady node, the node lifecycle controller makes the pods not Ready (MarkPodsNotReady,
  // with a NodeNotReady event on each); the kubelet keeps them so until the node is back, but never
  // flips one first (which raced the controller out of its events).
  bool was_ready = false;
  if (old_conditions.is_array())
    for (const auto& oc : old_conditions)
      if (string_at(oc, "type") == "Ready") was_ready = string_at(oc, "status") == "True";
  Json out = Json::array();
  for (const char* type : kConditionTypes) {
    std::string t = type;
    bool value = t == "Ready" ? all_ready && (node_ready || was_ready) : t == "ContainersReady" ? all_ready : true;
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
  Json state = c.running                   ? Json{{"running", {{"startedAt", c.started_at}}}}
               : !c.terminated.is_null() ? Json{{"terminated", c.terminated}}
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
  // Every container ended for good (its restart policy lets it stay ended): the pod is done,
  // Succeeded when each exited 0, else Failed, as the kubelet's getPhase says.
  bool ended = !obs.containers.empty(), all_zero = true;
  for (const auto& c : obs.containers) {
    ended = ended && c.terminated.is_object();
    const Json& code = member(c.terminated, "exitCode");
    all_zero = all_zero && code.is_number_integer() && code.get<long long>() == 0;
  }
  return {{"phase", ended ? (all_zero ? "Succeeded" : "Failed") : "Running"},
          {"conditions", conditions_for(all_ready, obs.node_ready, member(old_status, "conditions"), now)},
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

Json waiting_pod_status(const Json& pod_spec, const Json& old_status, const std::string& host_ip,
                        const std::string& container, const std::string& reason, const std::string& message,
                        const std::string& now) {
  Json statuses = Json::array();
  std::string unready;
  const Json& cs = member(pod_spec, "containers");
  if (cs.is_array())
    for (const auto& c : cs) {
      const std::string name = string_at(c, "name");
      Json waiting = {{"reason", "ContainerCreating"}};
      if (name == container) waiting = {{"reason", reason}, {"message", message}};
      statuses.push_back({{"name", name},
                          {"image", string_at(c, "image")},
                          {"imageID", ""},
                          {"ready", false},
                          {"started", false},
                          {"restartCount", 0},
                          {"state", {{"waiting", std::move(waiting)}}},
                          {"lastState", Json::object()}});
      unready += (unready.empty() ? "" : " ") + name;
    }
  // A condition keeps the time it last changed while its status stays.
  const Json& old_conditions = member(old_status, "conditions");
  auto condition = [&](const char* type, bool value, const char* why) {
    const std::string status = value ? "True" : "False";
    std::string when = now;
    if (old_conditions.is_array())
      for (const auto& oc : old_conditions)
        if (string_at(oc, "type") == type && string_at(oc, "status") == status &&
            !string_at(oc, "lastTransitionTime").empty())
          when = string_at(oc, "lastTransitionTime");
    Json c = {{"type", type}, {"status", status}, {"lastTransitionTime", when}};
    if (why) {
      c["reason"] = why;
      c["message"] = "containers with unready status: [" + unready + "]";
    }
    return c;
  };
  std::string start = string_at(old_status, "startTime");
  if (start.empty()) start = now;
  return {{"phase", "Pending"},
          {"conditions", Json::array({condition("PodReadyToStartContainers", false, nullptr),
                                      condition("Initialized", true, nullptr),
                                      condition("Ready", false, "ContainersNotReady"),
                                      condition("ContainersReady", false, "ContainersNotReady"),
                                      condition("PodScheduled", true, nullptr)})},
          {"hostIP", host_ip},
          {"hostIPs", Json::array({{{"ip", host_ip}}})},
          {"startTime", start},
          {"containerStatuses", std::move(statuses)},
          {"qosClass", qos_class(pod_spec)}};
}

Json config_error_pod_status(const Json& pod_spec, const Json& old_status, const std::string& host_ip,
                             const std::string& container, const std::string& message, const std::string& now) {
  return waiting_pod_status(pod_spec, old_status, host_ip, container, "CreateContainerConfigError", message, now);
}

Json terminated_state(int exit_code, const std::string& started_at, const std::string& finished_at,
                      const std::string& reason) {
  return {{"exitCode", exit_code},
          {"reason", !reason.empty() ? reason : exit_code == 0 ? "Completed" : "Error"},
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
  if (auto g = api::int_at(member(pod, "metadata"), "deletionGracePeriodSeconds")) return *g;
  if (auto g = api::int_at(member(pod, "spec"), "terminationGracePeriodSeconds")) return *g;
  return 30;
}

}  // namespace lab::node
