// The status the kubelet reports for a pod, as its generateAPIPodStatus and the status manager's
// merge: pure functions from what the kubelet observed (processes, state files, probe verdicts)
// to the API's status object. Pure so that they are tested without root, and so that every
// status write is built the same way from the freshest stored object.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lab::node {

using Json = nlohmann::json;

// What the kubelet saw of one container on this sync.
struct ContainerObservation {
  std::string name, image;
  bool running = false;    // a process of the container exists now
  bool ready = false;      // running, and its readiness probe (if any) passes
  int restarts = 0;        // from the pod init's <container>.restarts
  std::string started_at;  // RFC 3339 start of the current run
  Json last_terminated;    // lastState.terminated of the previous run, null if none
  Json terminated;         // state.terminated: ended for good (its restart policy), null if not
};

// What the kubelet saw of one pod it runs.
struct PodObservation {
  std::string uid;
  std::string host_ip, pod_ip;
  std::string start_time;  // when this kubelet started the pod (used when the status has none)
  std::vector<ContainerObservation> containers;
  // False while the pod's node is NotReady: the pod is not Ready then, whatever its containers
  // say (the node lifecycle controller's MarkPodsNotReady; the kubelet keeps to it).
  bool node_ready = true;
};

// The status of a pod the kubelet runs. old_status is the stored one: a condition keeps its
// lastTransitionTime while its status stays the same, and startTime is kept once set.
Json running_pod_status(const Json& pod_spec, const Json& old_status, const PodObservation& obs,
                        const std::string& now);

// The status of a pod whose sandbox or containers could not be started.
Json failed_pod_status(const std::string& message);

// lastState.terminated of a container run that ended with exit_code; reason "" = by the code
// (Completed for 0, else Error), else as the pod init saw it (OOMKilled).
Json terminated_state(int exit_code, const std::string& started_at, const std::string& finished_at,
                      const std::string& reason = "");

// The status of a pod that waits before its containers can start: phase Pending, every
// container waiting ContainerCreating, except `container` waiting `reason` with message
// (CreateContainerConfigError; container "" for none).
Json waiting_pod_status(const Json& pod_spec, const Json& old_status, const std::string& host_ip,
                        const std::string& container, const std::string& reason, const std::string& message,
                        const std::string& now);

// The status of a pod whose container cannot be created from its spec, as the kubelet reports
// CreateContainerConfigError: Pending, that container waiting with the reason and message,
// the others ContainerCreating.
Json config_error_pod_status(const Json& pod_spec, const Json& old_status, const std::string& host_ip,
                             const std::string& container, const std::string& message, const std::string& now);

// status.qosClass from the containers' cpu and memory requests and limits (qos.GetPodQOS; a
// missing request counts as its limit, as the API server defaults it).
std::string qos_class(const Json& pod_spec);

// Fields of a pod that the kubelet keys on; "" (or the default) when missing or mistyped, so a
// malformed stored object never throws in a worker thread.
std::string pod_uid(const Json& pod);
std::string pod_namespace(const Json& pod);  // "default" when unset
std::string pod_name(const Json& pod);
std::string pod_node(const Json& pod);       // spec.nodeName
std::string pod_phase(const Json& pod);      // status.phase, "Pending" when unset
// The grace period of a stop: metadata.deletionGracePeriodSeconds, else the spec's
// terminationGracePeriodSeconds, else 30 (the API default).
int pod_grace_seconds(const Json& pod);

}  // namespace lab::node
