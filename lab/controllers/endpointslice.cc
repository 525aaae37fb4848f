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
  const Json target = svc_port.value("targetPort", svc_port.value("port", Json(0)));
  if (target.is_number_integer()) return target.get<int>();
  if (!target.is_string()) return std::nullopt;
  const std::string name = target.get<std::string>(), protocol = svc_port.value("protocol", "TCP");
  auto search = [&](const Json& containers, bool sidecars_only) -> std::optional<int> {
    if (!containers.is_array()) return std::nullopt;
    for (const auto& c : containers) {
      if (!c.is_object() || (sidecars_only && c.value("restartPolicy", "") != "Always")) continue;
      for (const auto& p : c.value("ports", Json::array()))
        if (p.is_object() && p.value("name", "") == name && p.value("protocol", "TCP") == protocol)
          return p.value("containerPort", 0);
    }
    return std::nullopt;
  };
  const Json& spec = pod.contains("spec") ? pod["spec"] : Json::object();
  if (auto n = search(spec.value("containers", Json::array()), false)) return n;
  return search(spec.value("initContainers", Json::array()), true);
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

}  // namespace

Json endpoint_ports(const Json& svc, const Json& pod) {
  // getEndpointPorts: a port the pod does not resolve is left out of its endpoints' slice.
  Json out = Json::array();
  for (const auto& p : svc["spec"].value("ports", Json::array())) {
    auto number = find_port(p, pod);
    if (!number) continue;
    out.push_back({{"name", p.value("name", "")}, {"port", *number}, {"protocol", p.value("protocol", "TCP")}});
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
    return k == "kubernetes.io/service-name" || k == "endpointslice.kubernetes.io/managed-by" ||
           k == "service.kubernetes.io/headless";
  };
  const Json& meta = svc["metadata"];
  if (auto l = meta.find("labels"); l != meta.end() && l->is_object())
    for (const auto& [k, v] : l->items())
      if (!reserved(k) && v.is_string()) labels[k] = v;
  const std::string cip = svc["spec"].value("clusterIP", "");
  if (cip.empty() || cip == "None") labels["service.kubernetes.io/headless"] = "";
  labels["kubernetes.io/service-name"] = meta.value("name", "");
  labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io";
  return labels;
}

std::vector<std::string> index_by_selector(const Json& svc) {
  std::vector<std::string> out;
  const Json& meta = svc["metadata"];
  auto spec = svc.find("spec");
  if (spec == svc.end() || !spec->is_object()) return out;
  auto sel = spec->find("selector");
  if (sel == spec->end() || !sel->is_object()) return out;
  std::string ns = meta.value("namespace", "");
  for (const auto& [k, v] : sel->items())
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
  if (it == written_.end() || it->second != written_content(slice)) return false;
  written_.erase(it);
  return true;
}

void EndpointSliceController::pod_changed(const Json& pod) {
  auto labels = pod["metadata"].value("labels", Json::object());
  for (const auto& pair : store::index_by_labels(pod))
    for (const auto& svc : ctx_.services.by_index(kBySelector, pair))
      if (api::Selector::from_match_labels((*svc)["spec"]["selector"]).matches(labels))
        queue_.add_batched(store::Informer::key_of(*svc), kPodBatch);
}

std::vector<std::string> EndpointSliceController::all_keys() const {
  return keys_of(ctx_.services);
}

Result<void> EndpointSliceController::sync(const std::string& key) {
  auto cached = ctx_.services.get(key);
  if (!cached) return {};  // deleted: the garbage collector removes its slices
  const Json& svc = *cached;
  std::string ns = svc["metadata"].value("namespace", "default");
  std::string name = svc["metadata"]["name"];
  const Json& spec = svc["spec"];
  std::vector<Json> existing;
  for (const auto& s : ctx_.slices.by_index(store::kByController, svc["metadata"].value("uid", "")))
    existing.push_back(*s);
  if (!spec.contains("selector") || spec["selector"].empty()) return {};  // managed by hand
  if (spec.value("type", "") == "ExternalName") return {};  // an alias has no endpoints

  // Group endpoints by the ports they resolve (the reconciler's endpointMeta): one slice per set.
  std::map<std::string, std::pair<Json, Json>> groups;  // ports as text -> (ports, endpoints)
  auto selector = api::Selector::from_match_labels(spec["selector"]);
  bool publish_not_ready = spec.value("publishNotReadyAddresses", false);
  // Candidates share the selector's first pair; the whole selector decides.
  const std::string first = index_by_selector(svc).front();
  for (const auto& cached_pod : ctx_.pods.by_index(store::kByLabel, first)) {
    const Json& pod = *cached_pod;
    if (!selector.matches(pod["metadata"].value("labels", Json::object()))) continue;
    const Json& status = pod.value("status", Json::object());
    std::string ip = status.value("podIP", "");
    std::string phase = status.value("phase", "");
    if (ip.empty() || phase == "Succeeded" || phase == "Failed") continue;
    Json ports = endpoint_ports(svc, pod);
    auto& group = groups[ports.dump()];
    group.first = ports;
    group.second.push_back({{"addresses", Json::array({ip})},
                           {"conditions", endpoint_conditions(publish_not_ready, pod)},
                           {"nodeName", pod["spec"].value("nodeName", "")},
                           {"targetRef", {{"kind", "Pod"}, {"name", pod["metadata"]["name"]}, {"namespace", ns},
                                          {"uid", pod["metadata"]["uid"]}}}});
  }
  if (groups.empty()) groups["[]"] = {Json::array(), Json::array()};  // a Service always has a slice, even empty

  size_t used = 0;
  const Json labels = endpoint_slice_labels(svc);
  for (auto& [key, group] : groups) {
    auto& [ports, endpoints] = group;
    std::sort(endpoints.begin(), endpoints.end(), [](const Json& a, const Json& b) { return a["addresses"][0] < b["addresses"][0]; });
    Json slice = used < existing.size()
                     ? existing[used]
                     : Json{{"apiVersion", "discovery.k8s.io/v1"},
                            {"kind", "EndpointSlice"},
                            {"metadata",
                             {{"namespace", ns},
                              {"generateName", name + "-"},
                              {"ownerReferences", Json::array({api::owner_reference(svc)})}}}};
    Json want = slice;
    want["metadata"]["labels"] = labels;
    want["addressType"] = "IPv4";
    want["endpoints"] = endpoints;
    want["ports"] = ports;
    if (used >= existing.size()) {
      // A new slice's name is the server's (generateName): noted after, so its creation may
      // come back as work once (rare: a Service's first slice).
      auto r = ctx_.registry.create(want);
      if (!r) return std::unexpected(r.error());
      note_written(slice_key(*r), *r);
    } else if (want != slice) {
      const std::string written = slice_key(want);
      note_written(written, want);
      auto r = ctx_.registry.update(want);
      if (!r) {
        forget_written(written);
        return std::unexpected(r.error());
      }
    }
    used++;
  }
  for (; used < existing.size(); ++used) {
    auto r = ctx_.registry.remove("EndpointSlice", ns, existing[used]["metadata"]["name"],
                                  {.grace_seconds = std::nullopt, .uid = existing[used]["metadata"].value("uid", "")});
    if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
  }
  return {};
}

}  // namespace lab::controllers
