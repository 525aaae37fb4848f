// The two controllers of lab/controllers/endpoints_mirror.h: Endpoints for every Service with a
// selector (from its EndpointSlices), and EndpointSlices mirroring the Endpoints a user writes for
// a Service without one.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class EndpointsController : public Controller {
 public:
  explicit EndpointsController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;
  bool own_writes_per_key() const override { return true; }  // a Service's own Endpoints
};

class EndpointSliceMirroringController : public Controller {
 public:
  explicit EndpointSliceMirroringController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& key) override;
  bool own_writes_per_key() const override { return true; }  // the mirrors of one Endpoints
};

}  // namespace lab::controllers
