// The `kubernetes` Service of `default` is kept, as kube-apiserver's kubernetes-service
// (bootstrap) controller keeps it: created if missing, its ports and type put back at start,
// and made again whenever it is deleted. A controller rather than a special case in the
// registry's delete, because that is how a cluster behaves: the delete really happens (watchers
// see DELETED, then ADDED with a new uid), and the Service comes back a moment later.
//
// Its endpoints are the API server's own address (the pod-facing listener on the host's fabric
// address, ClusterInfo::apiserver_ip), written as kube-apiserver's endpoint reconciler writes
// them (pkg/controlplane/reconcilers/endpointsadapter.go): Endpoints `kubernetes` labelled
// endpointslice.kubernetes.io/skip-mirror=true (so the mirroring controller leaves it alone) and
// EndpointSlice `kubernetes` labelled kubernetes.io/service-name=kubernetes (no managed-by, so
// the EndpointSlice controller, which owns only its own slices of selector Services, leaves it
// alone too); a change or delete of either is put back, other slices of the Service deleted.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

// The Endpoints and the EndpointSlice kube-apiserver writes for the `kubernetes` Service with
// one API server at ip:port (IPv4).
Json kubernetes_endpoints(const std::string& ip, int port);
Json kubernetes_endpoint_slice(const std::string& ip, int port);

class KubernetesServiceController : public Controller {
 public:
  // Does nothing when ctx.cluster.kubernetes_service is null; keeps no endpoints when
  // ctx.cluster.apiserver_ip is "".
  explicit KubernetesServiceController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;

 private:
  Result<void> sync_service();
  Result<void> sync_endpoints();
  Result<void> sync_slices();

  std::string key_;         // "default/kubernetes"
  bool reconciled_ = false; // ports and type are put back on the first sync only, as upstream
};

}  // namespace lab::controllers
