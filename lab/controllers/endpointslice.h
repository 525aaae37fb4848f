// The EndpointSlice controller: for each Service with a selector, the pods it selects as
// endpoints (address, conditions ready/serving/terminating, nodeName, targetRef), with named
// target ports resolved per pod; slices labelled kubernetes.io/service-name. A pod's change
// wakes only the Services whose selectors match it (found through a selector index).
#pragma once

#include <map>
#include <mutex>

#include "lab/controllers/controller.h"

namespace lab::controllers {

class EndpointSliceController : public Controller {
 public:
  explicit EndpointSliceController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;
  // As kube-controller-manager's --concurrent-service-endpoint-syncs (5): a pod selected by 100
  // Services wakes 100 keys, and one worker wrote their slices one informer round trip apart.
  size_t workers() const override { return 5; }
  bool own_writes_per_key() const override { return true; }  // a Service's own slices

 private:
  void pod_changed(const Json& pod);
  // The controller's own slice writes, as Kubernetes' endpointSliceTracker keeps them: a slice
  // coming back through the informer as this controller wrote it does not queue its Service
  // again (a pod's change reconciled 100 Services, then 100 more times for their own slices),
  // while another writer's change, or a delete, still does. Noted before the write, so the
  // informer thread cannot see the write first; by content, since the version is not known yet.
  void note_written(const std::string& slice_key, const Json& slice);
  void forget_written(const std::string& slice_key);
  bool written_by_us(const Json& slice);  // a match consumes the note

  std::mutex written_mu_;
  std::map<std::string, Json> written_;  // "ns/name" of a slice -> what was written (written_content)
};

// A Service's selector as index values "ns/key=value" (one per pair), so the Services that may
// select a pod are found from the pod's own labels.
std::vector<std::string> index_by_selector(const Json& svc);
inline constexpr const char* kBySelector = "selector";

// The ports a pod serves svc on (the reconciler's getEndpointPorts): each Service port whose
// targetPort the pod resolves (a number as is, a name through its containers' ports of the same
// protocol), as EndpointSlice ports {name, port, protocol}; ports it does not resolve are absent.
// Endpoints are grouped into slices by this list.
nlohmann::json endpoint_ports(const nlohmann::json& svc, const nlohmann::json& pod);
// Whether a pod's change from old to cur (either null: created, deleted) can change an endpoint
// of the Services selecting it (Kubernetes' podEndpointsChanged): it joins or leaves the slices
// (an address, the end of its run), or, in them, its labels, address, Ready condition,
// termination or node change.
bool endpoint_changed(const nlohmann::json* old, const nlohmann::json* cur);
// An endpoint's conditions (podToEndpoint): serving = the pod's Ready condition, terminating =
// it has a deletionTimestamp, ready = publishNotReadyAddresses || (serving && !terminating).
nlohmann::json endpoint_conditions(bool publish_not_ready, const nlohmann::json& pod);
// The labels of svc's slices (setEndpointSliceLabels): the Service's own but the reserved ones,
// service.kubernetes.io/headless when it has no ClusterIP, service-name and managed-by.
nlohmann::json endpoint_slice_labels(const nlohmann::json& svc);

}  // namespace lab::controllers
