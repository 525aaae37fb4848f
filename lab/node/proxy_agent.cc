// Services and EndpointSlices to nft, per node, on every store change; plus the MetalLB-style
// layer-2 announcement of LoadBalancer addresses.
#include "lab/node/proxy_agent.h"

#include <cstdio>
#include <thread>

#include "lab/base/clock.h"
#include "lab/controllers/service_lb.h"
#include "netns/addr.h"

namespace lab::node {

using Json = nlohmann::json;

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
    if (auto r = np.proxier->sync(view); !r) {
      all_good = false;
      std::fprintf(stderr, "%s proxy %s: %s\n", now_rfc3339().c_str(), plan.name.c_str(), r.error().what().c_str());
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
      if (auto a = net::Ipv4::parse(*it)) (void)net::delete_address(*np.nl, "eth0", *a, 32);
      it = np.announced.erase(it);
    }
  }
  return all_good;
}

void ProxyAgent::run_loop(const std::atomic<bool>& stop) {
  uint64_t seen = 0;
  bool listed = false, retry = false;
  while (!stop) {
    bool expired = false;
    auto events = store_.events_since(seen, listed ? 1000 : 0, &expired);
    bool changed = false;
    if (!listed || expired) {
      // Relist: everything up to `now` is in the lists; later events come through the log.
      uint64_t now = store_.version();
      cache_.relist(store_);
      seen = now;
      listed = changed = true;
    } else if (!events.empty()) {
      changed = cache_.apply(events);
      seen = events.back().version;
    }
    if (changed || retry) retry = !sync_nodes();
    synced_ = seen;
  }
}

}  // namespace lab::node
