// The two controllers of lab/controllers/endpoints_mirror.h: Endpoints for every Service with a
// selector (from its EndpointSlices), and EndpointSlices mirroring the Endpoints a user writes for
// a Service without one.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

// How long the Endpoints of a Service wait after a change of its slices, so that a burst of slice
// writes (one per Service selecting a pod) comes first and each Service's Endpoints are written
// once for the burst: the legacy API trails the EndpointSlices the proxies read.
inline constexpr std::chrono::milliseconds kEndpointsBatch{100};

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
