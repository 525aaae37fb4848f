// Pod realization and supervision, the kubelet's SyncPod in small: address from the node's /24,
// veth into cbr0, the pod init with its containers; then status from the init's state files and
// the probes, graceful stops, and adoption of pods that outlived a daemon.
#include "lab/node/kubelet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <cstdio>
#include <thread>

#include "lab/base/clock.h"
#include "lab/base/hash.h"
#include "lab/api/objects.h"
#include "lab/controllers/events.h"
#include "netns/link.h"
#include "runtime/spawn.h"

namespace lab::node {
namespace {

std::string host_veth_name(const std::string& uid) {
  // Unique per pod and <= 15 chars; derived from the uid so a restarted daemon finds it again.
  char buf[16];
  std::snprintf(buf, sizeof buf, "veth%08x", fnv1a32(uid));
  return buf;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool exited(const UniqueFd& pidfd) {
  pollfd p{pidfd.get(), POLLIN, 0};
  return !pidfd || ::poll(&p, 1, 0) == 1;
}

int read_int(const std::string& path, int fallback) {
  auto text = read_file(path);
  return text ? std::atoi(text->c_str()) : fallback;
}

}  // namespace

const net::NodePlan* Kubelet::find_node(const std::string& name) const {
  for (const auto& n : rec_.plan.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

Result<net::Ipv4> Kubelet::allocate_ip(const net::NodePlan& node) {
  auto& used = used_ips_[node.name];
  // .1 is cbr0, the last is broadcast. Round-robin from the last one handed out, as host-local
  // IPAM does, so a replacement pod usually gets a new address.
  uint32_t span = static_cast<uint32_t>(node.pod_cidr.size()) - 3;
  uint32_t& last = last_ip_[node.name];
  for (uint32_t k = 1; k <= span; ++k) {
    uint32_t i = last < 2 ? 1 + k : 2 + (last + k - 2) % span;
    if (used.contains(i)) continue;
    used.insert(i);
    last = i;
    return node.pod_cidr.at(i);
  }
  return fail("node " + node.name + ": pod CIDR " + node.pod_cidr.str() + " is exhausted");
}

void Kubelet::release(RunningPod& rp) {
  if (const auto* node = find_node(rp.node)) {
    (void)net::delete_pod_network(*node, rp.veth);
    used_ips_[node->name].erase(rp.ip.value - node->pod_cidr.base.value);
  }
}

const net::Netns* Kubelet::node_netns(const std::string& node) {
  auto it = node_netns_.find(node);
  if (it != node_netns_.end()) return &it->second;
  const auto* plan = find_node(node);
  if (!plan) return nullptr;
  auto ns = net::Netns::open_named(plan->netns_name);
  if (!ns) return nullptr;
  return &node_netns_.emplace(node, std::move(*ns)).first->second;
}

void Kubelet::event(const Json& pod, const std::string& type, const std::string& reason,
                    const std::string& msg) {
  controllers::record_event(store_, pod, type, reason, msg, "kubelet", pod["spec"].value("nodeName", ""));
}

Result<void> Kubelet::start(const Json& pod_in) {
  Json pod = pod_in;
  const auto& meta = pod["metadata"];
  std::string name = meta["name"], ns = meta.value("namespace", "default");
  std::string uid = meta.value("uid", "");
  const auto* node = find_node(pod["spec"].value("nodeName", ""));
  if (!node) return fail("pod " + name + " is not bound to a node of this lab");

  auto ip = allocate_ip(*node);
  if (!ip) return std::unexpected(ip.error());
  std::string veth = host_veth_name(uid);
  auto podnet = net::create_pod_network(rec_.plan, *node, *ip, veth);
  if (!podnet) {
    used_ips_[node->name].erase(ip->value - node->pod_cidr.base.value);
    return std::unexpected(podnet.error().context("pod " + name + ": network"));
  }

  runtime::PodRuntimeSpec spec;
  spec.lab = rec_.name;
  spec.namespace_ = ns;
  spec.name = name;
  spec.ip = ip->str();
  spec.dns_server = rec_.plan.service_cidr.at(10).str();
  spec.dns_search = {ns + ".svc.cluster.local", "svc.cluster.local", "cluster.local"};
  spec.state_dir = cluster::pod_dir(rec_.name, ns, name);
  for (const auto& c : pod["spec"]["containers"]) {
    runtime::ContainerSpec cs;
    cs.name = c["name"];
    cs.image = c["image"];
    cs.command = c.value("command", std::vector<std::string>{});
    cs.args = c.value("args", std::vector<std::string>{});
    for (const auto& e : c.value("env", Json::array()))
      cs.env.emplace_back(e["name"].get<std::string>(), e.value("value", ""));
    cs.working_dir = c.value("workingDir", "");
    cs.log_path = spec.state_dir + "/" + cs.name + ".log";
    spec.containers.push_back(std::move(cs));
  }
  auto init = runtime::start_pod(spec, podnet->netns.fd(), self_exe_);
  if (!init) {
    (void)net::delete_pod_network(*node, veth);
    used_ips_[node->name].erase(ip->value - node->pod_cidr.base.value);
    return std::unexpected(init.error().context("pod " + name));
  }
  // `lab exec`, `lab logs` and a restarted daemon find the pod's processes through this file.
  (void)write_file(spec.state_dir + "/init.pid", std::to_string(*init) + "\n", 0600);

  RunningPod rp;
  rp.init_pid = *init;
  rp.pidfd = UniqueFd(pidfd_open(*init));
  rp.node = node->name;
  rp.veth = veth;
  rp.ip = *ip;
  rp.state_dir = spec.state_dir;
  std::string now = now_rfc3339();
  for (const auto& c : pod["spec"]["containers"]) {
    ContainerState cs;
    cs.started_at = now;
    if (c.contains("readinessProbe")) cs.readiness.emplace(c["readinessProbe"], Clock::now());
    if (c.contains("livenessProbe")) cs.liveness.emplace(c["livenessProbe"], Clock::now());
    if (cs.liveness) cs.liveness->assume(true);
    rp.containers.push_back(std::move(cs));
    event(pod, "Normal", "Pulled", "Container image \"" + c.value("image", "") + "\" already present on machine");
    event(pod, "Normal", "Created", "Created container " + c.value("name", ""));
    event(pod, "Normal", "Started", "Started container " + c.value("name", ""));
  }
  pod["status"] = {{"phase", "Running"},
                   {"hostIP", node->ip.str()},
                   {"hostIPs", Json::array({{{"ip", node->ip.str()}}})},
                   {"podIP", ip->str()},
                   {"podIPs", Json::array({{{"ip", ip->str()}}})},
                   {"startTime", now},
                   {"qosClass", "BestEffort"}};
  auto stored = store_.update(pod);
  auto& slot = running_[uid];
  slot = std::move(rp);
  if (stored) refresh_status(*stored, slot);
  return {};
}

void Kubelet::refresh_status(const Json& pod, RunningPod& rp) {
  std::string now = now_rfc3339();
  const net::Netns* node_ns = node_netns(rp.node);
  Json statuses = Json::array();
  bool all_ready = true;
  const auto& specs = pod["spec"]["containers"];
  for (size_t i = 0; i < specs.size() && i < rp.containers.size(); ++i) {
    const auto& c = specs[i];
    auto& cs = rp.containers[i];
    std::string name = c.value("name", "");
    int restarts = read_int(rp.state_dir + "/" + name + ".restarts", 0);
    if (restarts != cs.restarts) {
      // The pod init restarted it: remember how the last run ended; probes start over.
      int code = read_int(rp.state_dir + "/" + name + ".last-exit", 0);
      cs.last_terminated = {{"exitCode", code}, {"reason", code == 0 ? "Completed" : "Error"},
                            {"startedAt", cs.started_at}, {"finishedAt", now}};
      cs.restarts = restarts;
      cs.started_at = now;
      if (c.contains("readinessProbe")) cs.readiness.emplace(c["readinessProbe"], Clock::now());
      if (c.contains("livenessProbe")) {
        cs.liveness.emplace(c["livenessProbe"], Clock::now());
        cs.liveness->assume(true);
      }
    }
    auto pid = runtime::container_pid(rp.init_pid, rp.state_dir, name);
    bool running = pid.has_value();
    if (running && node_ns && (cs.readiness || cs.liveness)) {
      ProbeTarget target{node_ns->fd(), rp.ip.str(), *pid, self_exe_, c};
      auto now_tp = Clock::now();
      if (cs.readiness && cs.readiness->due(now_tp)) {
        auto out = run_probe(cs.readiness->spec(), target);
        cs.readiness->record(out.success, now_tp);
        if (!out.success) event(pod, "Warning", "Unhealthy", "Readiness probe failed: " + out.message);
      }
      if (cs.liveness && cs.liveness->due(now_tp)) {
        auto out = run_probe(cs.liveness->spec(), target);
        if (cs.liveness->record(out.success, now_tp) && !cs.liveness->healthy()) {
          event(pod, "Warning", "Unhealthy", "Liveness probe failed: " + out.message);
          event(pod, "Normal", "Killing",
                "Container " + name + " failed liveness probe, will be restarted");
          ::kill(*pid, SIGKILL);  // the pod init restarts it, as the kubelet would
        }
      }
    }
    bool ready = running && (!cs.readiness || cs.readiness->healthy());
    all_ready = all_ready && ready;
    Json state = running ? Json{{"running", {{"startedAt", cs.started_at}}}}
                         : Json{{"waiting", {{"reason", restarts > 0 ? "CrashLoopBackOff" : "ContainerCreating"}}}};
    Json st = {{"name", name},
               {"image", c.value("image", "")},
               {"imageID", ""},
               {"containerID", "lab://" + pod["metadata"].value("uid", "").substr(0, 8) + "-" + name},
               {"ready", ready},
               {"started", running},
               {"restartCount", restarts},
               {"state", state},
               {"lastState", cs.last_terminated.is_null() ? Json::object()
                                                          : Json{{"terminated", cs.last_terminated}}}};
    statuses.push_back(st);
  }
  Json status = pod.value("status", Json::object());
  Json old_statuses = status.value("containerStatuses", Json::array());
  Json old_conditions = status.value("conditions", Json::array());
  Json conditions = Json::array();
  for (const char* type : {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
    bool value = std::string(type) == "Ready" || std::string(type) == "ContainersReady" ? all_ready : true;
    std::string when = now;
    for (const auto& oc : old_conditions)
      if (oc.value("type", "") == type && oc.value("status", "") == (value ? "True" : "False"))
        when = oc.value("lastTransitionTime", now);
    conditions.push_back({{"type", type}, {"status", value ? "True" : "False"}, {"lastTransitionTime", when}});
  }
  if (statuses == old_statuses && conditions == old_conditions) return;
  Json updated = pod;
  updated["status"]["containerStatuses"] = statuses;
  updated["status"]["conditions"] = conditions;
  (void)store_.update(updated);
}

void Kubelet::stop(const Json& pod, RunningPod& rp) {
  if (!rp.stopping) {
    // Graceful: SIGTERM to the pod init, which forwards it to the containers; SIGKILL after the
    // grace period, as the kubelet's killContainer does.
    rp.stopping = true;
    int grace = pod["metadata"].value("deletionGracePeriodSeconds",
                                      pod["spec"].value("terminationGracePeriodSeconds", 30));
    rp.kill_at = Clock::now() + std::chrono::seconds(grace);
    for (const auto& c : pod["spec"]["containers"])
      event(pod, "Normal", "Killing", "Stopping container " + c.value("name", ""));
    if (grace > 0) ::kill(rp.init_pid, SIGTERM);
  }
  if (!exited(rp.pidfd) && Clock::now() < rp.kill_at) return;
  (void)runtime::kill_pod(rp.init_pid);
  release(rp);
  std::string uid = pod["metadata"].value("uid", "");
  (void)store_.remove("Pod", pod["metadata"].value("namespace", "default"), pod["metadata"]["name"]);
  running_.erase(uid);
}

void Kubelet::adopt() {
  for (const auto& pod : store_.list("Pod", "")) {
    const auto* node = find_node(pod["spec"].value("nodeName", ""));
    std::string ip_text = pod.value("status", Json::object()).value("podIP", "");
    if (!node || ip_text.empty()) continue;
    std::string ns = pod["metadata"].value("namespace", "default"), name = pod["metadata"]["name"];
    std::string dir = cluster::pod_dir(rec_.name, ns, name);
    pid_t init = read_int(dir + "/init.pid", 0);
    auto cmdline = read_file("/proc/" + std::to_string(init) + "/cmdline");
    auto ip = net::Ipv4::parse(ip_text);
    std::string uid = pod["metadata"].value("uid", "");
    if (init <= 0 || !cmdline || !ip || cmdline->find("--pod=" + ns + "/" + name) == std::string::npos ||
        cmdline->find("--lab=" + rec_.name) == std::string::npos) {
      // Its processes are gone: clear what is left so the next pass starts it afresh.
      (void)net::delete_pod_network(*node, host_veth_name(uid));
      Json fresh = pod;
      fresh["status"] = {{"phase", "Pending"}};
      (void)store_.update(fresh);
      continue;
    }
    RunningPod rp;
    rp.init_pid = init;
    rp.pidfd = UniqueFd(pidfd_open(init));
    rp.node = node->name;
    rp.veth = host_veth_name(uid);
    rp.ip = *ip;
    rp.state_dir = dir;
    const auto& statuses = pod["status"].value("containerStatuses", Json::array());
    for (size_t i = 0; i < pod["spec"]["containers"].size(); ++i) {
      const auto& c = pod["spec"]["containers"][i];
      ContainerState cs;
      Json st = i < statuses.size() ? statuses[i] : Json::object();
      cs.restarts = st.value("restartCount", 0);
      cs.started_at = st.value("state", Json::object()).value("running", Json::object()).value("startedAt", now_rfc3339());
      cs.last_terminated = st.value("lastState", Json::object()).value("terminated", Json());
      if (c.contains("readinessProbe")) {
        cs.readiness.emplace(c["readinessProbe"], Clock::now());
        cs.readiness->assume(st.value("ready", false));
      }
      if (c.contains("livenessProbe")) {
        cs.liveness.emplace(c["livenessProbe"], Clock::now());
        cs.liveness->assume(true);
      }
      rp.containers.push_back(std::move(cs));
    }
    used_ips_[node->name].insert(ip->value - node->pod_cidr.base.value);
    running_[uid] = std::move(rp);
  }
}

void Kubelet::sync_once() {
  std::set<std::string> seen;
  for (const auto& pod : store_.list("Pod", "")) {
    if (!find_node(pod["spec"].value("nodeName", ""))) continue;
    std::string uid = pod["metadata"].value("uid", "");
    seen.insert(uid);
    auto it = running_.find(uid);
    if (api::is_terminating(pod)) {
      if (it == running_.end())
        (void)store_.remove("Pod", pod["metadata"].value("namespace", "default"), pod["metadata"]["name"]);
      else
        stop(pod, it->second);
      continue;
    }
    if (it != running_.end() && exited(it->second.pidfd)) {
      // The pod's init died (killed from outside): start the pod again, as a new sandbox.
      release(it->second);
      running_.erase(it);
      it = running_.end();
    }
    if (it == running_.end()) {
      std::string phase = pod.value("status", Json::object()).value("phase", "Pending");
      if (phase == "Succeeded" || phase == "Failed") continue;
      if (auto r = start(pod); !r) {
        event(pod, "Warning", "Failed", r.error().what());
        Json failed = pod;
        failed["status"] = {{"phase", "Failed"}, {"reason", "StartError"}, {"message", r.error().what()}};
        (void)store_.update(failed);
      }
      continue;
    }
    refresh_status(pod, it->second);
  }
  // Pods whose objects vanished without a graceful delete (forced): kill them now.
  for (auto it = running_.begin(); it != running_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    (void)runtime::kill_pod(it->second.init_pid);
    release(it->second);
    it = running_.erase(it);
  }
}

void Kubelet::run_loop(const std::atomic<bool>& stop) {
  uint64_t seen = 0;
  while (!stop) {
    seen = store_.version();
    sync_once();
    // Probes and restarts need a look now and then even when nothing changes in the store.
    (void)store_.events_since(seen, 100);
  }
}

bool Kubelet::wait_ports(const Json& pod, int timeout_ms) const {
  const auto* node = find_node(pod["spec"].value("nodeName", ""));
  std::string ip = pod.value("status", Json::object()).value("podIP", "");
  if (!node || ip.empty()) return false;
  auto ns = net::Netns::open_named(node->netns_name);
  if (!ns) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& c : pod["spec"]["containers"]) {
    for (const auto& p : c.value("ports", Json::array())) {
      if (p.value("protocol", "TCP") != "TCP") continue;
      while (!connect_from_node(ns->fd(), ip, p.value("containerPort", 0), 100)) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }
  return true;
}

void Kubelet::stop_all() {
  for (auto& [uid, rp] : running_) (void)runtime::kill_pod(rp.init_pid);
  running_.clear();
}

std::vector<Json> Kubelet::node_objects() const {
  utsname u{};
  ::uname(&u);
  std::vector<Json> out;
  for (const auto& n : rec_.plan.nodes) {
    out.push_back(
        {{"apiVersion", "v1"},
         {"kind", "Node"},
         {"metadata",
          {{"name", n.name},
           {"labels",
            {{"kubernetes.io/hostname", n.name},
             {"kubernetes.io/os", "linux"},
             {"kubernetes.io/arch", "amd64"},
             {"beta.kubernetes.io/os", "linux"},
             {"beta.kubernetes.io/arch", "amd64"}}},
           {"annotations", {{"lab.dev/netns", n.netns_name}}}}},
         {"spec", {{"podCIDR", n.pod_cidr.str()}, {"podCIDRs", Json::array({n.pod_cidr.str()})}}},
         {"status",
          {{"addresses",
            Json::array({{{"type", "InternalIP"}, {"address", n.ip.str()}},
                         {{"type", "Hostname"}, {"address", n.name}}})},
           {"conditions",
            Json::array({{{"type", "Ready"},
                          {"status", "True"},
                          {"reason", "KubeletReady"},
                          {"message", "kubelet is posting ready status"},
                          {"lastTransitionTime", now_rfc3339()}}})},
           {"nodeInfo",
            {{"kubeletVersion", "v1.31.0-lab"},
             {"osImage", "lab (host binaries)"},
             {"kernelVersion", u.release},
             {"containerRuntimeVersion", "lab://0.1.0"},
             {"operatingSystem", "linux"},
             {"architecture", "amd64"}}}}}});
  }
  return out;
}

}  // namespace lab::node
