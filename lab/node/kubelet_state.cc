// The kubelet's shared bookkeeping and what the daemon asks of it: the pods it runs, addresses
// per node and node netns handles (all under mu_, held only for the bookkeeping itself, never
// across netlink, spawning or store calls), adoption of pods an earlier daemon started, the
// lab's teardown, and the answers for `lab up` (Node objects, open ports, counts).
#include <signal.h>
#include <sys/utsname.h>

#include <cstring>
#include <exception>
#include <set>
#include <thread>

#include "lab/api/json_access.h"
#include "lab/api/version.h"
#include "lab/node/kubelet.h"
#include "lab/node/node_health.h"
#include "lab/node/kubelet_internal.h"
#include "lab/node/pod_status.h"
#include "netns/fabric.h"
#include "runtime/proc.h"
#include "runtime/spawn.h"

namespace lab::node {

using detail::log_line;

const net::NodePlan* Kubelet::find_node(const std::string& name) const {
  // rec_ never changes after construction: no lock needed.
  for (const auto& n : rec_.plan.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

Result<net::Ipv4> Kubelet::allocate_ip(const net::NodePlan& node, std::optional<net::Ipv4> preferred) {
  std::lock_guard lock(mu_);
  auto& used = used_ips_[node.name];
  if (preferred && node.pod_cidr.contains(*preferred)) {
    uint32_t i = preferred->value - node.pod_cidr.base.value;
    if (i >= 2 && i < node.pod_cidr.size() - 1 && !used.contains(i)) {
      used.insert(i);
      return *preferred;
    }
  }
  // .1 is cbr0, the last is broadcast. Round-robin from the last one handed out, as host-local
  // IPAM does, so a replacement pod usually gets a new address.
  uint32_t span = static_cast<uint32_t>(node.pod_capacity());
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

void Kubelet::release_ip(const std::string& node, net::Ipv4 ip) {
  const auto* plan = find_node(node);
  if (!plan) return;
  std::lock_guard lock(mu_);
  used_ips_[node].erase(ip.value - plan->pod_cidr.base.value);
}

std::shared_ptr<const net::Netns> Kubelet::node_netns(const std::string& node) {
  {
    std::lock_guard lock(mu_);
    if (auto it = node_netns_.find(node); it != node_netns_.end()) return it->second;
  }
  const auto* plan = find_node(node);
  if (!plan) return nullptr;
  auto ns = net::Netns::open_named(plan->netns_name);  // a file open: outside the lock
  if (!ns) {
    log_line("node " + node + ": " + ns.error().what());
    return nullptr;
  }
  std::lock_guard lock(mu_);
  // Another worker may have opened it meanwhile; keep the first, so every prober shares one.
  return node_netns_.emplace(node, std::make_shared<const net::Netns>(std::move(*ns))).first->second;
}

Kubelet::RecordPtr Kubelet::record_of(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = running_.find(key);
  return it == running_.end() ? nullptr : it->second;
}

void Kubelet::track(const RecordPtr& rec, const std::vector<bool>& assume_ready) {
  {
    std::lock_guard lock(mu_);
    running_[rec->key] = rec;
  }
  prober_.add_pod(rec->probed, assume_ready);
  exits_.watch(rec->pidfd.get(), rec->key);
}

void Kubelet::forget(const RecordPtr& rec) {
  exits_.unwatch(rec->pidfd.get());
  prober_.remove_pod(rec->uid);
  std::lock_guard lock(mu_);
  if (auto it = running_.find(rec->key); it != running_.end() && it->second == rec) running_.erase(it);
}

void Kubelet::release_network(const PodRecord& rec) {
  // The veth goes first: its address is free for another pod only once nothing holds it.
  if (const auto* node = find_node(rec.node))
    if (auto r = net::delete_pod_network(*node, rec.veth); !r) log_line("pod " + rec.key + ": " + r.error().what());
  release_ip(rec.node, rec.ip);
}

size_t Kubelet::running_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, rec] : running_) n += rec->stopping ? 0 : 1;
  return n;
}

PodCounts Kubelet::pod_counts() const {
  PodCounts c;
  for (const auto& pod : pods_.list()) {
    std::string phase = pod_phase(*pod);
    if (phase == "Running") ++c.running;
    else if (phase == "Failed") ++c.failed;
    else if (phase == "Succeeded") ++c.succeeded;
    else ++c.pending;
  }
  return c;
}

void Kubelet::stop_all() {
  stop();
  std::map<std::string, RecordPtr> all;
  {
    std::lock_guard lock(mu_);
    all.swap(running_);
  }
  // The fabric's teardown removes the node netns and with them every veth; only the processes,
  // which live in their own netns, need killing here. SIGKILL to all first, so the kernel tears
  // the pods down together; kill_pod then only waits for each to be gone. The pidfd pins the
  // process: a signal never reaches a reused pid.
  for (const auto& [key, rec] : all)
    if (rec->pidfd && ::syscall(SYS_pidfd_send_signal, rec->pidfd.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
      log_line("pod " + key + ": SIGKILL: " + std::strerror(errno));
  for (const auto& [key, rec] : all)
    if (auto r = runtime::kill_pod(rec->init_pid); !r) log_line("pod " + key + ": " + r.error().what());
}

void Kubelet::adopt() {
  if (auto r = exits_.start(); !r) log_line("exit watcher: " + r.error().what());
  for (const auto& pod : registry_.store().list("Pod", "")) {
    try {
      adopt_pod(pod);
    } catch (const std::exception& e) {
      // A stored pod the kubelet cannot read: left to its sync, which skips it the same way.
      log_line("pod " + store::Informer::key_of(pod) + ": not adopted: " + e.what());
    }
  }
  // A pod init no record names was started by a daemon that died before it could note it (its
  // init.pid or the pod's status): nobody owns its processes or its address any more. The pod,
  // if it still exists, starts afresh on its first sync.
  if (auto r = runtime::kill_pod_starters(rec_.name); !r) log_line(r.error().what());
  std::set<pid_t> adopted;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, rec] : running_) adopted.insert(rec->init_pid);
  }
  for (pid_t pid : runtime::find_pod_inits(rec_.name)) {
    if (adopted.contains(pid)) continue;
    log_line("pod init " + std::to_string(pid) + " of no known pod: killing it");
    if (auto r = runtime::kill_pod(pid); !r) log_line(r.error().what());
  }
}

void Kubelet::adopt_pod(const Json& pod) {
  using api::member;
  using api::string_at;
  const auto* node = find_node(pod_node(pod));
  const Json& status = member(pod, "status");
  const std::string ip_text = string_at(status, "podIP");
  if (!node || ip_text.empty()) return;
  const std::string ns = pod_namespace(pod), name = pod_name(pod), uid = pod_uid(pod);
  const std::string dir = cluster::pod_dir(rec_.name, ns, name);
  pid_t init = runtime::read_init_pid(dir).value_or(0);
  auto cmdline = init > 0 ? read_file("/proc/" + std::to_string(init) + "/cmdline") : Result<std::string>();
  auto ip = net::Ipv4::parse(ip_text);
  if (init <= 0 || !cmdline || !ip || cmdline->find("--pod=" + ns + "/" + name) == std::string::npos ||
      cmdline->find("--lab=" + rec_.name) == std::string::npos) {
    // Its processes are gone: clear what is left so that its first sync starts it afresh.
    if (auto r = net::delete_pod_network(*node, detail::host_veth_name(uid)); !r) log_line(r.error().what());
    auto w = write_status(pod, uid, [](const Json&) { return Json{{"phase", "Pending"}}; });
    if (!w) log_line("pod " + ns + "/" + name + ": status: " + w.error().what());
    return;
  }
  auto rec = std::make_shared<PodRecord>();
  rec->key = store::Informer::key_of(pod);
  rec->uid = uid;
  rec->ns = ns;
  rec->name = name;
  rec->node = node->name;
  rec->veth = detail::host_veth_name(uid);
  rec->state_dir = dir;
  rec->start_time = string_at(status, "startTime");
  if (rec->start_time.empty()) rec->start_time = now_rfc3339();
  rec->init_pid = init;
  rec->pidfd = runtime::open_pidfd(init);
  rec->ip = *ip;
  // By name: the containers' statuses as the earlier daemon last wrote them.
  std::map<std::string, Json> statuses;
  if (const Json& list = member(status, "containerStatuses"); list.is_array())
    for (const auto& st : list) statuses[string_at(st, "name")] = st;
  std::vector<bool> assume_ready;
  const Json& containers = pod.at("spec").at("containers");
  for (const auto& c : containers) {
    const Json& st = statuses[string_at(c, "name")];
    ContainerRecord cr{string_at(c, "name"), 0, 0, now_rfc3339(), Json()};
    if (const Json& n = member(st, "restartCount"); n.is_number_integer()) cr.restarts = n.get<int>();
    // The pod init counts the restarts of its own sandbox; earlier sandboxes' are the rest.
    int in_sandbox = detail::read_int_file(dir + "/" + cr.name + ".restarts", 0);
    cr.restart_base = std::max(0, cr.restarts - in_sandbox);
    if (auto t = string_at(member(member(st, "state"), "running"), "startedAt"); !t.empty()) cr.started_at = t;
    cr.last_terminated = member(member(st, "lastState"), "terminated");
    assume_ready.push_back(member(st, "ready") == true);
    rec->containers.push_back(std::move(cr));
  }
  rec->probed = std::make_shared<const ProbedPod>(
      ProbedPod{rec->key, uid, node_netns(node->name), ip_text, dir, self_exe_, init, containers});
  {
    std::lock_guard lock(mu_);
    used_ips_[node->name].insert(ip->value - node->pod_cidr.base.value);
  }
  track(rec, assume_ready);
}

bool Kubelet::wait_ports(const Json& pod, int timeout_ms) const {
  const auto* node = find_node(pod_node(pod));
  std::string ip = api::string_at(api::member(pod, "status"), "podIP");
  if (!node || ip.empty()) return false;
  auto ns = net::Netns::open_named(node->netns_name);
  if (!ns) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& c : pod.at("spec").at("containers")) {
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

Result<void> Kubelet::register_nodes() {
  for (const Json& node : node_objects()) {
    const std::string name = node["metadata"]["name"];
    auto got = registry_.get("Node", "", name);
    if (!got && got.error().reason != Reason::NotFound) return std::unexpected(got.error().context("node " + name));
    if (!got) {
      auto created = registry_.create(node);
      if (!created && created.error().reason != Reason::AlreadyExists)
        return std::unexpected(created.error().context("register node " + name));
    }
    auto r = registry_.retry_update(
        "Node", "", name,
        [&](Json& obj) {
          Json want = node["status"];
          // A condition whose status is unchanged keeps the time it last changed.
          const Json old = obj.value("status", Json::object()).value("conditions", Json::array());
          for (auto& c : want["conditions"])
            for (const auto& oc : old)
              if (oc.is_object() && oc.value("type", "") == c["type"] && oc.value("status", "") == c["status"])
                c["lastTransitionTime"] = oc.value("lastTransitionTime", c["lastTransitionTime"].get<std::string>());
          if (obj.value("status", Json()) == want) return false;
          obj["status"] = std::move(want);
          return true;
        },
        /*status=*/true);
    if (!r) return std::unexpected(r.error().context("node " + name + " status"));
  }
  return {};
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
            // The host reaches a node at its node-network address, so that address is also
            // the ExternalIP a NodePort is tried at from outside the cluster (the tutorial's
            // `curl https://<EXTERNAL-IP>:<NODE-PORT>`), as a cloud node lists both.
            Json::array({{{"type", "InternalIP"}, {"address", n.ip.str()}},
                         {{"type", "ExternalIP"}, {"address", n.ip.str()}},
                         {{"type", "Hostname"}, {"address", n.name}}})},
           {"conditions", Json::array({ready_condition(std::nullopt, now_rfc3339())})},
           {"nodeInfo",
            {{"kubeletVersion", api::git_version()},
             {"kubeProxyVersion", api::git_version()},
             {"osImage", "lab (host binaries)"},
             {"kernelVersion", u.release},
             {"containerRuntimeVersion", "lab://0.1.0"},
             {"operatingSystem", "linux"},
             {"architecture", "amd64"}}}}}});
  }
  return out;
}

}  // namespace lab::node
