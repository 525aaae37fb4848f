// Endpoints from pods: one slice per distinct set of resolved ports (a named targetPort can map
// to different numbers on different pods), written only when it changes.
#include "lab/controllers/endpointslice.h"

#include <map>
#include <optional>

#include "lab/api/json_access.h"
#include "lab/api/labels.h"
#include "lab/api/objects.h"

namespace lab::controllers {

using Json = nlohmann::json;

namespace {

// podutil.FindPort: a number as is; a name through the pod's containers (and sidecars, init
// containers that restart Always) whose port has that name and the Service port's protocol.
std::optional<int> find_port(const Json& svc_port, const Json& pod) {
  const Json& target_port = api::member(svc_port, "targetPort");
  const Json& target = target_port.is_null() ? api::member(svc_port, "port") : target_port;
  if (target.is_number_integer()) return target.get<int>();
  if (!target.is_string()) return std::nullopt;
  const std::string& name = target.get_ref<const std::string&>();
  const std::string protocol = api::string_at(svc_port, "protocol", "TCP");
  auto search = [&](const Json& containers, bool sidecars_only) -> std::optional<int> {
    if (!containers.is_array()) return std::nullopt;
    for (const auto& c : containers) {
      if (!c.is_object() || (sidecars_only && api::string_at(c, "restartPolicy") != "Always")) continue;
      for (const auto& p : api::array_at(c, "ports")) {
        const Json& number = api::member(p, "containerPort");
        if (api::string_at(p, "name") == name && api::string_at(p, "protocol", "TCP") == protocol &&
            number.is_number_integer())
          return number.get<int>();
      }
    }
    return std::nullopt;
  };
  const Json& spec = api::member(pod, "spec");
  if (auto n = search(api::member(spec, "containers"), false)) return n;
  return search(api::member(spec, "initContainers"), true);
}

std::string slice_key(const Json& slice) {
  const Json& meta = api::metadata_of(slice);
  return api::string_at(meta, "namespace") + "/" + api::string_at(meta, "name");
}

// What the controller decides of a slice (its endpoints, ports, labels, address type).
Json written_content(const Json& slice) {
  return Json::array({api::member(slice, "endpoints"), api::member(slice, "ports"),
                      api::member(api::metadata_of(slice), "labels"), api::member(slice, "addressType")});
}

// written (a written_content) is what slice holds, compared in place.
bool same_content(const Json& written, const Json& slice) {
  return written[0] == api::member(slice, "endpoints") && written[1] == api::member(slice, "ports") &&
         written[2] == api::member(api::metadata_of(slice), "labels") && written[3] == api::member(slice, "addressType");
}

// A pod in its Services' slices: with an address and not ended (ShouldPodBeInEndpoints).
bool in_endpoints(const Json* pod) {
  if (!pod) return false;
  const Json& status = api::member(*pod, "status");
  const std::string phase = api::string_at(status, "phase");
  return !api::string_at(status, "podIP").empty() && phase != "Succeeded" && phase != "Failed";
}

}  // namespace

bool endpoint_changed(const Json* old, const Json* cur) {
  const bool was = in_endpoints(old), is = in_endpoints(cur);
  if (was != is) return true;
  if (!was) return false;  // in no slice before or after, whatever its labels
  const Json &o = *old, &c = *cur;
  return api::member(api::metadata_of(o), "labels") != api::member(api::metadata_of(c), "labels") ||
         api::string_at(api::member(o, "status"), "podIP") != api::string_at(api::member(c, "status"), "podIP") ||
         api::condition_true(o, "Ready") != api::condition_true(c, "Ready") ||
         api::is_terminating(o) != api::is_terminating(c) ||
         api::string_at(api::member(o, "spec"), "nodeName") != api::string_at(api::member(c, "spec"), "nodeName");
}

Json endpoint_ports(const Json& svc, const Json& pod) {
  // getEndpointPorts: a port the pod does not resolve is left out of its endpoints' slice.
  Json out = Json::array();
  for (const auto& p : api::array_at(api::member(svc, "spec"), "ports")) {
    if (!p.is_object()) continue;
    auto number = find_port(p, pod);
    if (!number) continue;
    out.push_back({{"name", api::string_at(p, "name")}, {"port", *number}, {"protocol", api::string_at(p, "protocol", "TCP")}});
  }
  return out;
}

Json endpoint_conditions(bool publish_not_ready, const Json& pod) {
  // podToEndpoint: serving is the pod's Ready condition as the kubelet reports it (it keeps
  // probing readiness while the pod terminates); ready is never true for a terminating pod
  // unless the Service publishes not-ready addresses.
  const bool serving = api::condition_true(pod, "Ready");
  const bool terminating = api::is_terminating(pod);
  return {{"ready", publish_not_ready || (serving && !terminating)}, {"serving", serving}, {"terminating", terminating}};
}

Json endpoint_slice_labels(const Json& svc) {
  // setEndpointSliceLabels: the Service's labels but the reserved ones, the headless label when
  // the Service has no ClusterIP (kube-proxy ignores such slices), and the two owner labels.
  Json labels = Json::object();
  auto reserved = [](const std::string& k) {
    return k == "kubernetes.io/service-name" || k == api::kManagedByLabel || k == api::kHeadlessLabel;
  };
  const Json& meta = api::metadata_of(svc);
  if (const Json& l = api::member(meta, "labels"); l.is_object())
    for (const auto& [k, v] : l.items())
      if (!reserved(k) && v.is_string()) labels[k] = v;
  const std::string cip = api::string_at(api::member(svc, "spec"), "clusterIP");
  if (cip.empty() || cip == "None") labels[api::kHeadlessLabel] = "";
  labels["kubernetes.io/service-name"] = api::string_at(meta, "name");
  labels[api::kManagedByLabel] = api::kEndpointSliceController;
  return labels;
}

std::vector<std::string> index_by_selector(const Json& svc) {
  std::vector<std::string> out;
  const Json& sel = api::member(api::member(svc, "spec"), "selector");
  if (!sel.is_object()) return out;
  const std::string ns = api::string_at(api::metadata_of(svc), "namespace");
  for (const auto& [k, v] : sel.items())
    if (v.is_string()) out.push_back(ns + "/" + k + "=" + v.get<std::string>());
  return out;
}

EndpointSliceController::EndpointSliceController(Context& ctx) : Controller("endpointslice-controller", ctx) {
  ctx.services.add_index(kBySelector, index_by_selector);
  ctx.services.add_handler([this](const ObjPtr& old, const ObjPtr& cur) { enqueue(cur ? cur : old); });
  ctx.slices.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    // Another writer's change is put right; a delete (cur null) may leave the Service without
    // a slice. Our own writes need nothing.
    if (cur && written_by_us(*cur)) return;
    if (!cur) forget_written(slice_key(*old));
    if (auto key = owner_key(cur ? *cur : *old, "Service"); !key.empty()) queue_.add(key);
  });
  ctx.pods.add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
    // Most of a pod's writes change nothing its endpoints show (a new pod binding and starting
    // before it has an address, restart counts, the other conditions): they wake no Service.
    if (!endpoint_changed(old.get(), cur.get())) return;
    // Both versions: a label change leaves some Services and joins others.
    if (old) pod_changed(*old);
    if (cur) pod_changed(*cur);
  });
}

void EndpointSliceController::note_written(const std::string& key, const Json& slice) {
  std::lock_guard lock(written_mu_);
  written_[key] = written_content(slice);
}

void EndpointSliceController::forget_written(const std::string& key) {
  std::lock_guard lock(written_mu_);
  written_.erase(key);
}

bool EndpointSliceController::written_by_us(const Json& slice) {
  std::lock_guard lock(written_mu_);
  auto it = written_.find(slice_key(slice));
  // Not as noted: an older version still on its way, or another writer's (which comes after
  // ours, so our note has been consumed by then).
  if (it == written_.end() || !same_content(it->second, slice)) return false;
  written_.erase(it);
  return true;
}

void EndpointSliceController::pod_changed(const Json& pod) {
  const Json& labels = api::member(api::metadata_of(pod), "labels");
  for (const auto& pair : store::index_by_labels(pod))
    for (const auto& svc : ctx_.services.by_index(kBySelector, pair))
      if (api::Selector::from_match_labels(api::member(api::member(*svc, "spec"), "selector")).matches(labels))
        queue_.add_batched(store::Informer::key_of(*svc), kPodBatch);
}

std::vector<std::string> EndpointSliceController::all_keys() const {
  return keys_of(ctx_.services);
}

Result<void> EndpointSliceController::sync(const std::string& key) {
  auto cached = ctx_.services.get(key);
  if (!cached) return {};  // deleted: the garbage collector removes its slices
  const Json& svc = *cached;
  const Json& meta = api::metadata_of(svc);
  const std::string ns = api::string_at(meta, "namespace", "default"), name = api::string_at(meta, "name");
  const Json& spec = api::member(svc, "spec");
  const Json& selector_labels = api::member(spec, "selector");
  if (!selector_labels.is_object() || selector_labels.empty()) return {};  // managed by hand
  if (api::string_at(spec, "type") == "ExternalName") return {};  // an alias has no endpoints
  const std::vector<ObjPtr> existing = ctx_.slices.by_index(store::kByController, api::string_at(meta, "uid"));

  // Group endpoints by the ports they resolve (the reconciler's endpointMeta): one slice per set.
  std::map<std::string, std::pair<Json, Json>> groups;  // ports as text -> (ports, endpoints)
  auto selector = api::Selector::from_match_labels(selector_labels);
  const bool publish_not_ready = api::member(spec, "publishNotReadyAddresses") == true;
  // Candidates share the selector's first pair; the whole selector decides.
  const std::string first = index_by_selector(svc).front();
  for (const auto& cached_pod : ctx_.pods.by_index(store::kByLabel, first)) {
    const Json& pod = *cached_pod;
    const Json& pod_meta = api::metadata_of(pod);
    if (!selector.matches(api::member(pod_meta, "labels"))) continue;
    if (!in_endpoints(&pod)) continue;
    std::string ip = api::string_at(api::member(pod, "status"), "podIP");
    Json ports = endpoint_ports(svc, pod);
    auto& group = groups[ports.dump()];
    group.first = std::move(ports);
    group.second.push_back({{"addresses", Json::array({ip})},
                            {"conditions", endpoint_conditions(publish_not_ready, pod)},
                            {"nodeName", api::string_at(api::member(pod, "spec"), "nodeName")},
                            {"targetRef", {{"kind", "Pod"}, {"name", api::member(pod_meta, "name")}, {"namespace", ns},
                                           {"uid", api::member(pod_meta, "uid")}}}});
  }
  if (groups.empty()) groups["[]"] = {Json::array(), Json::array()};  // a Service always has a slice, even empty

  size_t used = 0;
  const Json labels = endpoint_slice_labels(svc);
  for (auto& [key, group] : groups) {
    auto& [ports, endpoints] = group;
    std::sort(endpoints.begin(), endpoints.end(), [](const Json& a, const Json& b) { return a["addresses"][0] < b["addresses"][0]; });
    if (used >= existing.size()) {
      Json want = {{"apiVersion", "discovery.k8s.io/v1"},
                   {"kind", "EndpointSlice"},
                   {"metadata",
                    {{"namespace", ns},
                     {"generateName", name + "-"},
                     {"ownerReferences", Json::array({api::owner_reference(svc)})},
                     {"labels", labels}}},
                   {"addressType", "IPv4"},
                   {"endpoints", std::move(endpoints)},
                   {"ports", std::move(ports)}};
      // A new slice's name is the server's (generateName): noted after, so its creation may
      // come back as work once (rare: a Service's first slice).
      auto r = ctx_.registry.create(std::move(want));
      if (!r) return std::unexpected(r.error());
      note_written(slice_key(*r), *r);
    } else if (const Json& slice = *existing[used];
               api::member(api::metadata_of(slice), "labels") != labels || api::member(slice, "addressType") != "IPv4" ||
               api::member(slice, "endpoints") != endpoints || api::member(slice, "ports") != ports) {
      Json want = slice;  // as read: its resourceVersion is the write's precondition
      want["metadata"]["labels"] = labels;
      want["addressType"] = "IPv4";
      want["endpoints"] = std::move(endpoints);
      want["ports"] = std::move(ports);
      const std::string written = slice_key(want);
      note_written(written, want);
      auto r = ctx_.registry.update(std::move(want));
      if (!r) {
        forget_written(written);
        return std::unexpected(r.error());
      }
    }
    used++;
  }
  for (; used < existing.size(); ++used) {
    const Json& stale = api::metadata_of(*existing[used]);
    auto r = ctx_.registry.remove("EndpointSlice", ns, api::string_at(stale, "name"),
                                  {.grace_seconds = std::nullopt, .uid = api::string_at(stale, "uid")});
    if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
  }
  return {};
}

}  // namespace lab::controllers
