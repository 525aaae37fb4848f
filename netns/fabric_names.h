// The names the fabric gives its links, shared by the builder (fabric.cc) and the health
// checks (node_health.cc).
#pragma once

#include <cstddef>
#include <string>

namespace lab::net::fabric_names {

inline constexpr const char* kFabricBridge = "br0";
inline constexpr const char* kFabricHostPort = "host";  // fabric end of the host veth
inline constexpr const char* kNodeEth = "eth0";
inline constexpr const char* kNodeBridge = "cbr0";
inline constexpr const char* kPodEth = "eth0";

// Fabric port of node i (0-based); short so that any index fits IFNAMSIZ.
inline std::string node_port(size_t i) { return "n" + std::to_string(i + 1); }

}  // namespace lab::net::fabric_names
