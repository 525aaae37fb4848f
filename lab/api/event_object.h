// Event objects (core/v1 Event) as the event recorder builds them, and the annotation keys the
// lab's own components share. Pure: writing goes through the registry's recorder.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lab::api {

// The node that answers ARP for a LoadBalancer Service's address (MetalLB's speaker role).
inline constexpr const char* kAnnouncedBy = "lab.dev/announced-by";

struct EventSource {
  std::string component;  // "default-scheduler", "kubelet", "replicaset-controller"
  std::string host;       // the node, for the kubelet's events
};

// The name of the event that correlates (object, reason, message): a repeat is a lookup of this
// name, not a scan of every event, as client-go's aggregator keys them.
std::string event_name(const nlohmann::json& object, const std::string& reason, const std::string& message);

// A new Event about object (count 1, first and last timestamp now).
nlohmann::json make_event(const nlohmann::json& object, const std::string& type, const std::string& reason,
                          const std::string& message, const EventSource& source);

}  // namespace lab::api
