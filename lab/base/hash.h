// FNV-1a, 32 bits: the hash Kubernetes uses for pod-template-hash, and ours for short stable
// names (host links, veths) derived from longer ones.
#pragma once

#include <cstdint>
#include <string_view>

namespace lab {

constexpr uint32_t fnv1a32(std::string_view data) {
  uint32_t h = 2166136261u;
  for (unsigned char c : data) h = (h ^ c) * 16777619u;
  return h;
}

// 64 bits, for names derived from several fields (events correlate by object, reason, message).
constexpr uint64_t fnv1a64(std::string_view data, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace lab
