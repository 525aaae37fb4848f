// Times the per-node proxy against the real kernel: full load of N services (2 endpoints each),
// then single changes sent as diffs. Runs as root in a private netns it unshares for itself.
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "lab/node/service_cache.h"
#include "lab/proxy/proxier.h"
#include "lab/proxy/rules.h"
#include "lab/store/store.h"
#include "netns/nft.h"

using namespace lab;
using namespace lab::proxy;
using Clock = std::chrono::steady_clock;

namespace {

using bench::ms_since;

// CPU time of this process (user, kernel), to tell libnftables' userspace work from the
// kernel's (its cache dumps and the commit, which validates the whole table).
std::pair<double, double> cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ms = [](timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return {ms(u.ru_utime), ms(u.ru_stime)};
}

std::string ip(int a, int b, int c, int d) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." + std::to_string(d);
}

// Service i: ClusterIP 10.96.x.y:80, NodePort for every tenth, endpoints 10.244.x.y:8080.
NodeView make_view(int services) {
  NodeView v;
  v.node_ips = {"172.18.0.2"};
  v.pod_cidr = "10.244.0.0/16";
  v.service_cidr = "10.96.0.0/12";
  v.ports.reserve(services);
  for (int i = 0; i < services; ++i) {
    ServicePort sp;
    sp.ns = "bench";
    sp.service = "svc-" + std::to_string(i);
    sp.port_name = "http";
    sp.cluster_ip = ip(10, 96 + (i + 16) / 65536, ((i + 16) / 256) % 256, (i + 16) % 256);
    sp.port = 80;
    if (i % 10 == 0) sp.node_port = 30000 + i / 10;
    int e = 2 * i;
    sp.endpoints = {{ip(10, 244, e / 250 % 256, e % 250 + 2), 8080}, {ip(10, 244, (e + 1) / 250 % 256, (e + 1) % 250 + 2), 8080}};
    v.ports.push_back(std::move(sp));
  }
  return v;
}

using bench::Stats;
using bench::stats;

void print(const char* what, int n, const Stats& s, size_t runs) {
  std::printf("  %-46s median %8.2f ms   min %8.2f   max %8.2f   (%zu runs, %d services)\n", what, s.median, s.min, s.max, runs, n);
}

// One kind of change, applied `runs` times to different services; each run is one sync().
template <typename Mutate>
bool time_changes(Proxier& p, NodeView& view, int n, int runs, const char* label, Mutate mutate) {
  std::vector<double> diff_ms, sync_ms, user_ms, sys_ms;
  size_t bytes = 0;
  const char* path = "nothing sent";
  for (int r = 0; r < runs; ++r) {
    NodeView next = view;
    mutate(next, (r * 7919) % n, r);
    auto t0 = Clock::now();
    auto text = diff_ruleset(view, next);  // the in-memory part alone, for the breakdown
    diff_ms.push_back(ms_since(t0));
    if (!text) {
      std::fprintf(stderr, "diff: %s\n", text.error().what().c_str());
      return false;
    }
    auto [u0, s0] = cpu_ms();
    t0 = Clock::now();
    auto ok = p.sync(next);
    sync_ms.push_back(ms_since(t0));
    auto [u1, s1] = cpu_ms();
    user_ms.push_back(u1 - u0);
    sys_ms.push_back(s1 - s0);
    if (!ok) {
      std::fprintf(stderr, "sync (%s): %s\n", label, ok.error().what().c_str());
      return false;
    }
    if (p.last_sync().kind != Proxier::SyncInfo::kDiff && p.last_sync().kind != Proxier::SyncInfo::kEndpoints) {
      std::fprintf(stderr, "%s: expected a diff sync, got kind %d\n", label, int(p.last_sync().kind));
      return false;
    }
    bytes = p.last_sync().bytes;
    if (bytes) path = p.last_sync().kind == Proxier::SyncInfo::kEndpoints ? "netlink messages (fast path)" : "bytes of nft text";
    view = std::move(next);
  }
  std::string l = std::string(label) + " (sync)";
  print(l.c_str(), n, stats(sync_ms), sync_ms.size());
  std::string sent = bytes ? std::to_string(bytes) + " " + path : path;
  std::printf("  %-46s median CPU: user %.2f ms, kernel %.2f ms; %s\n", "", stats(user_ms).median, stats(sys_ms).median,
              sent.c_str());
  l = std::string(label) + " (diff text only)";
  print(l.c_str(), n, stats(diff_ms), diff_ms.size());
  return true;
}

bool run_size(int n, int runs) {
  std::printf("%d services x 2 endpoints (NodePort on every tenth)\n", n);
  auto opened = Proxier::open_here();
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().what().c_str());
    return false;
  }
  Proxier& p = *opened;
  NodeView view = make_view(n);

  auto t0 = Clock::now();
  auto text = full_ruleset(view);
  double gen_ms = ms_since(t0);
  t0 = Clock::now();
  auto ok = p.sync(view);
  double full_ms = ms_since(t0);
  if (!ok || !text) {
    std::fprintf(stderr, "full load: %s\n", ok ? text.error().what().c_str() : ok.error().what().c_str());
    return false;
  }
  std::printf("  %-46s %8.1f ms   (text %.1f ms, %zu KiB)\n", "full load (first sync)", full_ms, gen_ms, text->size() / 1024);

  // The common event: a pod of a service is replaced (one endpoint goes, another comes).
  bool good = time_changes(p, view, n, runs, "endpoint replaced", [](NodeView& v, int i, int r) {
    v.ports[i].endpoints[1].ip = ip(10, 245, r / 250, r % 250 + 2);
  });
  // A pod stops being ready (one element fewer, and the service's pick rule changes).
  good = good && time_changes(p, view, n, runs, "endpoint not ready", [](NodeView& v, int i, int) {
    v.ports[i].endpoints[0].ready = false;
  });
  // A service loses its last endpoint and gets endpoints back (1 -> 0 -> 2): no-endpoint
  // elements for endpoint elements and the service chain's rule, the fast path both ways.
  good = good && time_changes(p, view, n, runs, "endpoints 1 -> 0", [](NodeView& v, int i, int) {
    v.ports[i].endpoints.clear();
  });
  good = good && time_changes(p, view, n, runs, "endpoints 0 -> 2", [](NodeView& v, int i, int) {
    int e = 2 * i;
    v.ports[i].endpoints = {{ip(10, 244, e / 250 % 256, e % 250 + 2), 8080}, {ip(10, 244, (e + 1) / 250 % 256, (e + 1) % 250 + 2), 8080}};
  });
  // One more service (a chain, a service-ips element, endpoint elements): the nft text path.
  good = good && time_changes(p, view, n, runs, "service added", [](NodeView& v, int, int r) {
    ServicePort sp;
    sp.ns = "bench";
    sp.service = "extra-" + std::to_string(r);
    sp.port_name = "http";
    sp.cluster_ip = ip(10, 100, 0, r + 1);
    sp.port = 80;
    sp.endpoints = {{ip(10, 246, 0, 2 * r + 2), 8080}, {ip(10, 246, 0, 2 * r + 3), 8080}};
    v.ports.push_back(std::move(sp));
  });
  good = good && time_changes(p, view, n, runs, "service removed", [](NodeView& v, int, int) { v.ports.pop_back(); });
  good = good && time_changes(p, view, n, runs, "unchanged view", [](NodeView&, int, int) {});
  // One pod's readiness across 150 Services at once (a pod every Service of an app selects):
  // 750 messages on the fast path; the same change as nft text, from a proxier without the
  // netlink socket, beside it (what the proxier sent above kMaxFastPathMessages).
  auto fan_out = [n](NodeView& v, int i, int) {
    for (int k = 0; k < 150 && k < n; ++k) {
      bool& ready = v.ports[(i + k) % n].endpoints[0].ready;
      ready = !ready;
    }
  };
  good = good && time_changes(p, view, n, runs, "one pod's readiness in 150 services", fan_out);
  if (good) {
    auto ctx = net::NftContext::open_here();
    if (!ctx) {
      std::fprintf(stderr, "%s\n", ctx.error().what().c_str());
      return false;
    }
    Proxier text_only(std::move(*ctx));
    if (auto loaded = text_only.sync(view); !loaded) {
      std::fprintf(stderr, "text proxier's load: %s\n", loaded.error().what().c_str());
      return false;
    }
    good = time_changes(text_only, view, n, runs, "one pod's readiness in 150 services, as text", fan_out);
  }

  t0 = Clock::now();
  auto gone = p.cleanup();
  std::printf("  %-46s %8.1f ms\n", "cleanup (delete table)", ms_since(t0));
  return good && gone;
}

// The node agent's whole path, as in the daemon but without the HTTP API: an EndpointSlice
// written to the store, the event applied to the service cache, the view brought up to date and
// synced. Services and slices are shaped as the API server and endpointslice controller make them.
bool run_end_to_end(int n, int runs) {
  using store::Json;
  std::printf("%d services x 2 endpoints in the store: EndpointSlice update to rules in place\n", n);
  store::Store st;  // in memory (the daemon also writes the change to SQLite)
  auto endpoints = [](int e) {
    return Json::array({Json{{"addresses", {ip(10, 244, e / 250 % 256, e % 250 + 2)}}, {"conditions", {{"ready", true}}}},
                        Json{{"addresses", {ip(10, 244, (e + 1) / 250 % 256, (e + 1) % 250 + 2)}},
                             {"conditions", {{"ready", true}}}}});
  };
  for (int i = 0; i < n; ++i) {
    std::string name = "svc-" + std::to_string(i);
    Json port = {{"name", "http"}, {"port", 80}, {"protocol", "TCP"}, {"targetPort", 8080}};
    if (i % 10 == 0) port["nodePort"] = 30000 + i / 10;
    Json svc = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}, {"namespace", "bench"}}},
                {"spec", {{"type", i % 10 == 0 ? "NodePort" : "ClusterIP"},
                          {"clusterIP", ip(10, 96 + (i + 16) / 65536, ((i + 16) / 256) % 256, (i + 16) % 256)},
                          {"ports", Json::array({port})}}}};
    Json slice = {{"apiVersion", "discovery.k8s.io/v1"}, {"kind", "EndpointSlice"}, {"addressType", "IPv4"},
                  {"metadata", {{"name", name + "-x7k2p"}, {"namespace", "bench"},
                                {"labels", {{"kubernetes.io/service-name", name}}}}},
                  {"ports", Json::array({{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}})},
                  {"endpoints", endpoints(2 * i)}};
    if (!st.create(svc) || !st.create(slice)) {
      std::fprintf(stderr, "store: cannot create %s\n", name.c_str());
      return false;
    }
  }
  auto opened = Proxier::open_here();
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().what().c_str());
    return false;
  }
  Proxier& p = *opened;
  auto t0 = Clock::now();
  node::ServiceCache cache(*net::Cidr::parse("10.244.0.0/16"), *net::Cidr::parse("10.96.0.0/12"));
  uint64_t seen = st.version();
  cache.relist(st);
  proxy::NodeView& view = cache.view();
  view.node_ips = {"172.18.0.2"};
  if (auto ok = p.sync(view); !ok) {
    std::fprintf(stderr, "full load: %s\n", ok.error().what().c_str());
    return false;
  }
  std::printf("  %-46s %8.1f ms   (%zu service ports)\n", "list, build the view, full load", ms_since(t0), view.ports.size());

  std::vector<double> total;
  for (int r = 0; r < runs; ++r) {
    int i = (r * 7919) % n;
    auto slice = st.get("EndpointSlice", "bench", "svc-" + std::to_string(i) + "-x7k2p");
    if (!slice) return false;
    (*slice)["endpoints"][1]["addresses"][0] = ip(10, 245, r / 250, r % 250 + 2);  // a pod replaced
    t0 = Clock::now();
    if (!st.update(*slice)) return false;
    auto events = st.events_since(seen, 0);
    seen = events.back().version;
    cache.apply(events);
    proxy::NodeView& v = cache.view();
    v.node_ips = {"172.18.0.2"};
    auto ok = p.sync(v);
    total.push_back(ms_since(t0));
    if (!ok || p.last_sync().kind != Proxier::SyncInfo::kEndpoints) {
      std::fprintf(stderr, "sync: %s\n", ok ? "expected the fast path" : ok.error().what().c_str());
      return false;
    }
  }
  print("endpoint replaced: store to rules in place", n, stats(total), total.size());
  return bool(p.cleanup());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int runs = 20;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else
      sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) sizes = {1000, 10000};
  // A private netns for this process only: nothing of the host is touched, and the kernel drops
  // the table with the namespace when we exit, even if we crash.
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "unshare(CLONE_NEWNET): %s (run as root)\n", std::strerror(errno));
    return 1;
  }
  for (int n : sizes)
    if (!run_size(n, runs)) return 1;
  for (int n : sizes)
    if (!run_end_to_end(n, runs)) return 1;
  return 0;
}
