// Pod realization: address from the node's /24, veth into cbr0, the pod init with its containers,
// and the status a kubelet would post. Mirrors the kubelet's SyncPod in the smallest form.
#include "lab/node/kubelet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "lab/store/store.h"
#include "netns/link.h"
#include "runtime/spawn.h"

namespace lab::node {

const net::NodePlan* Kubelet::find_node(const std::string& name) const {
  for (const auto& n : rec_.plan.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

Result<net::Ipv4> Kubelet::allocate_ip(const net::NodePlan& node) {
  auto& used = used_ips_[node.name];
  // .1 is cbr0; .255 broadcast. Lowest free first, like host-local IPAM after a restart.
  for (uint32_t i = 2; i < node.pod_cidr.size() - 1; ++i) {
    if (used.contains(i)) continue;
    used.insert(i);
    return node.pod_cidr.at(i);
  }
  return fail("node " + node.name + ": pod CIDR " + node.pod_cidr.str() + " is exhausted");
}

static std::string host_veth_name(const std::string& uid) {
  // Unique per pod and <= 15 chars; derived from the uid so a restarted daemon can find it.
  uint32_t h = 2166136261u;
  for (unsigned char c : uid) h = (h ^ c) * 16777619u;
  char buf[16];
  std::snprintf(buf, sizeof buf, "veth%08x", h);
  return buf;
}

Result<Json> Kubelet::start_pod(const Json& pod_in) {
  Json pod = pod_in;
  const auto& meta = pod["metadata"];
  std::string name = meta["name"], ns = meta.value("namespace", "default");
  std::string uid = meta.value("uid", "");
  const auto* node = find_node(pod["spec"].value("nodeName", ""));
  if (!node) return fail("pod " + name + " is not bound to a node of this lab");

  auto ip = allocate_ip(*node);
  if (!ip) return std::unexpected(ip.error());
  auto release_ip = [&] { used_ips_[node->name].erase(ip->value - node->pod_cidr.base.value); };

  std::string veth = host_veth_name(uid);
  auto podnet = net::create_pod_network(rec_.plan, *node, *ip, veth);
  if (!podnet) {
    release_ip();
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
    release_ip();
    return std::unexpected(init.error().context("pod " + name));
  }
  // `lab exec` and `lab down` find the pod's processes through this file.
  (void)write_file(spec.state_dir + "/init.pid", std::to_string(*init) + "\n", 0600);
  running_[uid] = {*init, node->name, veth, *ip};

  std::string now = store::now_rfc3339();
  Json statuses = Json::array();
  for (const auto& c : pod["spec"]["containers"])
    statuses.push_back({{"name", c["name"]},
                        {"image", c["image"]},
                        {"imageID", ""},
                        {"containerID", "lab://" + uid.substr(0, 8) + "-" + c["name"].get<std::string>()},
                        {"ready", true},
                        {"started", true},
                        {"restartCount", 0},
                        {"state", {{"running", {{"startedAt", now}}}}}});
  Json cond = Json::array();
  for (const char* type : {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                           "PodScheduled"})
    cond.push_back({{"type", type}, {"status", "True"}, {"lastTransitionTime", now}});
  pod["status"] = {{"phase", "Running"},
                   {"hostIP", node->ip.str()},
                   {"hostIPs", Json::array({{{"ip", node->ip.str()}}})},
                   {"podIP", ip->str()},
                   {"podIPs", Json::array({{{"ip", ip->str()}}})},
                   {"startTime", now},
                   {"qosClass", "BestEffort"},
                   {"conditions", cond},
                   {"containerStatuses", statuses}};
  return pod;
}

bool Kubelet::wait_ports(const Json& pod, int timeout_ms) {
  const auto* node = find_node(pod["spec"].value("nodeName", ""));
  std::string ip = pod["status"].value("podIP", "");
  if (!node || ip.empty()) return false;
  auto ns = net::Netns::open_named(node->netns_name);
  if (!ns) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& c : pod["spec"]["containers"]) {
    for (const auto& p : c.value("ports", Json::array())) {
      if (p.value("protocol", "TCP") != "TCP") continue;
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(p.value("containerPort", 0)));
      inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
      for (;;) {
        UniqueFd fd;
        {
          // The socket belongs to the node netns for its whole life; only its birth needs the switch.
          auto sw = net::NetnsSwitch::enter(*ns);
          if (!sw) return false;
          fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        }
        if (fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }
  return true;
}

Result<void> Kubelet::stop_pod(const Json& pod) {
  std::string uid = pod["metadata"].value("uid", "");
  auto it = running_.find(uid);
  if (it == running_.end()) return {};
  Result<void> first = runtime::kill_pod(it->second.init_pid);
  if (const auto* node = find_node(it->second.node)) {
    auto r = net::delete_pod_network(*node, it->second.host_veth);
    if (first && !r) first = r;
    used_ips_[node->name].erase(it->second.ip.value - node->pod_cidr.base.value);
  }
  running_.erase(it);
  return first;
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
                          {"lastTransitionTime", store::now_rfc3339()}}})},
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
