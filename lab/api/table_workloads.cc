// Table columns and cells of pods, nodes, deployments and replicasets, as Kubernetes' printers
// (pkg/printers/internalversion printPod, printNode, printDeployment, printReplicaSet) make them,
// so STATUS/READY/RESTARTS read as kubectl shows them against a real cluster.
#include <algorithm>
#include <set>

#include "lab/api/objects.h"
#include "lab/api/table.h"
#include "lab/api/table_util.h"
#include "lab/base/clock.h"

namespace lab::api {

using namespace table_detail;

namespace {

std::optional<Clock::time_point> parse_time(const std::string& s) { return parse_rfc3339(s); }

// `last` is Clock::time_point::min() when no container has a last termination time.
std::string restarts_cell(long long restarts, Clock::time_point last, Clock::time_point now) {
  if (restarts == 0 || last == Clock::time_point::min()) return std::to_string(restarts);
  auto d = std::chrono::duration_cast<std::chrono::seconds>(now - last);
  return std::to_string(restarts) + " (" + human_duration(d) + " ago)";
}

// kubectl's "Init:..." / waiting reason / "ExitCode:N" precedence, from printPod.
Json pod_cells(const Json& pod, bool wide, Clock::time_point now) {
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
      const Json* is_ready = get(c, {"ready"});
      if (!waiting.empty()) {
        reason = waiting;
      } else if (term) {
        reason = str(*term, {"reason"}).empty() ? exit_reason(*term) : str(*term, {"reason"});
      } else if (is_ready && *is_ready == true && get(c, {"state", "running"})) {
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

  Json row = Json::array({str(pod, {"metadata", "name"}),
                          std::to_string(ready) + "/" + std::to_string(arr(pod, {"spec", "containers"}).size()),
                          reason, restarts_cell(restarts, last_restart, now), age(pod, now)});
  if (wide) {
    const Json& ips = arr(pod, {"status", "podIPs"});
    std::string ip = ips.empty() ? str(pod, {"status", "podIP"}) : str(ips[0], {"ip"});
    const Json& gates = arr(pod, {"spec", "readinessGates"});
    std::string gates_cell = "<none>";
    if (!gates.empty()) {
      size_t passed = 0;
      for (const auto& g : gates)
        if (condition_true(pod, str(g, {"conditionType"}))) ++passed;
      gates_cell = std::to_string(passed) + "/" + std::to_string(gates.size());
    }
    for (auto cell : {or_none(ip), or_none(str(pod, {"spec", "nodeName"})),
                      or_none(str(pod, {"status", "nominatedNodeName"})), gates_cell})
      row.push_back(cell);
  }
  return row;
}

std::string node_address(const Json& node, const char* type) {
  for (const auto& a : arr(node, {"status", "addresses"}))
    if (str(a, {"type"}) == type) return str(a, {"address"});
  return "<none>";
}

Json node_cells(const Json& node, bool wide, Clock::time_point now) {
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
  Json row = Json::array({str(node, {"metadata", "name"}), status, or_none(join({roles.begin(), roles.end()}, ",")),
                          age(node, now), str(node, {"status", "nodeInfo", "kubeletVersion"})});
  if (wide) {
    auto info = [&](const char* key) {
      std::string v = str(node, {"status", "nodeInfo", key});
      return v.empty() ? "<unknown>" : v;
    };
    for (auto cell : {node_address(node, "InternalIP"), node_address(node, "ExternalIP"), info("osImage"),
                      info("kernelVersion"), info("containerRuntimeVersion")})
      row.push_back(cell);
  }
  return row;
}

// Containers and Images of a pod template, comma-joined.
std::pair<std::string, std::string> template_containers(const Json& obj) {
  std::vector<std::string> names, images;
  for (const auto& c : arr(obj, {"spec", "template", "spec", "containers"})) {
    names.push_back(str(c, {"name"}));
    images.push_back(str(c, {"image"}));
  }
  return {join(names, ","), join(images, ",")};
}

Json deployment_cells(const Json& d, bool wide, Clock::time_point now) {
  // spec.replicas is defaulted to 1 by the API; an object that omits it means 1.
  Json row = Json::array(
      {str(d, {"metadata", "name"}),
       std::to_string(num(d, {"status", "readyReplicas"})) + "/" + std::to_string(num(d, {"spec", "replicas"}, 1)),
       num(d, {"status", "updatedReplicas"}), num(d, {"status", "availableReplicas"}), age(d, now)});
  if (wide) {
    auto [names, images] = template_containers(d);
    const Json* sel = get(d, {"spec", "selector"});
    for (auto cell : {names, images, sel ? label_selector_string(*sel) : ""}) row.push_back(cell);
  }
  return row;
}

Json replicaset_cells(const Json& rs, bool wide, Clock::time_point now) {
  Json row = Json::array({str(rs, {"metadata", "name"}), num(rs, {"spec", "replicas"}, 1),
                          num(rs, {"status", "replicas"}), num(rs, {"status", "readyReplicas"}), age(rs, now)});
  if (wide) {
    auto [names, images] = template_containers(rs);
    // metav1.FormatLabelSelector, unlike deployments' selector.String(), says <none> for nothing.
    const Json* sel = get(rs, {"spec", "selector"});
    for (auto cell : {names, images, or_none(sel ? label_selector_string(*sel) : "")}) row.push_back(cell);
  }
  return row;
}

const std::vector<TableColumn> kPodColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
    {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
    {"Restarts", "string", "",
     "The number of times the containers in this pod have been restarted and when the last container in this pod "
     "has restarted.",
     0},
    {"Age", "string", "", kAgeDescription, 0},
    {"IP", "string", "", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
                         "yet allocated.", 1},
    {"Node", "string", "", "NodeName indicates in which node this pod is scheduled.", 1},
    {"Nominated Node", "string", "",
     "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right "
     "away as preemption victims receive their graceful termination periods.", 1},
    {"Readiness Gates", "string", "",
     "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers "
     "are ready AND all conditions specified in the readiness gates have status equal to \"True\"", 1},
};

const std::vector<TableColumn> kNodeColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Status", "string", "", "The status of the node", 0},
    {"Roles", "string", "", "The roles of the node", 0},
    {"Age", "string", "", kAgeDescription, 0},
    {"Version", "string", "", "Kubelet Version reported by the node.", 0},
    {"Internal-IP", "string", "", "List of addresses reachable to the node.", 1},
    {"External-IP", "string", "", "List of addresses reachable to the node.", 1},
    {"OS-Image", "string", "", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
     1},
    {"Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
     1},
    {"Container-Runtime", "string", "",
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1},
};

const std::vector<TableColumn> kDeploymentColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Ready", "string", "", "Number of the pod with ready state", 0},
    {"Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the "
                                 "desired template spec.", 0},
    {"Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by "
                                "this deployment.", 0},
    {"Age", "string", "", kAgeDescription, 0},
    {"Containers", "string", "", "Names of each container in the template.", 1},
    {"Images", "string", "", "Images referenced by each container in the template.", 1},
    {"Selector", "string", "", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
                               "the ones affected by this deployment.", 1},
};

const std::vector<TableColumn> kReplicaSetColumns = {
    {"Name", "string", "name", kNameDescription, 0},
    {"Desired", "integer", "", "Number of desired pods.", 0},
    {"Current", "integer", "", "Number of actual pods.", 0},
    {"Ready", "integer", "", "Number of ready pods.", 0},
    {"Age", "string", "", kAgeDescription, 0},
    {"Containers", "string", "", "Names of each container in the template.", 1},
    {"Images", "string", "", "Images referenced by each container in the template.", 1},
    {"Selector", "string", "", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
                               "the ones affected by this deployment.", 1},
};

}  // namespace

namespace table_detail {
const std::vector<KindPrinter>& workload_printers() {
  static const std::vector<KindPrinter> printers = {
      {"Pod", &kPodColumns, pod_cells},
      {"Node", &kNodeColumns, node_cells},
      {"Deployment", &kDeploymentColumns, deployment_cells},
      {"ReplicaSet", &kReplicaSetColumns, replicaset_cells},
  };
  return printers;
}
}  // namespace table_detail

}  // namespace lab::api
