// The kubelet's side of volumes and of the objects a pod reads (see volumes.h): set up before the
// sandbox (FailedMount keeps the pod ContainerCreating), refreshed while it runs (a changed Secret,
// ConfigMap or label reaches the files within a resync), and the pods woken by a change of what
// they read.
#include "lab/api/json_access.h"
#include "lab/base/clock.h"
#include "lab/node/kubelet.h"
#include "lab/node/kubelet_internal.h"
#include "lab/node/pod_status.h"

namespace lab::node {

using detail::log_line;

api::ObjectLookup Kubelet::object_lookup(const std::string& ns) const {
  return [this, ns](const std::string& kind, const std::string& name) -> std::shared_ptr<const Json> {
    return (kind == "Secret" ? secrets_ : config_maps_).get(ns, name);
  };
}

VolumeInputs Kubelet::volume_inputs(const Json& pod) const {
  VolumeInputs in{object_lookup(pod_namespace(pod)), allocatable_, static_cast<gid_t>(-1), tokens_};
  // fsGroup: the volumes' files belong to it, as the kubelet's SetVolumeOwnership makes them.
  const Json& fs_group = api::member(api::member(api::member(pod, "spec"), "securityContext"), "fsGroup");
  if (fs_group.is_number_integer() && fs_group.get<int64_t>() >= 0) in.gid = static_cast<gid_t>(fs_group.get<int64_t>());
  return in;
}

bool Kubelet::set_up_pod_volumes(const Json& pod, std::map<std::string, Payload>& written) {
  const std::string dir = cluster::pod_dir(rec_.name, pod_namespace(pod), pod_name(pod));
  auto failure = set_up_volumes(pod, dir, volume_inputs(pod), written);
  if (!failure) return true;
  const std::string key = store::Informer::key_of(pod), msg = failure->event();
  event(pod, "Warning", "FailedMount", msg);
  const auto* node = find_node(pod_node(pod));
  const std::string host_ip = node ? node->ip.str() : "", now = now_rfc3339();
  auto w = write_status(pod, pod_uid(pod), [&](const Json& fresh) {
    return waiting_pod_status(api::member(fresh, "spec"), api::member(fresh, "status"), host_ip, "",
                              "", "", now);
  });
  if (!w) log_line("pod " + key + ": status: " + w.error().what());
  queue_->add_rate_limited(key);
  return false;
}

void Kubelet::refresh_volumes(const Json& pod, PodRecord& rec) {
  auto failure = set_up_volumes(pod, rec.state_dir, volume_inputs(pod), rec.volumes, /*content_only=*/true);
  const std::string msg = failure ? failure->event() : "";
  // Once per failure, not every resync: the files keep their last content meanwhile.
  if (!msg.empty() && msg != rec.volume_error) event(pod, "Warning", "FailedMount", msg);
  rec.volume_error = msg;
}

void Kubelet::wait_for_config(const Json& pod, const std::string& container, const std::string& message) {
  const std::string key = store::Informer::key_of(pod);
  event(pod, "Warning", "Failed", "Error: " + message);
  const auto* node = find_node(pod_node(pod));
  const std::string host_ip = node ? node->ip.str() : "", now = now_rfc3339();
  auto w = write_status(pod, pod_uid(pod), [&](const Json& fresh) {
    return config_error_pod_status(api::member(fresh, "spec"), api::member(fresh, "status"), host_ip,
                                   container, message, now);
  });
  if (!w) log_line("pod " + key + ": status: " + w.error().what());
  queue_->add_rate_limited(key);
}

void Kubelet::on_object_change(const store::Informer& pods, const std::set<std::string>& nodes, WorkQueue& queue,
                               const std::string& kind, const store::ObjPtr& old, const store::ObjPtr& cur) {
  const Json& obj = cur ? *cur : *old;
  const Json& meta = api::metadata_of(obj);
  std::string ns = api::string_at(meta, "namespace");
  if (ns.empty()) ns = "default";
  const std::string name = api::string_at(meta, "name");
  if (old && cur && api::member(*old, "data") == api::member(*cur, "data") &&
      api::member(*old, "binaryData") == api::member(*cur, "binaryData"))
    return;  // metadata alone: nothing a pod reads
  for (const auto& pod : pods.list(ns))
    if (nodes.contains(pod_node(*pod)) && pod_references(*pod, kind, name)) queue.add(store::Informer::key_of(*pod));
}

}  // namespace lab::node
