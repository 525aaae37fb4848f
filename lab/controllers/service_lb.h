// The fake LoadBalancer, MetalLB layer-2 style: a LoadBalancer Service gets an address from the
// lab's pool in status.loadBalancer.ingress and one node to announce it (answer ARP for it),
// named in the annotation api::kAnnouncedBy.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class LoadBalancerController : public Controller {
 public:
  explicit LoadBalancerController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;
};

}  // namespace lab::controllers
