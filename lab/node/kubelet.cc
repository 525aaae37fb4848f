// The pod life cycle, the kubelet's SyncPod in small, run by a pod worker for one pod key at a
// time: start (address from the node's /24, veth into cbr0, the pod init with its containers),
// status from the init's state files and the prober's verdicts, graceful stop, removal of the
// object once the processes are gone. Periodic work is a re-sync of each pod it runs (every
// second, also while stopping, and at the grace deadline), never a pass over every pod.
#include "lab/node/kubelet.h"

#include <signal.h>
#include <sys/stat.h>

#include <cstring>

#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "lab/base/clock.h"
#include "lab/node/kubelet_internal.h"
#include "lab/node/pod_env.h"
#include "lab/node/pod_security.h"
#include "lab/node/pod_status.h"
#include "netns/fabric.h"
#include "runtime/cgroups.h"
#include "runtime/proc.h"
#include "runtime/spawn.h"

namespace lab::node {

using detail::exited;
using detail::log_line;

namespace {

// How often a running pod is looked at again: container restarts and status changes show within
// this. A pod init's exit and a probe's verdict change are noticed at once (exit watcher, prober).
constexpr std::chrono::milliseconds kResync{1000};

// Whether a change of a pod object needs a sync. A change of status alone (most often the
// kubelet's own write) does not: the pod's periodic re-sync corrects any status it disagrees with.
bool needs_sync(const store::ObjPtr& old, const store::ObjPtr& cur) {
  if (!old || !cur) return true;
  auto deletion = [](const Json& pod) {
    auto m = pod.find("metadata");
    if (m == pod.end() || !m->is_object()) return Json();
    return m->value("deletionTimestamp", Json());
  };
  // A downwardAPI volume shows the labels and annotations: their change rewrites its files.
  auto shown = [](const Json& pod) {
    const Json& m = api::metadata_of(pod);
    return Json{m.value("labels", Json()), m.value("annotations", Json())};
  };
  return pod_uid(*old) != pod_uid(*cur) || deletion(*old) != deletion(*cur) ||
         old->value("spec", Json()) != cur->value("spec", Json()) ||
         (has_downward_volumes(*cur) && shown(*old) != shown(*cur));
}

// lastState.terminated.reason as the pod init saw the run end (<container>.last-reason:
// OOMKilled, Error, Completed); "" when it left none.
std::string last_reason(const std::string& base) {
  auto text = read_file(base + ".last-reason");
  if (!text) return "";
  std::string r = *text;
  while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
  return r;
}

// When the pod init wrote <container><suffix> (RFC 3339 of its mtime), "" if it has not.
std::string terminated_at(const std::string& base, const char* suffix = ".terminated") {
  struct stat st {};
  if (::stat((base + suffix).c_str(), &st) != 0) return "";
  return rfc3339(st.st_mtim.tv_sec);
}

runtime::PodRuntimeSpec runtime_spec(const cluster::LabRecord& lab, const Json& pod, const store::Informer& services,
                                     std::vector<std::string>& dns_warnings) {
  runtime::PodRuntimeSpec spec;
  spec.lab = lab.name;
  spec.namespace_ = pod_namespace(pod);
  spec.name = pod_name(pod);
  spec.state_dir = cluster::pod_dir(lab.name, spec.namespace_, spec.name);
  spec.api_socket_dir = cluster::read_socket_dir(lab.name);  // mounted only by images that read the API
  spec.applets_dir = cluster::applets_dir(lab.name);
  spec.images_dir = cluster::images_dir(lab.name);
  spec.restart_policy = pod.at("spec").value("restartPolicy", "Always");
  for (const auto& c : pod.at("spec").at("containers")) {
    runtime::ContainerSpec cs;
    cs.name = c.value("name", "");
    cs.image = c.value("image", "");
    cs.command = c.value("command", std::vector<std::string>{});
    cs.args = c.value("args", std::vector<std::string>{});
    cs.working_dir = c.value("workingDir", "");
    cs.log_path = spec.state_dir + "/" + cs.name + ".log";
    cs.stdin = c.value("stdin", false);  // `lab run -i -t`: the pod init's pty and attach socket
    cs.stdin_once = c.value("stdinOnce", false);
    cs.tty = c.value("tty", false);
    spec.containers.push_back(std::move(cs));
  }
  // Hostname and resolv.conf (lab/node/pod_env); the environment comes once the pod has its address.
  dns_warnings = complete_runtime_spec(spec, pod, services, lab.plan.service_cidr);
  return spec;
}

}  // namespace

Kubelet::Kubelet(cluster::LabRecord rec, std::string self_exe, store::Registry& reg,
                 store::InformerFactory& informers)
    : rec_(std::move(rec)),
      self_exe_(std::move(self_exe)),
      registry_(reg),
      informers_(informers),
      pods_(informers.informer("Pod")),
      services_(informers.informer("Service")),
      secrets_(informers.informer("Secret")),
      config_maps_(informers.informer("ConfigMap")),
      node_objects_(informers.informer("Node")),
      queue_(std::make_shared<WorkQueue>()),
      prober_(Prober::run_real, [this](const ProbeReport& r) { on_probe(r); }),
      exits_([q = queue_](const std::string& key) { q->add(key); }),
      workers_(queue_, [this](const std::string& key) { sync_pod(key); }),
      health_(rec_, registry_, [this](const std::string& node) { return node_netns(node); }) {
  for (const auto& n : rec_.plan.nodes) nodes_.insert(n.name);
  pods_.add_index(store::kByNode, store::index_by_node);
  // Captures copies, not this: the factory may deliver a last event after the kubelet is gone.
  pods_.add_handler([q = queue_, nodes = nodes_](const store::ObjPtr& old, const store::ObjPtr& cur) {
    bool mine = (cur && nodes.contains(pod_node(*cur))) || (old && nodes.contains(pod_node(*old)));
    if (mine && needs_sync(old, cur)) q->add(store::Informer::key_of(cur ? *cur : *old));
  });
  // A node going NotReady or Ready again changes its pods' Ready condition: sync them now.
  node_objects_.add_handler([q = queue_, nodes = nodes_, &pods = pods_](const store::ObjPtr& old,
                                                                        const store::ObjPtr& cur) {
    if (!cur || !nodes.contains(store::Informer::key_of(*cur))) return;
    if (old && api::node_not_ready(*old) == api::node_not_ready(*cur)) return;
    for (const auto& pod : pods.by_index(store::kByNode, store::Informer::key_of(*cur)))
      q->add(store::Informer::key_of(*pod));
  });
  for (const char* kind : {"Secret", "ConfigMap"})
    (std::string(kind) == "Secret" ? secrets_ : config_maps_)
        .add_handler([q = queue_, nodes = nodes_, &pods = pods_, kind = std::string(kind)](const store::ObjPtr& old,
                                                                                         const store::ObjPtr& cur) {
          on_object_change(pods, nodes, *q, kind, old, cur);
        });
}

Kubelet::~Kubelet() { stop(); }

Result<void> Kubelet::start(size_t pod_workers) {
  LAB_TRY(exits_.start());
  // Not fatal: pods run without it; `lab get nodes` then shows the nodes NotReady.
  if (auto r = register_nodes(); !r) log_line("node status: " + r.error().what());
  {
    // Pods adopted before the watcher ran: watch them now (watch() of a watched fd is a no-op).
    std::lock_guard lock(mu_);
    for (const auto& [key, rec] : running_) exits_.watch(rec->pidfd.get(), key);
  }
  prober_.start();
  health_.start();
  for (const auto& node : nodes_)
    for (const auto& pod : pods_.by_index(store::kByNode, node)) queue_->add(store::Informer::key_of(*pod));
  workers_.start(pod_workers);
  return {};
}

void Kubelet::stop() {
  health_.stop();
  workers_.stop();  // first: the workers call into the prober and the watcher
  prober_.stop();
  exits_.stop();
}

void Kubelet::sync_pod(const std::string& key) {
  // Read our own writes: the cache catches up with the store (microseconds; it is local).
  informers_.wait_synced(registry_.store().version(), 1000);
  store::ObjPtr pod = pods_.get(key);
  if (pod && !nodes_.contains(pod_node(*pod))) pod = nullptr;
  RecordPtr rec = record_of(key);
  if (rec && (!pod || pod_uid(*pod) != rec->uid)) {
    // The object went without a graceful stop (a forced delete), or is a new pod of the same
    // name: the processes of the old one go now.
    kill_now(rec);
    remove_volumes(rec->state_dir);
    rec = nullptr;
  }
  if (!pod) {
    // Its volumes go with it (a pod deleted while it waited for them may have some).
    const auto slash = key.find('/');
    remove_volumes(cluster::pod_dir(rec_.name, key.substr(0, slash), key.substr(slash + 1)));
    return;
  }
  if (api::is_terminating(*pod)) {
    if (rec) stop_pod(*pod, rec);
    else remove_object(*pod);
    return;
  }
  std::optional<PriorSandbox> prior;
  if (rec && exited(rec->pidfd)) {
    // The pod's init died (killed from outside): the pod stays, in a new sandbox with the same
    // address if it is still free; its containers were killed, so each counts a restart.
    log_line("pod " + key + ": pod init " + std::to_string(rec->init_pid) + " exited; starting it again");
    const std::string now = now_rfc3339();
    prior = PriorSandbox{rec->ip, rec->containers};
    for (auto& c : prior->containers) {
      c.restarts += 1;
      c.last_terminated = terminated_state(137, c.started_at, now);
    }
    kill_now(rec);
    rec = nullptr;
  }
  if (!rec) {
    std::string phase = pod_phase(*pod);
    if (phase == "Succeeded" || phase == "Failed") return;
    // As the kubelet: no container environment before the Service informer has listed once, so
    // KUBERNETES_SERVICE_HOST is never missing (the pod waits; it does not fail).
    if (informers_.synced_version() == 0) {
      queue_->add_rate_limited(key);
      return;
    }
    if (auto r = start_pod(*pod, prior ? &*prior : nullptr); !r) {
      std::string msg = r.error().what();
      log_line("pod " + key + ": " + msg);
      event(*pod, "Warning", "Failed", msg);
      if (auto w = write_status(*pod, pod_uid(*pod), [&](const Json&) { return failed_pod_status(msg); }); !w) {
        log_line("pod " + key + ": status: " + w.error().what());
        queue_->add_rate_limited(key);
      }
    }
    return;
  }
  refresh_volumes(*pod, *rec);
  sync_status(*pod, *rec);
  queue_->add_after(key, kResync);
}

Result<void> Kubelet::start_pod(const Json& pod, const PriorSandbox* prior) {
  const std::string key = store::Informer::key_of(pod), uid = pod_uid(pod);
  const auto* node = find_node(pod_node(pod));
  if (!node) return fail("pod " + pod_name(pod) + " is not bound to a node of this lab");
  std::vector<std::string> dns_warnings;
  runtime::PodRuntimeSpec spec = runtime_spec(rec_, pod, services_, dns_warnings);  // may throw: before anything is taken
  for (const auto& w : dns_warnings) event(pod, "Warning", "DNSConfigForming", w);
  // securityContext and resources; a container that cannot be made as asked (runAsNonRoot with
  // a root image) leaves the pod Pending with CreateContainerConfigError, tried again later.
  if (auto bad = resolve_security(rec_.name, pod, spec)) {
    event(pod, "Warning", "Failed", "Error: " + bad->message);
    std::string host_ip = node->ip.str(), now = now_rfc3339();
    auto w = write_status(pod, uid, [&](const Json& fresh) {
      return config_error_pod_status(api::member(fresh, "spec"), api::member(fresh, "status"),
                                     host_ip, bad->container, bad->message, now);
    });
    if (!w) log_line("pod " + key + ": status: " + w.error().what());
    queue_->add_rate_limited(key);
    return {};
  }
  // Volumes before the sandbox, as the kubelet's WaitForAttachAndMount: a missing Secret or
  // ConfigMap leaves the pod ContainerCreating (FailedMount), tried again until it appears.
  std::map<std::string, Payload> volumes;
  if (!set_up_pod_volumes(pod, volumes)) return {};

  auto ip = allocate_ip(*node, prior ? std::optional<net::Ipv4>(prior->ip) : std::nullopt);
  if (!ip) return std::unexpected(ip.error());
  // The environment, now that the pod has its address (status.podIP): a missing key or object
  // is the container's CreateContainerConfigError, tried again until it appears.
  auto env = complete_container_env(spec, pod, services_, {object_lookup(spec.namespace_), {ip->str(), node->ip.str()},
                                                           allocatable_});
  if (!env) {
    release_ip(node->name, *ip);
    wait_for_config(pod, env.error().container, env.error().message);
    return {};
  }
  for (const auto& w : *env) event(pod, "Warning", "InvalidEnvironmentVariableNames", w);
  std::string veth = detail::host_veth_name(uid);
  auto podnet = net::create_pod_network(rec_.plan, *node, *ip, veth);
  if (!podnet && podnet.error().code == EEXIST) {
    // A veth left by a daemon that died between making it and starting the pod: ours to remove.
    if (auto r = net::delete_pod_network(*node, veth); !r) log_line("pod " + key + ": " + r.error().what());
    podnet = net::create_pod_network(rec_.plan, *node, *ip, veth);
  }
  if (!podnet) {
    release_ip(node->name, *ip);
    return std::unexpected(podnet.error().context("pod " + pod_name(pod) + ": network"));
  }
  spec.ip = ip->str();
  auto init = runtime::start_pod(spec, podnet->netns.fd(), self_exe_);
  if (!init) {
    if (auto r = net::delete_pod_network(*node, veth); !r) log_line("pod " + key + ": " + r.error().what());
    release_ip(node->name, *ip);
    return std::unexpected(init.error().context("pod " + pod_name(pod)));
  }
  // `lab exec`, `lab logs` and a restarted daemon find the pod's processes through this file.
  if (auto r = write_file(runtime::init_pid_path(spec.state_dir), std::to_string(*init) + "\n", 0600); !r)
    log_line("pod " + key + ": " + r.error().what());

  auto rec = std::make_shared<PodRecord>();
  rec->key = key;
  rec->uid = uid;
  rec->ns = spec.namespace_;
  rec->name = spec.name;
  rec->node = node->name;
  rec->veth = veth;
  rec->state_dir = spec.state_dir;
  rec->start_time = now_rfc3339();
  rec->init_pid = *init;
  rec->pidfd = runtime::open_pidfd(*init);
  rec->ip = *ip;
  rec->volumes = std::move(volumes);
  const Json& containers = pod.at("spec").at("containers");
  for (const auto& c : containers) {
    ContainerRecord cr{c.value("name", ""), 0, 0, rec->start_time, Json()};
    if (prior)
      for (const auto& p : prior->containers)
        if (p.name == cr.name) cr.restarts = cr.restart_base = p.restarts, cr.last_terminated = p.last_terminated;
    rec->containers.push_back(std::move(cr));
  }
  rec->probed = std::make_shared<const ProbedPod>(
      ProbedPod{key, uid, node_netns(node->name), ip->str(), spec.state_dir, self_exe_, *init, containers});
  track(rec, {});

  for (const auto& c : containers) {
    event(pod, "Normal", "Pulled", "Container image \"" + c.value("image", "") + "\" already present on machine");
    event(pod, "Normal", "Created", "Created container " + c.value("name", ""));
    event(pod, "Normal", "Started", "Started container " + c.value("name", ""));
  }
  sync_status(pod, *rec);
  queue_->add_after(key, kResync);
  return {};
}

void Kubelet::sync_status(const Json& pod, PodRecord& rec) {
  std::string now = now_rfc3339();
  PodObservation obs{rec.uid, find_node(rec.node) ? find_node(rec.node)->ip.str() : "", rec.ip.str(),
                     rec.start_time, {}};
  if (auto node = node_objects_.get(rec.node)) obs.node_ready = !api::node_not_ready(*node);
  const Json& specs = pod.at("spec").at("containers");
  for (size_t i = 0; i < specs.size() && i < rec.containers.size(); ++i) {
    ContainerRecord& cr = rec.containers[i];
    std::string base = rec.state_dir + "/" + cr.name;
    int restarts = cr.restart_base + detail::read_int_file(base + ".restarts", cr.restarts - cr.restart_base);
    if (restarts != cr.restarts) {
      // The pod init restarted it: remember how the last run ended; its probes start over.
      int code = detail::read_int_file(base + ".last-exit", 0);
      cr.last_terminated = terminated_state(code, cr.started_at, now, last_reason(base));
      cr.restarts = restarts;
      cr.started_at = now;
      prober_.restart_container(rec.uid, i);
    }
    bool running = runtime::container_pid(rec.init_pid, rec.state_dir, cr.name).has_value();
    // Ended for good (restartPolicy): state.terminated, finished when the pod init noted it.
    Json terminated;
    if (!running)
      if (auto end = terminated_at(base); !end.empty())
        terminated = terminated_state(detail::read_int_file(base + ".terminated", 0), cr.started_at, end,
                                      last_reason(base));
    // Stopped by the pod's graceful stop (the pod init restarts nothing then): terminated with
    // how its run ended, as the kubelet shows a container that exited within the grace period.
    if (!running && terminated.is_null() && rec.stopping)
      if (auto end = terminated_at(base, ".last-exit"); !end.empty() && end >= cr.started_at)
        terminated = terminated_state(detail::read_int_file(base + ".last-exit", 0), cr.started_at, end,
                                      last_reason(base));
    bool ready = running && prober_.ready(rec.uid, i).value_or(true);
    obs.containers.push_back({cr.name, specs[i].value("image", ""), running, ready, cr.restarts, cr.started_at,
                              cr.last_terminated, terminated});
  }
  auto w = write_status(pod, rec.uid, [&](const Json& fresh) {
    return running_pod_status(api::member(fresh, "spec"), api::member(fresh, "status"), obs, now);
  });
  if (!w) log_line("pod " + rec.key + ": status: " + w.error().what());
}

Result<void> Kubelet::write_status(const Json& cached, const std::string& uid,
                                   const std::function<Json(const Json& fresh)>& build) {
  // The cached object answers "anything to write?" without a store read; the write itself is
  // built again from the stored object, so a lagging cache never writes an old status.
  if (cached.contains("status") && cached["status"] == build(cached)) return {};
  auto r = registry_.retry_update(
      "Pod", pod_namespace(cached), pod_name(cached),
      [&](Json& obj) {
        if (pod_uid(obj) != uid) return false;  // another pod of the same name: not ours to write
        Json status = build(obj);
        if (obj.contains("status") && obj["status"] == status) return false;
        obj["status"] = std::move(status);
        return true;
      },
      /*status=*/true);
  if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
  return {};
}

void Kubelet::stop_pod(const Json& pod, const RecordPtr& recp) {
  PodRecord& rec = *recp;
  if (!rec.stopping) {
    // Graceful: SIGTERM to the pod init, which forwards it to the containers; SIGKILL after the
    // grace period, as the kubelet's killContainer does.
    int grace = pod_grace_seconds(pod);
    {
      std::lock_guard lock(mu_);
      rec.stopping = true;
    }
    rec.kill_at = Clock::now() + std::chrono::seconds(std::max(0, grace));
    // As the kubelet's probe workers: liveness stops (a dying container is not restarted),
    // readiness goes on until the containers stop, so Ready (and the endpoints' serving) follows.
    prober_.stop_liveness(rec.uid);
    for (const auto& c : pod.at("spec").at("containers"))
      event(pod, "Normal", "Killing", "Stopping container " + c.value("name", ""));
    // Through the pidfd, so a reused pid never gets the signal.
    if (grace > 0 && ::syscall(SYS_pidfd_send_signal, rec.pidfd.get(), SIGTERM, nullptr, 0) != 0 && errno != ESRCH)
      log_line("pod " + rec.key + ": SIGTERM: " + std::strerror(errno));
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(rec.kill_at - Clock::now());
  if (!exited(rec.pidfd) && left.count() > 0) {
    // Its status goes on through the grace period (Ready from the readiness probes; a verdict
    // change syncs at once). The exit watcher syncs the pod as soon as its init exits; the
    // re-sync is at the deadline, or sooner to keep the status current.
    sync_status(pod, rec);
    queue_->add_after(rec.key, std::min<std::chrono::milliseconds>(left + std::chrono::milliseconds(1), kResync));
    return;
  }
  kill_now(recp);
  remove_object(pod);
}

void Kubelet::kill_now(const RecordPtr& rec) {
  if (!rec) return;
  forget(rec);
  if (auto r = runtime::kill_pod(rec->init_pid); !r) log_line("pod " + rec->key + ": " + r.error().what());
  // Its processes are gone: its cgroups go too (a graceful stop's pod init removed them already).
  if (auto r = runtime::remove_cgroup(runtime::host_cgroups(), runtime::pod_cgroup(rec_.name, rec->uid)); !r)
    log_line("pod " + rec->key + ": " + r.error().what());
  release_network(*rec);
}

void Kubelet::remove_object(const Json& pod) {
  remove_volumes(cluster::pod_dir(rec_.name, pod_namespace(pod), pod_name(pod)));
  // grace 0: the processes are gone; the uid keeps a new pod of the same name safe.
  auto r = registry_.remove("Pod", pod_namespace(pod), pod_name(pod), {.grace_seconds = 0, .uid = pod_uid(pod)});
  if (!r && r.error().reason != Reason::NotFound && r.error().reason != Reason::Conflict)
    log_line("pod " + store::Informer::key_of(pod) + ": remove: " + r.error().what());
}

void Kubelet::on_probe(const ProbeReport& r) {
  const ProbedPod& p = *r.attempt.pod;
  store::ObjPtr pod = pods_.get(p.key);
  if (pod && pod_uid(*pod) != p.uid) pod = nullptr;
  std::string name = r.attempt.container_name();
  if (r.attempt.kind == ProbeKind::Readiness) {
    if (!r.outcome.success && pod) event(*pod, "Warning", "Unhealthy", "Readiness probe failed: " + r.outcome.message);
    if (r.changed) queue_->add(p.key);  // READY changes: write the status now
    return;
  }
  if (!r.changed || r.healthy) return;
  if (pod) {
    event(*pod, "Warning", "Unhealthy", "Liveness probe failed: " + r.outcome.message);
    event(*pod, "Normal", "Killing", "Container " + name + " failed liveness probe, will be restarted");
  }
  // The pod init restarts it, as the kubelet would; the pod's re-sync then sees the restart.
  if (auto pid = runtime::container_pid(p.init_pid, p.state_dir, name); pid && ::kill(*pid, SIGKILL) != 0)
    log_line("pod " + p.key + ": kill container " + name + ": " + std::strerror(errno));
}

void Kubelet::event(const Json& pod, const std::string& type, const std::string& reason, const std::string& msg) {
  registry_.record_event(pod, type, reason, msg, {"kubelet", pod_node(pod)});
}

}  // namespace lab::node
