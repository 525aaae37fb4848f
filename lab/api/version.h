// The Kubernetes version the lab's API speaks, in one place: the API server's /version and every
// node's status.nodeInfo.kubeletVersion say the same, as a cluster without skew does. The minor
// matters: kubectl's dispatcher (the Cloud SDK's) picks the kubectl binary by it, so the lab
// reports the one whose requests it serves (shared/reference/kubectl.md §1.1).
#pragma once

namespace lab::api {

inline constexpr const char* kVersionMajor = "1";
inline constexpr const char* kVersionMinor = "32";
inline constexpr const char* kGitVersion = "v1.32.0-lab";

}  // namespace lab::api
