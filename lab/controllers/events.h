// Events, as controllers and the kubelet record them (core/v1 Event): repeated events for the
// same object and reason are folded into one with a count, as the event recorder does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lab/store/store.h"

namespace lab::controllers {

// type: "Normal" or "Warning"; component: "default-scheduler", "kubelet", "replicaset-controller".
void record_event(store::Store& st, const nlohmann::json& object, const std::string& type,
                  const std::string& reason, const std::string& message,
                  const std::string& component, const std::string& host = "");

}  // namespace lab::controllers
