// The EndpointSlice controller: for each Service with a selector, the pods it selects as
// endpoints (address, conditions ready/serving/terminating, nodeName, targetRef), with named
// target ports resolved per pod; slices labelled kubernetes.io/service-name. A pod's change
// wakes only the Services whose selectors match it (found through a selector index).
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class EndpointSliceController : public Controller {
 public:
  explicit EndpointSliceController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;

 private:
  void pod_changed(const Json& pod);
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
// An endpoint's conditions (podToEndpoint): serving = the pod's Ready condition, terminating =
// it has a deletionTimestamp, ready = publishNotReadyAddresses || (serving && !terminating).
nlohmann::json endpoint_conditions(bool publish_not_ready, const nlohmann::json& pod);
// The labels of svc's slices (setEndpointSliceLabels): the Service's own but the reserved ones,
// service.kubernetes.io/headless when it has no ClusterIP, service-name and managed-by.
nlohmann::json endpoint_slice_labels(const nlohmann::json& svc);

}  // namespace lab::controllers
