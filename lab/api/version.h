// The Kubernetes version the lab's API speaks, in one place: the API server's /version and every
// node's status.nodeInfo.kubeletVersion say the same, as a cluster without skew does. The minor
// matters: kubectl's dispatcher (the Cloud SDK's) picks the kubectl binary by it, so the lab
// reports the one whose requests it serves (shared/reference/kubectl.md §1.1).
//
// 1.32 unless a test says otherwise: LAB_KUBE_MINOR in the daemon's environment (read once, at
// its start: set_kube_minor_from_env) makes it report another minor the lab serves, so the
// dispatcher runs that kubectl (tests of other kubectl versions; README "Testing").
#pragma once

#include <string>

#include "lab/base/result.h"

namespace lab::api {

inline constexpr const char* kVersionMajor = "1";
inline constexpr int kDefaultMinor = 32;
// The kubectl minors whose requests the lab has been checked against (kubectl 1.29 asks for
// legacy discovery, 1.32+ send protobuf bodies); an older or newer one is refused, not guessed at.
inline constexpr int kMinMinor = 29;
inline constexpr int kMaxMinor = 33;
inline constexpr const char* kMinorEnv = "LAB_KUBE_MINOR";

// "32" (or the override).
std::string version_minor();
// "v1.32.0-lab" (or the override's minor).
std::string git_version();
// "1.32" (kube-probe's User-Agent).
std::string major_minor();

// The override as LAB_KUBE_MINOR gives it: unset or empty keeps 1.32; anything but a whole
// number in [kMinMinor, kMaxMinor] is an error that names the variable and the range.
Result<int> parse_kube_minor(const char* env_value);
// Reads LAB_KUBE_MINOR and sets the process's minor; call once, before any thread reads it.
Result<void> set_kube_minor_from_env();

}  // namespace lab::api
