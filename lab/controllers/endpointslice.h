// The EndpointSlice controller: for each Service with a selector, the pods it selects as
// endpoints (address, conditions ready/serving/terminating, nodeName, targetRef), with named
// target ports resolved per pod; slices labelled kubernetes.io/service-name.
#pragma once

#include <nlohmann/json.hpp>

#include "lab/base/result.h"
#include "lab/store/store.h"

namespace lab::controllers {

Result<void> reconcile_endpoint_slices(store::Store& st, const nlohmann::json& service);

}  // namespace lab::controllers
