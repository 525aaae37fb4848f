// Daemon life cycle: wire the fabric (or find it, after a restart), load the store, run the
// controller manager and the kubelet on their own threads, report ready, then serve the API
// until SIGTERM, when everything the lab made is removed.
#include "lab/base/log.h"
#include "lab/base/thread_name.h"
#include "lab/server/daemon.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab/base/clock.h"
#include "lab/base/parse.h"
#include "lab/api/json_access.h"
#include "lab/api/service_account_admission.h"
#include "lab/api/version.h"
#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"
#include "lab/cluster/teardown.h"
#include "lab/controllers/manager.h"
#include "lab/controllers/service_accounts.h"
#include "lab/node/kubelet.h"
#include "lab/node/proxy_agent.h"
#include "lab/node/token_manager.h"
#include "lab/server/addons.h"
#include "lab/server/api_server.h"
#include "lab/server/auth.h"
#include "lab/server/fabric_listener.h"
#include "lab/server/http_server.h"
#include "lab/server/pki.h"
#include "lab/server/read_only_api.h"
#include "lab/server/self_review.h"
#include "lab/server/token_request.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"
#include "lab/store/service_alloc.h"
#include "lab/store/store.h"
#include "netns/fabric_guard.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;

// One line to `lab up` on the ready pipe: "progress N/M", then "ok" or "error ...". A reader that
// went away (the CLI interrupted) is not an error for the daemon.
void write_line(const UniqueFd& fd, const std::string& line) {
  if (!fd) return;
  std::string msg = line + "\n";
  if (::write(fd.get(), msg.data(), msg.size()) < 0) log_line("ready pipe: " + std::string(std::strerror(errno)));
}

// A new lab: the fabric, the Node objects and the scenario's objects, all through the registry's
// create path (validated and defaulted like any API write).
Result<void> seed(const cluster::LabRecord& rec, store::Registry& registry, const node::Kubelet& kubelet,
                  const controllers::ClusterInfo& cluster) {
  LAB_TRY(net::build_fabric(rec.plan));
  for (auto& n : kubelet.node_objects()) {
    auto r = registry.create(n);
    if (!r) return std::unexpected(r.error().context("node " + n["metadata"].value("name", "")));
  }
  for (const auto& objects : {kubernetes_service_objects(rec), dns_addon_objects(rec)})
    for (auto o : objects) {
      auto created = registry.create(o);
      if (!created) return std::unexpected(created.error().context("the lab's own objects"));
    }
  auto objects_text = read_file(cluster::lab_dir(rec.name) + "/objects.json");
  if (!objects_text) return std::unexpected(objects_text.error());
  Json objects = Json::parse(*objects_text, nullptr, false);
  if (!objects.is_array()) return fail("malformed objects.json");
  // The scenario's namespaces first, wherever they stand in the file: the rest may live in them.
  for (const auto& o : objects)
    if (api::string_at(o, "kind") == "Namespace")
      if (auto created = registry.create(o); !created) return std::unexpected(created.error());
  // What the serviceaccounts and root-ca-cert-publisher controllers make in every namespace, made
  // before the scenario's pods so that they find their account and get its token.
  if (!cluster.root_ca_pem.empty())
    for (const auto& ns : registry.store().list("Namespace", "")) {
      const std::string name = api::string_at(api::metadata_of(ns), "name");
      for (const auto& o : {controllers::default_service_account(name), controllers::root_ca_config_map(name, cluster.root_ca_pem)})
        if (auto created = registry.create(o); !created && created.error().reason != Reason::AlreadyExists)
          return std::unexpected(created.error().context("the lab's own objects"));
    }
  for (auto& o : objects) {
    if (api::string_at(o, "kind") == "Namespace") continue;
    auto created = registry.create(o);
    // A namespace's `default` ServiceAccount exists already: the scenario's version of it replaces
    // it, as `kubectl apply` would.
    if (!created && created.error().reason == Reason::AlreadyExists && api::string_at(o, "kind") == "ServiceAccount")
      if (auto had = registry.store().get("ServiceAccount", api::string_at(api::metadata_of(o), "namespace"),
                                          api::string_at(api::metadata_of(o), "name"))) {
        o["metadata"]["resourceVersion"] = api::string_at(api::metadata_of(*had), "resourceVersion");
        created = registry.update(o);
      }
    if (!created) return std::unexpected(created.error());
  }
  return {};
}

// Why a pod is not running yet, for `lab up`'s failure message.
std::string stuck_reason(const Json& pod) {
  const Json& status = pod.value("status", Json::object());
  std::string why = status.value("phase", "Pending");
  if (pod["spec"].value("nodeName", "").empty()) why += ", not scheduled";
  if (status.contains("message") && status["message"].is_string()) why += ": " + status["message"].get<std::string>();
  for (const auto& cs : status.value("containerStatuses", Json::array())) {
    auto waiting = cs.value("state", Json::object()).value("waiting", Json::object());
    if (waiting.contains("reason")) why += ", " + cs.value("name", "") + " " + waiting.value("reason", "");
  }
  return why;
}

// What `lab up` promises before it returns: every pod Running with its ports open, every
// Deployment at its replica count. There is no fixed deadline, which a big scenario could miss:
// it gives up only when no pod has come up for kStall, and then names the pods still waiting.
// It reads the informers' caches ten times a second, never copies of the whole store per change.
Result<void> wait_ready(store::InformerFactory& informers, const node::Kubelet& kubelet, const UniqueFd& progress_fd) {
  constexpr auto kStall = std::chrono::seconds(60);
  const store::Informer& pods = informers.informer("Pod");
  const store::Informer& deployments = informers.informer("Deployment");
  auto last_progress = std::chrono::steady_clock::now();
  size_t best = 0;
  std::string last_report;
  for (;;) {
    size_t running = 0, total = 0;
    std::vector<store::ObjPtr> waiting;
    for (const auto& pod : pods.list()) {
      total++;
      std::string phase = api::string_at(api::member(*pod, "status"), "phase");
      if (phase == "Failed")
        return fail("pod " + api::string_at(api::metadata_of(*pod), "name") + ": " +
                    api::string_at(api::member(*pod, "status"), "message"));
      if (phase == "Running") running++;
      else waiting.push_back(pod);
    }
    bool deployments_done = true;
    size_t want = 0;
    for (const auto& d : deployments.list()) {
      int replicas = (*d)["spec"].value("replicas", 1);
      want += static_cast<size_t>(replicas);
      if (d->value("status", Json::object()).value("replicas", -1) != replicas) deployments_done = false;
    }
    total = std::max(total, want);
    std::string report = "progress " + std::to_string(running) + "/" + std::to_string(total);
    if (report != last_report) {
      last_report = report;
      write_line(progress_fd, report);
    }
    if (waiting.empty() && deployments_done) break;
    auto now = std::chrono::steady_clock::now();
    if (running > best) best = running, last_progress = now;
    if (now - last_progress > kStall) {
      std::string msg = "pods did not start: no pod came up for " + std::to_string(kStall.count()) + "s; " +
                        std::to_string(waiting.size()) + " waiting";
      for (size_t i = 0; i < waiting.size() && i < 5; ++i)
        msg += "\n  " + api::string_at(api::metadata_of(*waiting[i]), "name") + ": " + stuck_reason(*waiting[i]);
      return fail(msg);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Then every container port accepts connections. The pods are independent, so they are
  // checked by a few threads at once: one by one, a thousand pods took most of a minute, and a
  // pod whose port stays shut holds up the others for its whole 5 s.
  const auto all = pods.list();
  std::atomic<size_t> next{0};
  std::vector<std::thread> checkers;
  for (size_t t = 0; t < std::min<size_t>(16, all.size()); ++t)
    checkers.emplace_back([&] {
      for (size_t i; (i = next++) < all.size();)
        if (!kubelet.wait_ports(*all[i], 5000))
          log_line("pod " + api::string_at(api::metadata_of(*all[i]), "name") + ": container port not open after 5s");
    });
  for (auto& t : checkers) t.join();
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
  // Inherited from `lab up` without close-on-exec (dup2): set it, or every process the daemon
  // starts would hold the pipe open and `lab up` would wait for them. Closed after the verdict.
  if (opts.ready_fd >= 0) ::fcntl(opts.ready_fd, F_SETFD, FD_CLOEXEC);
  UniqueFd ready(opts.ready_fd);
  // One daemon per lab, for as long as it lives: two CLIs that both found the daemon dead start
  // two, and the second one stops here (before it touches anything).
  auto daemon_lock = cluster::lock_daemon(opts.lab);
  if (!daemon_lock) {
    write_line(ready, "error " + daemon_lock.error().what());
    return 1;
  }

  auto rec = cluster::read_record(opts.lab);
  if (!rec) {
    write_line(ready, "error " + rec.error().what());
    return 1;
  }
  std::string dir = cluster::lab_dir(opts.lab);
  const std::string pid_file = dir + "/daemon.pid";
  if (auto r = write_file(pid_file, std::to_string(::getpid()) + "\n"); !r) {
    write_line(ready, "error " + r.error().what());
    return 1;
  }
  std::string db = dir + "/store.db";
  bool fresh = !std::filesystem::exists(db);
  log_line("lab " + opts.lab + ": daemon " + std::to_string(::getpid()) + (fresh ? " starting" : " restarting"));

  store::Store st;
  std::atomic<bool> stop{false};
  controllers::ClusterInfo cluster;
  for (const auto& n : rec->plan.nodes) cluster.nodes.push_back(n.name);
  if (auto pool = net::Ipv4Range::parse(rec->lb_pool)) cluster.lb_pool = *pool;
  cluster.eviction_timeout = std::chrono::seconds(rec->pod_eviction_timeout_seconds);
  cluster.kubernetes_service = kubernetes_service_objects(*rec).front();
  // Its endpoint: the pod-facing listener below (lab/server/fabric_listener.h).
  cluster.apiserver_ip = rec->plan.host_ip.str();
  cluster.apiserver_port = net::kApiFabricPort;
  auto fail_early = [&](const Error& e) {
    // Gone before the verdict: a CLI that reads it must not take a dying daemon for one that
    // serves. A new lab keeps its lock until it is torn down.
    if (::unlink(pid_file.c_str()) != 0 && errno != ENOENT)
      log_line("remove " + pid_file + ": " + std::strerror(errno));
    if (!fresh) {
      daemon_lock->reset();
      // A restart that fails leaves the lab as it is: its pods keep serving, and the next
      // command tries again (or `lab down` removes it). Only a new lab is undone.
      log_line("daemon restart failed: " + e.what());
      write_line(ready, "error " + e.what() + "\nthe lab's pods keep running; `lab down --lab " + opts.lab +
                            "` removes the lab");
      return 1;
    }
    log_line("lab up failed: " + e.what());
    write_line(ready, "error " + e.what());
    if (auto down = cluster::teardown_lab(*rec); !down) log_line("teardown after a failed lab up: " + down.error().what());
    if (auto tidy = cluster::tidy_run_dir(); !tidy) log_line("teardown after a failed lab up: " + tidy.error().what());
    return 1;
  };
  // Test-only: LAB_KUBE_MINOR makes /version and the nodes report another minor (lab/api/version.h),
  // read once here, before any thread serves it.
  if (auto r = api::set_kube_minor_from_env(); !r) return fail_early(r.error());
  if (auto r = st.open_file(db); !r) return fail_early(r.error().context("the lab's store " + db));

  // The lab's PKI (lab/server/pki.h): made at the first start, reused by a restarted daemon so
  // that the kubeconfigs already handed out stay good. Credentials: what auth.h checks tokens
  // against; tokens: the TokenRequest API (`kubectl create token`).
  const std::string kubernetes_ip = store::kubernetes_service_ip(rec->plan.service_cidr).str();
  auto pki = load_or_create_pki(pki_dir(opts.lab), {.lab = opts.lab, .service_ip = kubernetes_ip});
  if (!pki) return fail_early(pki.error().context("the lab's certificates"));
  cluster.root_ca_pem = pki->ca_cert;  // kube-root-ca.crt
  auto credentials = std::make_shared<Credentials>();
  credentials->sa_public_key_pem = pki->sa_pub;
  // Everything reads through the informers and writes through the registry; handlers are
  // registered (constructors) before the informers start.
  store::Registry registry(st, store::ServiceRanges{rec->plan.service_cidr});
  {
    int capacity = 0;
    for (const auto& n : rec->plan.nodes) capacity += n.pod_capacity();
    registry.set_pod_capacity(capacity);
    if (!rec->plan.nodes.empty()) cluster.pods_per_node = rec->plan.nodes.front().pod_capacity();
  }
  // Tokens name ServiceAccounts of the store (made by the serviceaccounts controller) and, the
  // kubelet's, a pod: one of a deleted account or pod is refused (401).
  credentials->service_account_exists = [&registry](const std::string& ns, const std::string& name, const std::string& uid) {
    auto sa = registry.get("ServiceAccount", ns, name);
    return sa && (uid.empty() || api::string_at(api::metadata_of(*sa), "uid") == uid);
  };
  credentials->pod_exists = [&registry](const std::string& ns, const std::string& name, const std::string& uid) {
    auto pod = registry.get("Pod", ns, name);
    return pod && api::string_at(api::metadata_of(*pod), "uid") == uid;
  };
  const TokenIssuer tokens(pki->sa_key, *credentials, [&registry](const std::string& ns, const std::string& name) {
    auto sa = registry.get("ServiceAccount", ns, name);
    return sa ? std::optional<std::string>(api::string_at(api::metadata_of(*sa), "uid")) : std::nullopt;
  });
  store::InformerFactory informers(st);
  controllers::ControllerManager controllers(registry, informers, cluster);
  node::Kubelet kubelet(*rec, opts.self_exe, registry, informers);
  // The kubelet's TokenRequests for kube-api-access volumes: a token of the pod's account, bound
  // to the pod, signed here (the kubelet of a lab is in the API server's process).
  kubelet.set_service_account_tokens(node::token_source(std::make_shared<node::TokenManager>(
      [&registry, &pki, credentials](const Json& pod, const std::string& audience, int64_t seconds) -> Result<std::string> {
        const Json& meta = api::metadata_of(pod);
        const std::string ns = api::string_at(meta, "namespace"), account = api::service_account_name(pod);
        auto sa = registry.get("ServiceAccount", ns, account);
        if (!sa) return fail("failed to fetch token: serviceaccounts \"" + account + "\" not found");
        TokenClaims claims{.ns = ns, .name = account, .uid = api::string_at(api::metadata_of(*sa), "uid"),
                           .pod_name = api::string_at(meta, "name"), .pod_uid = api::string_at(meta, "uid"),
                           .issued_at = std::chrono::system_clock::now(), .lifetime = std::chrono::seconds(seconds),
                           .audiences = audience.empty() ? std::vector<std::string>{} : std::vector<std::string>{audience}};
        return issue_service_account_token(pki->sa_key, claims, *credentials);
      })));

  auto fail_up = [&](const Error& e) {
    if (fresh) kubelet.stop_all();
    else kubelet.stop();
    return fail_early(e);
  };
  auto listener = listen_unix(cluster::socket_path(opts.lab));
  if (!listener) return fail_up(listener.error());
  // The API over TLS on 127.0.0.1 (kubectl's way in; lab/server/tls.h), beside the root-only Unix
  // socket: on the port a restarted daemon had (the kubeconfigs name it) if it is still free, else
  // one the kernel picks; its address in /run/lab/<lab>/api-address (gone with the run dir).
  const std::string address_file = dir + "/api-address";
  auto tls_listener = [&]() -> Result<UniqueFd> {
    if (auto old = read_file(address_file); old && old->rfind(':') != std::string::npos)
      if (auto port = parse_int(trim_space(old->substr(old->rfind(':') + 1)), 1, 65535))
        if (auto fd = listen_loopback(static_cast<uint16_t>(*port))) return fd;
    return listen_loopback(0);
  }();
  if (!tls_listener) return fail_up(tls_listener.error().context("the API's TLS listener"));
  auto tls = make_tls_context({pki_dir(opts.lab) + "/apiserver.crt", pki_dir(opts.lab) + "/apiserver.key",
                               pki_dir(opts.lab) + "/ca.crt"});
  if (!tls) return fail_up(tls.error().context("the API's TLS listener"));
  auto tls_port = local_port(tls_listener->get());
  if (!tls_port) return fail_up(tls_port.error());
  if (auto w = write_file(address_file, "127.0.0.1:" + std::to_string(*tls_port) + "\n"); !w) return fail_up(w.error());
  // The DNS pods' read-only API (lab/server/read_only_api.h), serving before any pod starts.
  auto read_api = ReadOnlyApi::start(registry, opts.lab);
  if (!read_api) return fail_up(read_api.error());
  if (fresh) {
    if (auto r = seed(*rec, registry, kubelet, cluster); !r) return fail_up(r.error());
  } else {
    kubelet.adopt();
  }
  // The API for pods (the `kubernetes` Service's endpoint): on the host's fabric address, which
  // exists from here on (seed made the fabric; a restarted daemon finds it).
  auto fabric_listener = listen_fabric(rec->plan.host_ip, net::kApiFabricPort, rec->plan.host_link);
  if (!fabric_listener) return fail_up(fabric_listener.error().context("the API's listener for pods"));

  node::ProxyAgent proxy_agent(*rec, informers);
  informers.start();
  controllers.start();
  if (auto r = kubelet.start(); !r) {
    controllers.stop();
    informers.stop();
    return fail_up(r.error());
  }
  std::thread proxy_thread([&] {
    name_this_thread("proxy");
    proxy_agent.run_loop(stop);
  });
  // glibc keeps what the API's and the controllers' threads free in their arenas: after 1,000
  // pods came and went under 100 watches the daemon held 766 MiB (440 MiB before) with every
  // watch closed. Every 5 s the free pages go back to the kernel (malloc_trim also releases
  // free chunks inside the heaps, not only at their tops).
  std::mutex trim_mu;
  std::condition_variable trim_cv;  // wakes the trimmer at the stop (a lab's down waited for its sleep)
  std::thread trimmer([&] {
    name_this_thread("malloc-trim");
    std::unique_lock lock(trim_mu);
    while (!trim_cv.wait_for(lock, std::chrono::seconds(5), [&] { return stop.load(); })) ::malloc_trim(0);
  });
  auto stop_threads = [&] {
    {
      std::lock_guard lock(trim_mu);  // the trimmer is waiting, or sees stop before it waits
      stop = true;
    }
    trim_cv.notify_all();
    controllers.stop();
    kubelet.stop();
    // The store first: it wakes the informer thread's wait for events (200 ms otherwise).
    st.shutdown();
    informers.stop();
    proxy_thread.join();
    trimmer.join();
  };

  // A restarted daemon answers as soon as it serves: its pods are adopted or being started,
  // and a command that brought it back must not wait for them (nor give the lab up over them).
  if (ready && !fresh) {
    write_line(ready, "ok");
    ready.reset();
  }
  if (ready) {
    if (auto r = wait_ready(informers, kubelet, ready); !r) {
      stop_threads();
      return fail_up(r.error());
    }
    // Status (READY of Deployments) and rules both reflect the store as it is now.
    uint64_t target = st.version();
    for (int i = 0; i < 500 && (proxy_agent.synced_version() < target || !controllers.settled(target)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    write_line(ready, "ok");
    ready.reset();
  }
  log_line("lab " + opts.lab + " ready");

  // A bounded pool with read deadlines (lab/server/http_server.h): slow or half-open clients
  // cost no threads, and watches have their own limit.
  ApiServer api(registry, opts.lab);
  // Every request passes auth.h's check first (the Unix socket's are root's; TLS ones need a
  // client certificate of the lab's CA or a ServiceAccount token).
  HttpServer http(
      // Watches are long-running: kube-apiserver keeps them out of its in-flight limit, and a
      // hundred kubectl -w (bench/kubectl.sh) plus the lab's own watchers must all fit.
      ServerLimits{.streams = 512},
      [&](Connection& conn, const Result<HttpRequest>& req) {
        if (req)
          if (auto answer = serve_self_review(*req, *credentials)) {  // `kubectl auth can-i|whoami`
            if (!conn.send(*answer)) log_line("api: cannot answer a self review");
            return;
          }
        if (req && req->path.ends_with("/token")) {
          if (auto answer = tokens.handle(*req)) {  // TokenRequest (lab/server/token_request.h)
            if (!conn.send(*answer)) log_line("api: cannot answer a TokenRequest");
            return;
          }
        }
        if (req) api.serve(conn, *req, stop);
        else if (!conn.send(error_status(req.error())))
          log_line("api: cannot answer a bad request: " + req.error().message);
      },
      [credentials](const HttpRequest& r) { return check_request(r, *credentials); });
  if (auto served = http.run({Listener{listener->get()}, Listener{tls_listener->get(), *tls}, Listener{fabric_listener->get(), *tls}}, sigfd.get()); !served) {
    log_line("api: " + served.error().what() + ": tearing down");
  } else {
    signalfd_siginfo si;
    if (::read(sigfd.get(), &si, sizeof si) == sizeof si)
      log_line("signal " + std::to_string(si.ssi_signo) + ": tearing down");
  }
  // Each step's time goes to the log: `lab down` of a big lab is slow in one of them.
  auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point& t) {
    auto now = std::chrono::steady_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
    t = now;
    return std::to_string(ms) + " ms";
  };
  (*read_api)->stop();
  stop_threads();
  if (size_t left = http.stop(); left > 0) log_line("api: " + std::to_string(left) + " streams still open");
  log_line("teardown: threads stopped in " + ms_since(t0));
  auto down = cluster::teardown_lab(
      *rec, [&](const char* step) { log_line(std::string("teardown: ") + step + " removed in " + ms_since(t0)); },
      [&] { kubelet.stop_all(); });
  if (!down) log_line("teardown: " + down.error().what());
  auto tidy = cluster::tidy_run_dir();
  if (!tidy) log_line("teardown: " + tidy.error().what());
  return down && tidy ? 0 : 1;
}

}  // namespace lab::server
