// The legacy Endpoints (v1) and EndpointSlices kept in step both ways, as kube-controller-manager
// does with two controllers: the endpoints controller writes a Service's Endpoints (what
// `kubectl get endpoints` and older tools read) — here from the slices the EndpointSlice
// controller made, which hold the same pods; and the EndpointSlice mirroring controller turns the
// Endpoints a user writes for a Service without a selector into slices, which the proxy serves.
// Pure functions here; the controllers that apply them are in endpoints_controllers.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lab::controllers {

// The Endpoints object of svc from its slices (those labelled with its name): per distinct port
// list a subset, ready endpoints as addresses and not-ready ones as notReadyAddresses (each
// {ip, nodeName, targetRef}); terminating endpoints only when the Service publishes not-ready
// addresses. Subsets sorted and repacked as endpoints.RepackSubsets does, so equal inputs give
// equal objects. Labels: the Service's, plus service.kubernetes.io/headless for a headless one.
nlohmann::json endpoints_from_slices(const nlohmann::json& svc, const std::vector<const nlohmann::json*>& slices);
nlohmann::json endpoints_from_slices(const nlohmann::json& svc, const std::vector<nlohmann::json>& slices);

// The slices that mirror a user's Endpoints (one per subset, at most 1,000 addresses each, as
// the mirroring controller's maxEndpointsPerSubset), named <endpoints>-<n>, labelled with the
// service name and managed-by endpointslicemirroring-controller.k8s.io, addresses ready true and
// notReadyAddresses ready false. Invalid addresses are skipped (the controller's behaviour).
std::vector<nlohmann::json> slices_from_endpoints(const nlohmann::json& endpoints);

// Whether the mirroring controller acts on these Endpoints: the Service exists, has no selector,
// and the Endpoints are not labelled endpointslice.kubernetes.io/skip-mirror=true.
bool mirrors(const nlohmann::json& endpoints, const nlohmann::json* svc);

inline constexpr const char* kMirroringManager = "endpointslicemirroring-controller.k8s.io";

}  // namespace lab::controllers
