// Daemon life cycle: wire the fabric (or find it, after a restart), load the store, run the
// controller manager and the kubelet on their own threads, report ready, then serve the API
// until SIGTERM, when everything the lab made is removed.
#include "lab/server/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab/base/clock.h"
#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"
#include "lab/cluster/teardown.h"
#include "lab/controllers/manager.h"
#include "lab/node/kubelet.h"
#include "lab/node/proxy_agent.h"
#include "lab/server/api_server.h"
#include "lab/server/service_alloc.h"
#include "lab/store/store.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;

void log_line(const std::string& msg) {
  std::fprintf(stderr, "%s %s\n", now_rfc3339().c_str(), msg.c_str());
  std::fflush(stderr);
}

void report(const UniqueFd& fd, const std::string& line) {
  if (!fd) return;
  std::string msg = line + "\n";
  (void)!::write(fd.get(), msg.data(), msg.size());
}

// A new lab: the fabric, the Node objects and the scenario's objects.
Result<void> seed(const cluster::LabRecord& rec, store::Store& st, const node::Kubelet& kubelet) {
  LAB_TRY(net::build_fabric(rec.plan));
  for (auto& n : kubelet.node_objects()) {
    auto r = st.create(n);
    if (!r) return std::unexpected(r.error());
  }
  auto objects_text = read_file(cluster::lab_dir(rec.name) + "/objects.json");
  if (!objects_text) return std::unexpected(objects_text.error());
  Json objects = Json::parse(*objects_text, nullptr, false);
  if (!objects.is_array()) return fail("malformed objects.json");
  for (auto o : objects) {
    o["metadata"]["generation"] = 1;
    if (o["kind"] == "Pod") o["status"] = {{"phase", "Pending"}};
    if (o["kind"] == "Service") {
      auto allocated = allocate_service(st, o, nullptr, ServiceRanges{rec.plan.service_cidr});
      if (!allocated) return std::unexpected(allocated.error());
      o = std::move(*allocated);
      o["status"] = {{"loadBalancer", Json::object()}};
    }
    auto created = st.create(o);
    if (!created) return std::unexpected(created.error());
  }
  return {};
}

// What `lab up` promises before it returns: every pod Running with its ports open.
Result<void> wait_ready(store::Store& st, const node::Kubelet& kubelet, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool all = true;
    for (const auto& pod : st.list("Pod", "")) {
      std::string phase = pod.value("status", Json::object()).value("phase", "Pending");
      if (phase == "Failed")
        return fail("pod " + pod["metadata"].value("name", "") + ": " +
                    pod["status"].value("message", std::string("failed to start")));
      if (phase != "Running") all = false;
    }
    bool deployments_done = true;
    for (const auto& d : st.list("Deployment", ""))
      if (d.value("status", Json::object()).value("replicas", -1) != d["spec"].value("replicas", 1))
        deployments_done = false;
    if (all && deployments_done) break;
    if (std::chrono::steady_clock::now() > deadline) return fail("pods did not start within the time allowed");
    (void)st.events_since(st.version(), 20);
  }
  for (const auto& pod : st.list("Pod", ""))
    if (!kubelet.wait_ports(pod, 5000))
      log_line("pod " + pod["metadata"].value("name", "") + ": container port not open after 5s");
  return {};
}

}  // namespace

int daemon_main(const DaemonOptions& opts) {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);  // threads inherit the mask; only the signalfd sees them
  UniqueFd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC));
  UniqueFd ready(opts.ready_fd);  // inherited from `lab up`; closed once the verdict is written

  auto rec = cluster::read_record(opts.lab);
  if (!rec) {
    report(ready, "error " + rec.error().what());
    return 1;
  }
  std::string dir = cluster::lab_dir(opts.lab);
  (void)write_file(dir + "/daemon.pid", std::to_string(::getpid()) + "\n");
  std::string db = dir + "/store.db";
  bool fresh = !std::filesystem::exists(db);
  log_line("lab " + opts.lab + ": daemon " + std::to_string(::getpid()) + (fresh ? " starting" : " restarting"));

  store::Store st;
  node::Kubelet kubelet(*rec, opts.self_exe, st);
  std::atomic<bool> stop{false};
  controllers::ClusterInfo cluster;
  for (const auto& n : rec->plan.nodes) cluster.nodes.push_back(n.name);
  if (auto pool = net::Ipv4Range::parse(rec->lb_pool)) cluster.lb_pool = *pool;

  auto fail_up = [&](const Error& e) {
    log_line("lab up failed: " + e.what());
    report(ready, "error " + e.what());
    kubelet.stop_all();
    (void)cluster::teardown_lab(*rec);
    cluster::tidy_run_dir();
    return 1;
  };
  if (auto r = st.open_file(db); !r) return fail_up(r.error());
  auto listener = listen_unix(cluster::socket_path(opts.lab));
  if (!listener) return fail_up(listener.error());
  if (fresh) {
    if (auto r = seed(*rec, st, kubelet); !r) return fail_up(r.error());
  } else {
    kubelet.adopt();
  }

  std::atomic<uint64_t> controllers_synced{0};
  std::thread controllers([&] { controllers::run_controller_loop(st, cluster, stop, &controllers_synced); });
  std::thread kubelet_thread([&] { kubelet.run_loop(stop); });
  node::ProxyAgent proxy_agent(*rec, st);
  std::thread proxy_thread([&] { proxy_agent.run_loop(stop); });
  auto stop_threads = [&] {
    stop = true;
    st.shutdown();
    controllers.join();
    kubelet_thread.join();
    proxy_thread.join();
  };

  if (ready) {
    if (auto r = wait_ready(st, kubelet, 60'000); !r) {
      stop_threads();
      return fail_up(r.error());
    }
    // Every Service programmed: the proxy has caught up with the store as it is now.
    // Status (READY of Deployments) and rules both reflect the store as it is now.
    uint64_t target = st.version();
    for (int i = 0; i < 500 && (proxy_agent.synced_version() < target || controllers_synced < target); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    report(ready, "ok");
    ready.reset();
  }
  log_line("lab " + opts.lab + " ready");

  ApiServer api(st, opts.lab, ServiceRanges{rec->plan.service_cidr});
  std::atomic<int> connections{0};
  for (;;) {
    pollfd fds[2] = {{listener->get(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      (void)!::read(sigfd.get(), &si, sizeof si);
      log_line("signal " + std::to_string(si.ssi_signo) + ": tearing down");
      break;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    int conn = ::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    // One thread per connection: watches and `logs -f` stream for as long as the client stays.
    connections++;
    std::thread([conn, &api, &stop, &connections] {
      UniqueFd fd(conn);
      timeval tv{5, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (auto req = read_request(fd.get())) api.serve(fd.get(), *req, stop);
      connections--;
    }).detach();
  }
  stop_threads();
  for (int i = 0; i < 200 && connections > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kubelet.stop_all();
  auto down = cluster::teardown_lab(*rec);
  if (!down) log_line("teardown: " + down.error().what());
  cluster::tidy_run_dir();
  return down ? 0 : 1;
}

}  // namespace lab::server
