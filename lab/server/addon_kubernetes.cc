// The `kubernetes` Service, as kube-apiserver's bootstrap controller makes it
// (pkg/controlplane/controller/kubernetesservice): the service CIDR's first address, port 443
// named https to the API server's secure port, no selector (its endpoints are the API server's
// own addresses, written by the API server, not chosen from pods). The lab keeps it: the
// kubernetes-service controller (lab/controllers/kubernetes_service) recreates it when deleted.
#include "lab/server/addons.h"

#include "lab/store/service_alloc.h"

namespace lab::server {

std::vector<Json> kubernetes_service_objects(const cluster::LabRecord& rec) {
  const std::string ip = store::kubernetes_service_ip(rec.plan.service_cidr).str();
  Json svc = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", "kubernetes"},
        {"namespace", "default"},
        {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", ip},
        {"clusterIPs", Json::array({ip})},
        {"sessionAffinity", "None"},
        {"ports", Json::array({{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", 6443}}})}}},
  };
  return {std::move(svc)};
}

}  // namespace lab::server
