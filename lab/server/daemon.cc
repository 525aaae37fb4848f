// Daemon life cycle: wire the fabric, create the API objects, schedule and start pods, report
// ready, then serve requests and signals from one poll loop. A failed start undoes everything.
#include "lab/server/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"
#include "lab/cluster/teardown.h"
#include "lab/controllers/deployment.h"
#include "lab/controllers/scheduler.h"
#include "lab/node/kubelet.h"
#include "lab/server/api_server.h"
#include "lab/store/store.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;

void log_line(const std::string& msg) {
  std::fprintf(stderr, "%s %s\n", store::now_rfc3339().c_str(), msg.c_str());
  std::fflush(stderr);
}

void report(int fd, const std::string& line) {
  if (fd < 0) return;
  std::string msg = line + "\n";
  (void)!::write(fd, msg.data(), msg.size());
}

// Everything `lab up` promises before it returns: nodes, objects, pods running and listening.
Result<void> build_cluster(const cluster::LabRecord& rec, store::Store& st, node::Kubelet& kubelet) {
  LAB_TRY(net::build_fabric(rec.plan));
  for (auto& n : kubelet.node_objects()) {
    auto r = st.create(n);
    if (!r) return std::unexpected(r.error());
  }
  auto objects_text = read_file(cluster::lab_dir(rec.name) + "/objects.json");
  if (!objects_text) return std::unexpected(objects_text.error());
  Json objects = Json::parse(*objects_text, nullptr, false);
  if (!objects.is_array()) return fail("malformed objects.json");
  for (const auto& obj : objects) {
    Json o = obj;
    if (o["kind"] == "Pod") o["status"] = {{"phase", "Pending"}};
    auto created = st.create(o);
    if (!created) return std::unexpected(created.error());
    if (o["kind"] == "Deployment") LAB_TRY(controllers::reconcile_deployment(st, *created));
  }

  std::vector<std::string> node_names;
  for (const auto& n : rec.plan.nodes) node_names.push_back(n.name);
  auto bound = controllers::schedule_pending(st, node_names);
  if (!bound) return std::unexpected(bound.error());
  std::vector<Json> started;
  for (const auto& pod : *bound) {
    auto running = kubelet.start_pod(pod);
    if (!running) return std::unexpected(running.error());
    auto updated = st.update(*running);
    if (!updated) return std::unexpected(updated.error());
    started.push_back(*updated);
    log_line("pod " + pod["metadata"]["name"].get<std::string>() + " running on " +
             pod["spec"]["nodeName"].get<std::string>());
  }
  // Ports are polled after every pod has started, so their start-up overlaps.
  for (const auto& pod : started)
    if (!kubelet.wait_ports(pod, 5000))
      log_line("pod " + pod["metadata"]["name"].get<std::string>() +
               ": container port not open after 5s");
  for (const auto& dep : st.list("Deployment", "")) controllers::update_deployment_status(st, dep);
  return {};
}

void serve_one(int listen_fd, ApiServer& api) {
  UniqueFd conn(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return;
  // A stuck client must not stall the daemon.
  timeval tv{5, 0};
  ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto req = read_request(conn.get());
  if (!req) return;
  (void)write_response(conn.get(), api.handle(*req));
}

}  // namespace

int daemon_main(const DaemonOptions& opts) {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  UniqueFd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC));

  auto rec = cluster::read_record(opts.lab);
  if (!rec) {
    report(opts.ready_fd, "error " + rec.error().what());
    return 1;
  }
  (void)write_file(cluster::lab_dir(opts.lab) + "/daemon.pid", std::to_string(::getpid()) + "\n");
  log_line("lab " + opts.lab + ": daemon " + std::to_string(::getpid()) + " starting");

  store::Store st;
  node::Kubelet kubelet(*rec, opts.self_exe);
  auto listener = listen_unix(cluster::socket_path(opts.lab));
  Result<void> built = listener ? build_cluster(*rec, st, kubelet)
                                : Result<void>(std::unexpected(listener.error()));
  if (!built) {
    log_line("lab up failed: " + built.error().what());
    report(opts.ready_fd, "error " + built.error().what());
    kubelet.stop_all();
    (void)cluster::teardown_lab(*rec);
    cluster::tidy_run_dir();
    return 1;
  }
  report(opts.ready_fd, "ok");
  if (opts.ready_fd >= 0) ::close(opts.ready_fd);
  log_line("lab " + opts.lab + " ready");

  ApiServer api(st);
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
    if (fds[0].revents & POLLIN) serve_one(listener->get(), api);
  }
  kubelet.stop_all();
  auto down = cluster::teardown_lab(*rec);
  if (!down) log_line("teardown: " + down.error().what());
  cluster::tidy_run_dir();
  return down ? 0 : 1;
}

}  // namespace lab::server
