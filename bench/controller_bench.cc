// The control plane under load, with its real threads (informers, one worker per controller,
// the proxy agent). Prints figures; it is not a test.
//
//   a. No-op pass (no root): N/2 Services each selecting its own pod, N/2 Pods bound and ready,
//      their EndpointSlices made by the controllers; a write the controllers have nothing to do
//      about, timed until ControllerManager::settled() again. The goal is flat in N.
//   b. EndpointSlice change end to end at 10,000 Services (root): one named netns
//      lab-bench-e2e-node-1 (removed on exit, even on failure or SIGINT/SIGTERM) holds node-1's
//      nft table; a pod's readiness flipped through registry.update_status, timed until the
//      EndpointSlice controller has rewritten the slice (controller part), then until the kernel
//      announces the nf_tables commit, and until ProxyAgent::synced_version() has passed the
//      slice's write (proxy part, both ways). The goal: under 10 ms.
//   c. One pod's readiness fanned out (no root): 100 Services selecting the same 4 pods (the shape
//      of bench/endpoints.sh); a readiness flip timed until the first and the last of the
//      Services' slices show it (read off the store's watch) and until the controllers settle.
//
// Usage: controller_bench [--part a|b|c|abc] [--runs N] [--sizes 100,1000,10000]
//                         [--services N: part b 10000, part c 100]
//                         [--fresh-log: part a without filling the store's event log first]
//                         [--sqlite: part c with the store written through to an SQLite file
//                          in /tmp (removed after), as the daemon's is]
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/plane.h"
#include "bench/stats.h"
#include "lab/api/json_access.h"
#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"
#include "lab/controllers/manager.h"
#include "lab/node/proxy_agent.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"
#include "lab/store/store.h"
#include "netns/netns.h"

using namespace lab;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kE2eNetns = "lab-bench-e2e-node-1";
constexpr const char* kE2eNetnsPath = "/run/netns/lab-bench-e2e-node-1";  // for the signal handler
bool g_fresh_log = false;  // --fresh-log: part a without filling the event log first
bool g_sqlite = false;     // --sqlite: part c with the store written through to SQLite, as in the daemon

using bench::ms_since;
using bench::kNs;
using bench::Plane;
using bench::fail;
using bench::populate;
using bench::running_status;
using bench::settle;
using bench::wait_for;

using bench::Stats;
using bench::stats;

// ---- part a ----------------------------------------------------------------------------------

// One kind of no-op write, `runs` times; prints median/min/max of write-to-settled.
bool time_noop(Plane& p, int n, int runs, const char* label, const std::function<Result<Json>(int)>& write) {
  std::vector<double> xs;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    auto w = write(r);
    if (!w) return fail(label, w.error());
    uint64_t v = p.st.version();
    if (!wait_for([&] { return p.manager.settled(v); }, 10'000)) {
      std::fprintf(stderr, "controller_bench: %s: not settled after 10 s\n", label);
      return false;
    }
    xs.push_back(ms_since(t0) * 1000);
  }
  auto s = stats(xs);
  std::printf("  N=%-6d %-52s median %8.1f us   min %8.1f   max %8.1f   (%d runs)\n", n, label, s.median, s.min, s.max,
              runs);
  return true;
}

bool part_a(const std::vector<int>& sizes, int runs) {
  std::printf("a. no-op write to settled (controllers on their threads; N objects = N/2 Services + N/2 Pods, "
              "plus N/2 EndpointSlices; %s)\n",
              g_fresh_log ? "the store's event log as the setup left it" : "the store's event log filled first");
  for (int n : sizes) {
    Plane p(*net::Cidr::parse("10.96.0.0/12"));
    int services = n / 2;
    auto t0 = Clock::now();
    if (!populate(p.registry, services, 0)) return false;
    double fill_ms = ms_since(t0);
    t0 = Clock::now();
    p.informers.start();
    p.manager.start();
    if (!settle(p, 300'000)) {
      std::fprintf(stderr, "controller_bench: N=%d: controllers did not settle\n", n);
      return false;
    }
    size_t slices = p.st.list("EndpointSlice", kNs).size();
    std::printf("  N=%-6d setup: objects written in %.0f ms; first pass (%zu slices made) settled in %.0f ms\n", n,
                fill_ms, slices, ms_since(t0));
    if (slices != size_t(services)) {
      std::fprintf(stderr, "controller_bench: expected %d EndpointSlices, found %zu\n", services, slices);
      return false;
    }
    // A running daemon's event log is always full (4,096 changes), and every read of it
    // (Store::events_since) walks it: fill it at every N, so that every N is measured in the
    // same state and only the number of objects differs.
    for (int r = 0; r < (g_fresh_log ? 0 : 4200); ++r) {
      std::string name = "pod-" + std::to_string(r % services);
      if (auto w = p.registry.patch("Pod", kNs, name, Json{{"status", {{"message", "warm " + std::to_string(r)}}}}, true);
          !w)
        return fail("warm-up write", w.error());
    }
    if (!settle(p, 60'000)) {
      std::fprintf(stderr, "controller_bench: N=%d: not settled after the warm-up writes\n", n);
      return false;
    }
    // A kubelet-like status write that changes nothing the controllers act on: the EndpointSlice
    // controller is woken (the pod matches a Service), recomputes the slice, and writes nothing.
    bool ok = time_noop(p, n, runs, "pod status write (status.message), to settled", [&](int r) {
      std::string name = "pod-" + std::to_string((r * 7919) % services);
      return p.registry.patch("Pod", kNs, name, Json{{"status", {{"message", "bench " + std::to_string(r)}}}}, true);
    });
    // An annotation on a Service: queued to the EndpointSlice controller, which writes nothing.
    ok = ok && time_noop(p, n, runs, "Service annotation (patch), to settled", [&](int r) {
      std::string name = "svc-" + std::to_string((r * 7919) % services);
      return p.registry.patch("Service", kNs, name,
                              Json{{"metadata", {{"annotations", {{"bench/run", std::to_string(r)}}}}}});
    });
    if (!ok) return false;
    if (p.st.list("EndpointSlice", kNs).size() != size_t(services)) {
      std::fprintf(stderr, "controller_bench: the no-op writes changed the slices\n");
      return false;
    }
  }
  return true;
}

// ---- part b ----------------------------------------------------------------------------------

// The netns exists exactly as long as this object; a signal removes it too (umount2 and unlink
// are async-signal-safe).
volatile sig_atomic_t g_netns_made = 0;
void on_signal(int sig) {
  if (g_netns_made) {
    ::umount2(kE2eNetnsPath, MNT_DETACH);
    ::unlink(kE2eNetnsPath);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

class BenchNetns {
 public:
  static std::optional<BenchNetns> make() {
    (void)net::remove_named_netns(kE2eNetns);  // a leftover of a killed run (-9) of this bench
    auto ns = net::Netns::create_named(kE2eNetns);
    if (!ns) {
      fail("create netns " + std::string(kE2eNetns), ns.error());
      return std::nullopt;
    }
    g_netns_made = 1;
    return BenchNetns();
  }
  BenchNetns(BenchNetns&& o) noexcept { o.owner_ = false; }
  BenchNetns& operator=(BenchNetns&&) = delete;
  ~BenchNetns() {
    if (!owner_) return;
    if (auto r = net::remove_named_netns(kE2eNetns); !r) fail("remove netns", r.error());
    g_netns_made = 0;
  }

 private:
  BenchNetns() = default;
  bool owner_ = true;
};

cluster::LabRecord e2e_record() {
  cluster::LabRecord rec;
  rec.name = "bench-e2e";
  rec.plan.lab = "bench-e2e";
  rec.plan.fabric_netns = "lab-bench-e2e";  // not made: the agent only opens the nodes' netns
  rec.plan.node_cidr = *net::Cidr::parse("172.18.0.0/16");
  rec.plan.host_ip = *net::Ipv4::parse("172.18.0.1");
  rec.plan.pod_cidr = *net::Cidr::parse("10.244.0.0/16");
  rec.plan.service_cidr = *net::Cidr::parse("10.96.0.0/12");
  rec.plan.nodes.push_back({"node-1", kE2eNetns, *net::Ipv4::parse("172.18.0.2"), *net::Cidr::parse("10.244.1.0/24")});
  return rec;
}

// The kernel's own word that the change is in the table: nf_tables announces every committed
// transaction to the NFNLGRP_NFTABLES group of its netns, ending with NFT_MSG_NEWGEN. Only the
// proxier writes to this netns, and the runs start quiet, so the first NEWGEN after a write is
// the commit of that write.
class CommitWatcher {
 public:
  static std::optional<CommitWatcher> open_in(const std::string& netns) {
    auto ns = net::Netns::open_named(netns);
    if (!ns) return std::nullopt;
    auto sw = net::NetnsSwitch::enter(*ns);
    if (!sw) return std::nullopt;
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
    if (!fd.valid()) return std::nullopt;
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = 1u << (NFNLGRP_NFTABLES - 1);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return std::nullopt;
    int big = 4 << 20;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    return CommitWatcher(std::move(fd));
  }
  // Forgets every announcement so far.
  void drain() {
    while (::recv(fd_.get(), buf_.data(), buf_.size(), 0) > 0 || errno == ENOBUFS) {
    }
  }
  // Waits for the next commit; its time, or nullopt after timeout_ms.
  std::optional<Clock::time_point> next_commit(int timeout_ms) {
    auto t0 = Clock::now();
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buf_.data(), buf_.size(), 0);
      if (n > 0) {
        auto now = Clock::now();
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.data()); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
          if (h->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)) return now;
        continue;
      }
      if (n < 0 && errno == ENOBUFS) continue;  // a burst overflowed the buffer: keep listening
      int left = timeout_ms - int(ms_since(t0));
      if (left <= 0) return std::nullopt;
      pollfd p{fd_.get(), POLLIN, 0};
      (void)::poll(&p, 1, left);
    }
  }

 private:
  explicit CommitWatcher(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::vector<char> buf_ = std::vector<char>(1 << 16);  // operator new: aligned for nlmsghdr
};

struct Flip {
  double controller_ms, kernel_ms, proxy_ms, total_ms;
};

void print_flips(const char* label, const std::vector<Flip>& flips, int services) {
  std::vector<double> c, k, p, t, tk;
  for (const auto& f : flips) {
    c.push_back(f.controller_ms);
    k.push_back(f.kernel_ms);
    p.push_back(f.proxy_ms);
    t.push_back(f.total_ms);
    tk.push_back(f.controller_ms + f.kernel_ms);
  }
  std::printf("  %s (%zu runs, %d services)\n", label, flips.size(), services);
  auto line = [](const char* what, const Stats& s) {
    std::printf("    %-58s median %8.2f ms   min %8.2f   max %8.2f\n", what, s.median, s.min, s.max);
  };
  line("total: update_status to proxy synced_version >= the slice", stats(t));
  line("  controller part: update_status to the slice rewritten", stats(c));
  line("  proxy part: slice rewritten to synced_version >= it", stats(p));
  line("total: update_status to the kernel's commit (NEWGEN)", stats(tk));
  line("  proxy part: slice rewritten to the kernel's commit", stats(k));
}

bool part_b(int services, int with_two, int runs) {
  std::printf("b. EndpointSlice change end to end: %d Services (1 pod each; the first %d have 2), node-1's nft "
              "table in netns %s\n",
              services, with_two, kE2eNetns);
  auto netns = BenchNetns::make();
  if (!netns) return false;

  store::Store st;
  cluster::LabRecord rec = e2e_record();
  store::Registry registry(st, store::ServiceRanges{rec.plan.service_cidr});
  store::InformerFactory informers(st);
  controllers::ControllerManager manager(registry, informers,
                                         controllers::ClusterInfo{{"node-1"}, *net::Ipv4Range::parse("172.18.255.200-172.18.255.250")});
  node::ProxyAgent agent(rec, informers);  // registers its handlers before the informers start
  std::atomic<bool> stop{false};
  std::thread agent_thread;
  struct Stopper {  // joins every thread on any return
    std::function<void()> f;
    ~Stopper() { f(); }
  } stopper{[&] {
    stop = true;
    manager.stop();
    informers.stop();
    st.shutdown();
    if (agent_thread.joinable()) agent_thread.join();
  }};

  auto t0 = Clock::now();
  if (!populate(registry, services, with_two)) return false;
  std::printf("  setup: %d Services and %d Pods written in %.0f ms\n", services, services + with_two, ms_since(t0));
  t0 = Clock::now();
  informers.start();
  manager.start();
  agent_thread = std::thread([&] { agent.run_loop(stop); });
  bool up = wait_for(
      [&] {
        uint64_t v = st.version();
        return manager.settled(v) && agent.synced_version() >= v;
      },
      600'000);
  if (!up) {
    std::fprintf(stderr, "controller_bench: not programmed after 600 s\n");
    return false;
  }
  std::printf("  setup: slices made and node-1's table loaded in %.0f ms (store version %llu)\n", ms_since(t0),
              static_cast<unsigned long long>(st.version()));

  // Slice name of every Service (generated names), read once.
  std::map<std::string, std::string> slice_of;
  for (const auto& s : st.list("EndpointSlice", kNs))
    slice_of[s["metadata"]["labels"].value("kubernetes.io/service-name", "")] = s["metadata"]["name"];
  if (slice_of.size() != size_t(services)) {
    std::fprintf(stderr, "controller_bench: %zu slices for %d services\n", slice_of.size(), services);
    return false;
  }

  auto commits = CommitWatcher::open_in(kE2eNetns);
  if (!commits) {
    std::fprintf(stderr, "controller_bench: cannot listen to nf_tables commits in %s: %s\n", kE2eNetns,
                 std::strerror(errno));
    return false;
  }

  // One flip: pod `name` of Service `svc` to ready (or not), timed in two parts.
  auto flip = [&](const std::string& svc, const std::string& name, Flip& out) {
    auto cur = registry.get("Pod", kNs, name);
    if (!cur) return fail("get pod", cur.error());
    Json obj = *cur;
    const std::string ip = obj["status"]["podIP"];
    bool ready = obj["status"]["conditions"][0]["status"] != "True";  // the new value
    obj["status"] = running_status(ip, ready);
    const std::string slice = slice_of[svc];
    commits->drain();
    auto t0 = Clock::now();
    if (auto w = registry.update_status(obj); !w) return fail("update_status", w.error());
    uint64_t slice_version = 0;
    bool rewritten = wait_for(
        [&] {
          auto s = registry.get("EndpointSlice", kNs, slice);
          if (!s) return false;
          for (const auto& e : (*s)["endpoints"])
            if (e["addresses"][0] == ip && e["conditions"].value("ready", !ready) == ready) {
              slice_version = std::stoull((*s)["metadata"].value("resourceVersion", "0"));
              return true;
            }
          return false;
        },
        10'000);
    auto t1 = Clock::now();
    if (!rewritten) {
      std::fprintf(stderr, "controller_bench: slice %s not rewritten after 10 s\n", slice.c_str());
      return false;
    }
    auto committed = commits->next_commit(10'000);
    if (!committed) {
      std::fprintf(stderr, "controller_bench: no nf_tables commit in %s within 10 s of the slice write\n", kE2eNetns);
      return false;
    }
    if (!wait_for([&] { return agent.synced_version() >= slice_version; }, 10'000)) {
      std::fprintf(stderr, "controller_bench: proxy agent not synced past %llu after 10 s\n",
                   static_cast<unsigned long long>(slice_version));
      return false;
    }
    auto t2 = Clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    // The commit can come before the poll above saw the slice (both are polled): then it counts 0.
    out = {ms(t0, t1), std::max(0.0, ms(t1, *committed)), ms(t1, t2), ms(t0, t2)};
    // Quiet again before the next run: controllers settled, the agent caught up.
    return wait_for(
        [&] {
          uint64_t v = st.version();
          return manager.settled(v) && agent.synced_version() >= v;
        },
        10'000);
  };

  // Services with one pod: not ready empties the Service (reject elements in place of its
  // endpoint elements, the service chain's rule flushed), ready again fills it. Element and
  // rule changes the proxier sends on its netlink fast path.
  std::vector<Flip> one, two;
  for (int r = 0; r < runs; ++r) {
    int i = with_two + (r / 2 * 7919) % (services - with_two);  // each pod twice: off, then on again
    std::string n = std::to_string(i);
    Flip f{};
    if (!flip("svc-" + n, "pod-" + n, f)) return false;
    one.push_back(f);
  }
  // Services with two pods: one of them flips, the Service keeps an endpoint. An endpoint-only
  // change: the proxier's netlink fast path.
  for (int r = 0; r < runs && with_two > 0; ++r) {
    int i = (r / 2) % with_two;
    std::string n = std::to_string(i);
    Flip f{};
    if (!flip("svc-" + n, "pod-" + n + "-b", f)) return false;
    two.push_back(f);
  }
  print_flips("readiness flip, Service with 1 pod (0 <-> 1 endpoints: netlink fast path)", one, services);
  if (with_two > 0)
    print_flips("readiness flip, Service with 2 pods (1 <-> 2 endpoints: endpoint-only, netlink fast path)", two,
                services);
  return true;
}

// ---- part c ----------------------------------------------------------------------------------

// Many Services selecting the same pods (bench/endpoints.sh's shape, without nodes): a pod's
// readiness flipped through registry.update_status, and the EndpointSlice writes that follow,
// read off the store's own watch (no polling): when the first and the last of the Services'
// slices show the change, and when the controllers (the Endpoints mirror too) have settled.
bool part_c(int services, int pods, int runs) {
  std::printf("c. one pod's readiness, fanned out: %d Services selecting the same %d pods (controllers only)\n",
              services, pods);
  // The files go when part c ends, whatever its outcome, and after the store has closed them
  // (declared before the plane, so destroyed after it).
  struct RemoveDir {
    std::string dir;
    ~RemoveDir() {
      if (dir.empty()) return;
      for (const char* f : {"/store.db", "/store.db-wal", "/store.db-shm"}) ::unlink((dir + f).c_str());
      ::rmdir(dir.c_str());
    }
  } db_dir;
  if (g_sqlite) {
    char tmpl[] = "/tmp/controller-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) return fail("create a directory in /tmp", Error{errno, "mkdtemp"});
    db_dir.dir = tmpl;
  }
  Plane p(*net::Cidr::parse("10.96.0.0/12"));
  if (g_sqlite)
    if (auto o = p.st.open_file(db_dir.dir + "/store.db"); !o) return fail("open the store's file", o.error());
  for (int i = 0; i < pods; ++i) {
    std::string name = "web-" + std::to_string(i);
    auto c = p.registry.create(bench::pod(name, "web"));
    if (!c) return fail("create pod", c.error());
    Json obj = *c;
    obj["status"] = running_status(bench::pod_ip(i), true);
    if (auto s = p.registry.update_status(obj); !s) return fail("pod status", s.error());
  }
  for (int i = 0; i < services; ++i)
    if (auto s = p.registry.create(bench::service("svc-" + std::to_string(i), "web")); !s)
      return fail("create service", s.error());
  p.informers.start();
  p.manager.start();
  if (!settle(p, 120'000)) {
    std::fprintf(stderr, "controller_bench: part c did not settle\n");
    return false;
  }
  std::vector<double> first, last, settled;
  for (int r = 0; r < runs; ++r) {
    const std::string name = "web-" + std::to_string(r % pods);
    auto cur = p.registry.get("Pod", kNs, name);
    if (!cur) return fail("get pod", cur.error());
    Json obj = *cur;
    const std::string ip = obj["status"]["podIP"];
    const bool ready = obj["status"]["conditions"][0]["status"] != "True";
    obj["status"] = running_status(ip, ready);
    uint64_t since = p.st.version();
    auto t0 = Clock::now();
    if (auto w = p.registry.update_status(obj); !w) return fail("update_status", w.error());
    std::set<std::string> seen;
    double t_first = -1, t_last = -1;
    while (int(seen.size()) < services) {
      auto got = p.st.events_of_kind("EndpointSlice", since, 10'000);
      if (got.events.empty() && got.through <= since) {
        std::fprintf(stderr, "controller_bench: %zu of %d slices rewritten after 10 s\n", seen.size(), services);
        return false;
      }
      since = got.through;
      for (const auto& e : got.events)
        for (const auto& ep : api::array_at(*e.object, "endpoints"))
          if (api::array_at(ep, "addresses") == Json::array({ip}) &&
              api::member(api::member(ep, "conditions"), "ready") == ready &&
              seen.insert(api::string_at(api::metadata_of(*e.object), "name")).second) {
            t_last = ms_since(t0);
            if (t_first < 0) t_first = t_last;
          }
    }
    uint64_t v = p.st.version();
    if (!wait_for([&] { return p.manager.settled(v) && p.manager.settled(p.st.version()); }, 10'000)) {
      std::fprintf(stderr, "controller_bench: not settled 10 s after a flip\n");
      return false;
    }
    first.push_back(t_first);
    last.push_back(t_last);
    settled.push_back(ms_since(t0));
  }
  auto line = [](const char* what, std::vector<double> xs) {
    if (xs.empty()) return;
    std::sort(xs.begin(), xs.end());
    std::printf("    %-44s p50 %7.2f ms   p90 %7.2f   p99 %7.2f   max %7.2f\n", what, xs[xs.size() / 2],
                xs[xs.size() * 9 / 10], xs[std::min(xs.size() - 1, xs.size() * 99 / 100)], xs.back());
  };
  std::printf("  %d flips\n", runs);
  line("update_status to the first slice rewritten", first);
  line("update_status to the last slice rewritten", last);
  line("update_status to settled (Endpoints too)", settled);
  return true;
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string part = "ab";
  int runs = 0, services = 0;
  std::vector<int> sizes = {100, 1000, 10000};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--part" && i + 1 < argc) part = argv[++i];
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (a == "--sizes" && i + 1 < argc) sizes = parse_list(argv[++i]);
    else if (a == "--services" && i + 1 < argc) services = std::atoi(argv[++i]);
    else if (a == "--fresh-log") g_fresh_log = true;
    else if (a == "--sqlite") g_sqlite = true;
    else {
      std::fprintf(stderr, "usage: %s [--part a|b|c|abc] [--runs N] [--sizes 100,1000,10000] [--services 10000] [--fresh-log] [--sqlite]\n", argv[0]);
      return 2;
    }
  }
  std::printf("controller_bench on %u cores\n", std::thread::hardware_concurrency());
  if (part.find('a') != std::string::npos && !part_a(sizes, runs ? runs : 200)) return 1;
  if (part.find('c') != std::string::npos && !part_c(services ? services : 100, 4, runs ? runs : 100))
    return 1;
  if (part.find('b') != std::string::npos) {
    if (::geteuid() != 0) {
      std::printf("b. skipped: needs root (a named netns and nftables)\n");
      return 0;
    }
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_signal);
    if (!part_b(services ? services : 10000, std::min(100, (services ? services : 10000) / 10), runs ? runs : 40)) return 1;
  }
  return 0;
}
