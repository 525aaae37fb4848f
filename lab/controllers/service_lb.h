// The fake LoadBalancer, MetalLB layer-2 style: a LoadBalancer Service gets an address from the
// lab's pool in status.loadBalancer.ingress and one node to announce it (answer ARP for it),
// named in the annotation api::kAnnouncedBy. Like a cloud provider's service controller, it puts
// the finalizer service.kubernetes.io/load-balancer-cleanup on the Services it serves and takes
// it off once their load balancer is gone (deleted, or the type changed).
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class LoadBalancerController : public Controller {
 public:
  explicit LoadBalancerController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;

 private:
  // Takes the address and the announcement off a Service that no longer is a LoadBalancer.
  Result<void> release(Json svc);
  // Gives a LoadBalancer an address from the pool and a node to announce it.
  Result<void> allocate(const Json& svc);
};

}  // namespace lab::controllers
