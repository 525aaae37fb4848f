// Services and EndpointSlices to nft, per node, on every change the shared informers see; plus
// the MetalLB-style layer-2 announcement of LoadBalancer addresses.
#include "lab/node/proxy_agent.h"

#include <cerrno>
#include <set>
#include <thread>

#include "lab/api/json_access.h"
#include "lab/api/labels.h"
#include "lab/base/log.h"
#include "netns/addr.h"

namespace lab::node {

using Json = nlohmann::json;

bool proxied(const Json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return true;
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return true;
  return !labels->contains(kServiceProxyName) && !labels->contains(api::kHeadlessLabel);
}

bool ProxyAgent::sync_nodes() {
  bool all_good = true;
  proxy::NodeView& view = cache_.view();  // shared: each node only sets its own address
  auto announce = cache_.announcements();
  for (const auto& plan : rec_.plan.nodes) {
    auto& np = nodes_[plan.name];
    if (!np.proxier || !np.nl) {
      auto ns = net::Netns::open_named(plan.netns_name);
      if (ns) {
        if (auto p = proxy::Proxier::open_in(*ns)) np.proxier.emplace(std::move(*p));
        if (auto s = net::NlSocket::open_in(*ns)) np.nl.emplace(std::move(*s));
      }
      if (!np.proxier || !np.nl) {
        all_good = false;
        continue;
      }
    }
    view.node_ips = {plan.ip.str()};
    view.node_name = plan.name;  // whose endpoints are local for the Local traffic policies
    if (auto hp = host_ports_.find(plan.name); hp != host_ports_.end())
      view.host_ports = hp->second;
    else
      view.host_ports.clear();
    // What the kernel had before this sync, compared before the proxier replaces it.
    std::vector<proxy::StaleUdpFlow> stale;
    if (const auto& applied = np.proxier->applied()) stale = proxy::stale_udp_flows(*applied, view);
    if (auto r = np.proxier->sync(view); !r) {
      all_good = false;
      log_line("proxy " + plan.name + ": " + r.error().what());
    } else if (!stale.empty()) {
      // After the rules: a flow deleted earlier could be re-created towards the old endpoint.
      flush_stale_flows(plan, np, stale);
    }
    const auto& want = announce[plan.name];
    for (const auto& ip : want)
      if (!np.announced.contains(ip))
        if (auto a = net::Ipv4::parse(ip)) {
          auto r = net::add_address(*np.nl, "eth0", *a, 32);
          if (r || r.error().code == EEXIST) np.announced.insert(ip);
        }
    for (auto it = np.announced.begin(); it != np.announced.end();) {
      if (want.contains(*it)) {
        ++it;
        continue;
      }
      if (auto a = net::Ipv4::parse(*it))
        if (auto r = net::delete_address(*np.nl, "eth0", *a, 32); !r && r.error().code != EADDRNOTAVAIL)
          log_line("proxy " + plan.name + ": remove LoadBalancer address " + *it + ": " + r.error().what());
      it = np.announced.erase(it);
    }
  }
  sync_health_checks();
  return all_good;
}

void ProxyAgent::sync_health_checks() {
  const std::map<std::string, int>& ports = cache_.health_check_ports();
  // Per Service and node, the distinct ready endpoints (address:port) on that node, over all the
  // Service's ports: kube-proxy's LocalReadyEndpoints. Terminating ones do not count.
  std::map<std::string, std::map<std::string, std::set<std::string>>> ready;  // key -> node -> ep
  for (const auto& [key, port] : ports)
    for (const auto& sp : cache_.view_ports(key))
      for (const auto& ep : sp.endpoints)
        if (ep.ready && !ep.node_name.empty()) ready[key][ep.node_name].insert(ep.ip + ":" + std::to_string(ep.port));
  std::map<std::string, HealthCheckNode> want;
  for (const auto& plan : rec_.plan.nodes) {
    HealthCheckNode& n = want[plan.name];
    n.netns_name = plan.netns_name;
    n.ip = plan.ip.str();
    for (const auto& [key, port] : ports) {
      auto by_node = ready.find(key);
      int count = 0;
      if (by_node != ready.end())
        if (auto eps = by_node->second.find(plan.name); eps != by_node->second.end()) count = static_cast<int>(eps->second.size());
      n.services[key] = {port, count};
    }
  }
  health_.update(std::move(want));
}

void ProxyAgent::flush_stale_flows(const net::NodePlan& plan, NodeProxy& np,
                                   const std::vector<proxy::StaleUdpFlow>& stale) {
  auto log = [&](const std::string& msg) {
    log_line("proxy " + plan.name + ": conntrack: " + msg);
  };
  if (!np.conntrack) {
    auto ns = net::Netns::open_named(plan.netns_name);
    if (!ns) return log(ns.error().what());
    auto ct = net::Conntrack::open_in(*ns);
    if (!ct) return log(ct.error().what());
    np.conntrack.emplace(std::move(*ct));
  }
  std::vector<net::ConntrackFilter> filters;
  for (const auto& f : stale)
    filters.push_back({17, f.dst_ip, static_cast<uint16_t>(f.dst_port), f.endpoint_ip});
  if (auto r = np.conntrack->delete_matching(filters); !r) {
    log(r.error().what());
    np.conntrack.reset();  // reopened next time: the node's netns may have been remade
  }
}

ProxyAgent::ProxyAgent(cluster::LabRecord rec, store::InformerFactory& informers)
    : rec_(std::move(rec)), informers_(informers), cache_(rec_.plan.pod_cidr, rec_.plan.service_cidr) {
  auto queue = [this](const store::ObjPtr& old, const store::ObjPtr& cur) {
    // kube-proxy's informers list with a label selector: an object that stops matching it is
    // gone for the proxy (its rules are removed), one that starts matching it is new.
    const bool was = old && proxied(*old), is = cur && proxied(*cur);
    if (!was && !is) return;
    std::lock_guard lock(mu_);
    pending_.push_back({was ? (is ? "MODIFIED" : "DELETED") : "ADDED", is ? cur : old, 0});
  };
  informers.informer("Service").add_handler(queue);
  informers.informer("EndpointSlice").add_handler(queue);
  // hostPorts (the portmap plugin's job in Kubernetes): only pods that have or had one matter,
  // so the handler keeps their mappings itself and wakes the agent only when they change.
  informers.informer("Pod").add_handler([this](const store::ObjPtr& old, const store::ObjPtr& cur) {
    const store::ObjPtr& any = cur ? cur : old;
    if (!any) return;
    PodHostPorts want = cur ? pod_host_ports(*cur) : PodHostPorts{};
    const auto& meta = api::metadata_of(*any);
    const std::string key = api::string_at(meta, "namespace") + "/" + api::string_at(meta, "name");
    std::lock_guard lock(mu_);
    auto it = pod_host_ports_.find(key);
    if (want.mappings.empty()) {
      if (it == pod_host_ports_.end()) return;
      pod_host_ports_.erase(it);
    } else {
      if (it != pod_host_ports_.end() && it->second == want) return;
      pod_host_ports_[key] = std::move(want);
    }
    host_ports_dirty_ = true;
  });
}

void ProxyAgent::run_loop(const std::atomic<bool>& stop) {
  bool retry = false;
  health_.start();
  while (!stop) {
    // Handlers run before the factory publishes a version: every change up to v is in pending_
    // once v is read, so after applying them the rules match the store as of v.
    const uint64_t v = informers_.synced_version();
    std::vector<store::Event> events;
    bool host_ports_changed = false;
    {
      std::lock_guard lock(mu_);
      events.swap(pending_);
      if (host_ports_dirty_) {
        // By node, in pod key order: the first pod claiming a port wins, the same on every sync.
        host_ports_changed = true;
        host_ports_dirty_ = false;
        host_ports_.clear();
        for (const auto& [key, hp] : pod_host_ports_)
          host_ports_[hp.node].insert(host_ports_[hp.node].end(), hp.mappings.begin(), hp.mappings.end());
      }
    }
    if (!events.empty()) cache_.apply(events);
    if (!events.empty() || retry || host_ports_changed) retry = !sync_nodes();
    synced_ = v;
    // The factory publishes a new version after every batch, whether or not it concerned us:
    // waking on that keeps synced_ current for `lab up`, and catches our handlers' changes.
    informers_.wait_synced(v + 1, retry ? 200 : 1000);
  }
  health_.stop();  // its sockets hold the nodes' netns: closed before the lab is taken down
}

}  // namespace lab::node
