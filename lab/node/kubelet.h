// The node agent (kubelet) for every node of a lab, in the real kubelet's shape: it reads pods
// from the shared Pod informer, queues the key of every pod bound to one of its nodes, and a
// bounded pool of pod workers syncs one pod at a time each (start: pod netns on the node's bridge
// plus a pod init running the containers; status; graceful stop), so pods start concurrently and
// no pod waits for another. Probes run on the prober's own threads. Every write goes through the
// registry: status through the status subresource, built from the freshest stored object.
// Pods that outlived an earlier daemon are adopted (same pods, same IPs, same restart counts).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "lab/base/work_queue.h"
#include "lab/cluster/lab_record.h"
#include "lab/node/node_health.h"
#include "lab/node/pod_workers.h"
#include "lab/node/prober.h"
#include "lab/node/volumes.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"

namespace lab::node {

using Json = nlohmann::json;

// Pods of the lab by phase, for `lab up` progress.
struct PodCounts {
  size_t running = 0, pending = 0, failed = 0, succeeded = 0;
};

class Kubelet {
 public:
  // Gets the Pod informer, indexes it by node and adds the handler that queues this lab's pods;
  // call before informers.start().
  Kubelet(cluster::LabRecord rec, std::string self_exe, store::Registry& reg, store::InformerFactory& informers);
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Takes over pods that still run from an earlier daemon (same pods, same IPs, same counts) and
  // marks those whose processes are gone Pending so they start afresh. Reads the store itself,
  // so it may run before the informers start; call it before start().
  void adopt();
  // Starts the pod workers, the prober and the exit watcher, and queues every pod the Pod
  // informer holds for this lab's nodes (the informer's first list queues them too).
  Result<void> start(size_t pod_workers = 8);
  // Stops the threads; the pods keep running (a restarted daemon adopts them).
  void stop();
  // Stops the threads, then kills every pod this kubelet runs (lab teardown).
  void stop_all();

  // Waits until each container port of the pod accepts TCP connections, up to timeout_ms.
  bool wait_ports(const Json& pod, int timeout_ms) const;
  // The Node objects the API serves for this lab's nodes.
  std::vector<Json> node_objects() const;
  // As the kubelet's registerWithAPIServer and node status update: creates each Node that is
  // missing, then writes its status through the status subresource (a create drops status).
  // start() calls it; the Ready condition keeps its lastTransitionTime across daemon restarts.
  Result<void> register_nodes();
  // Pods this kubelet runs and is not stopping.
  size_t running_count() const;
  // Every pod of the Pod informer by phase (unscheduled ones count as pending).
  PodCounts pod_counts() const;

  // One sync of one pod key, as a pod worker runs it (public for tests that drive it directly).
  void sync_pod(const std::string& key);
  // Where serviceAccountToken volumes get their tokens (lab/node/token_manager.h); call before
  // start(). Without one, a pod with such a volume waits with FailedMount.
  void set_service_account_tokens(ServiceAccountTokenSource tokens) { tokens_ = std::move(tokens); }

 private:
  using Clock = std::chrono::steady_clock;
  struct ContainerRecord {
    std::string name;
    int restarts = 0;
    int restart_base = 0;    // restarts before this pod init (earlier sandboxes of the pod)
    std::string started_at;  // RFC 3339 of the current run
    Json last_terminated;    // lastState.terminated, null if none
  };
  // A pod this kubelet runs. Its fields change only in the worker that holds the pod's key
  // (the queue never gives one key to two workers), except `stopping`, which is also read by
  // running_count() and so is set under mu_.
  struct PodRecord {
    std::string key, uid, ns, name, node, veth, state_dir, start_time;
    pid_t init_pid = 0;
    UniqueFd pidfd;  // readable once the pod init has exited
    net::Ipv4 ip;
    bool stopping = false;
    Clock::time_point kill_at;
    std::vector<ContainerRecord> containers;
    std::shared_ptr<const ProbedPod> probed;
    std::map<std::string, Payload> volumes;  // the content last written, by volume name
    std::string volume_error;                // the last FailedMount of a refresh ("" = none)
  };
  using RecordPtr = std::shared_ptr<PodRecord>;

  // One pod of adopt(); throws on a pod whose spec cannot be read.
  void adopt_pod(const Json& pod);
  // What a pod keeps when its sandbox (the pod init) died and is made again, as the kubelet
  // keeps the pod and counts its containers' restarts across sandboxes.
  struct PriorSandbox {
    net::Ipv4 ip;
    std::vector<ContainerRecord> containers;
  };
  // Pod life cycle (kubelet.cc).
  Result<void> start_pod(const Json& pod, const PriorSandbox* prior = nullptr);
  void stop_pod(const Json& pod, const RecordPtr& rec);
  void kill_now(const RecordPtr& rec);
  void track(const RecordPtr& rec, const std::vector<bool>& assume_ready);
  void forget(const RecordPtr& rec);
  void release_network(const PodRecord& rec);
  void sync_status(const Json& pod, PodRecord& rec);
  Result<void> write_status(const Json& cached, const std::string& uid,
                            const std::function<Json(const Json& fresh)>& build);
  void remove_object(const Json& pod);
  void on_probe(const ProbeReport& r);
  void event(const Json& pod, const std::string& type, const std::string& reason, const std::string& msg);

  // Volumes and the objects a pod reads (kubelet_volumes.cc).
  api::ObjectLookup object_lookup(const std::string& ns) const;
  VolumeInputs volume_inputs(const Json& pod) const;
  // Sets up the pod's volumes before its sandbox; false when one cannot be (a FailedMount event,
  // the pod waits ContainerCreating and is tried again).
  bool set_up_pod_volumes(const Json& pod, std::map<std::string, Payload>& written);
  // Writes again what changed in a running pod's secret, configMap, downwardAPI and projected volumes.
  void refresh_volumes(const Json& pod, PodRecord& rec);
  // A container that cannot be made yet (CreateContainerConfigError): event, status, retry.
  void wait_for_config(const Json& pod, const std::string& container, const std::string& message);
  // A Secret's or ConfigMap's change wakes the pods of nodes that read it (static: an informer
  // handler may run after the kubelet is gone, so it holds copies and the factory's informer).
  static void on_object_change(const store::Informer& pods, const std::set<std::string>& nodes, WorkQueue& queue,
                               const std::string& kind, const store::ObjPtr& old, const store::ObjPtr& cur);

  ServiceAccountTokenSource tokens_;  // set_service_account_tokens

  // Bookkeeping under mu_ (kubelet_state.cc).
  const net::NodePlan* find_node(const std::string& name) const;
  // preferred: the address to give again if it is free (a sandbox made anew).
  Result<net::Ipv4> allocate_ip(const net::NodePlan& node, std::optional<net::Ipv4> preferred = std::nullopt);
  void release_ip(const std::string& node, net::Ipv4 ip);
  std::shared_ptr<const net::Netns> node_netns(const std::string& node);
  RecordPtr record_of(const std::string& key) const;

  cluster::LabRecord rec_;
  std::string self_exe_;
  store::Registry& registry_;
  store::InformerFactory& informers_;
  store::Informer& pods_;
  store::Informer& services_;  // the Service variables of a starting pod's containers
  store::Informer& secrets_;      // volumes, env and envFrom
  store::Informer& config_maps_;  // volumes, env and envFrom
  store::Informer& node_objects_; // a NotReady node's pods are not Ready
  api::NodeAllocatable allocatable_ = api::host_allocatable();
  std::set<std::string> nodes_;
  // Shared with the informer handler, which may outlive this object by a few events.
  std::shared_ptr<WorkQueue> queue_;

  mutable std::mutex mu_;  // guards what follows; never held across netlink, spawn or store calls
  std::map<std::string, RecordPtr> running_;            // by pod key ("ns/name"); one incarnation
  std::map<std::string, std::set<uint32_t>> used_ips_;  // by node name: host indexes taken
  std::map<std::string, uint32_t> last_ip_;             // by node name: last host index given
  std::map<std::string, std::shared_ptr<const net::Netns>> node_netns_;  // opened once, kept

  // Declared last: destroyed (and their threads joined) before everything they call into.
  Prober prober_;
  ExitWatcher exits_;
  PodWorkers workers_;
  NodeHealth health_;
};

}  // namespace lab::node
