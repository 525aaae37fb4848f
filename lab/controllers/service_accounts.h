// Two of kube-controller-manager's per-namespace controllers:
//  - the serviceaccounts-controller (pkg/controller/serviceaccount): ServiceAccount `default` in
//    every namespace, made again whenever it is deleted;
//  - the root-ca-cert-publisher (pkg/controller/certificates/rootcacertpublisher): ConfigMap
//    `kube-root-ca.crt` in every namespace holding the cluster CA under ca.crt (what a pod's
//    kube-api-access volume projects), its data put back when changed or deleted.
// Keys are namespace names. A namespace being deleted gets neither again: the namespace
// controller deletes them with the rest of its content (and the registry refuses new content
// there); one found in a namespace that is gone is removed.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

inline constexpr const char* kRootCaConfigMap = "kube-root-ca.crt";

// The objects the two controllers keep in namespace ns.
Json default_service_account(const std::string& ns);
Json root_ca_config_map(const std::string& ns, const std::string& ca_pem);

// Both do nothing when ctx.cluster.root_ca_pem is "" (a lab without its PKI has no tokens to give).
class ServiceAccountsController : public Controller {
 public:
  explicit ServiceAccountsController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& ns) override;

 private:
  store::Informer &namespaces_, &accounts_;
};

class RootCaPublisher : public Controller {
 public:
  explicit RootCaPublisher(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& ns) override;

 private:
  store::Informer &namespaces_, &config_maps_;
};

}  // namespace lab::controllers
