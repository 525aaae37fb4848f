// Capabilities of container processes: Docker's default set of 14, for `lab exec` as well.
#pragma once

#include "lab/base/result.h"

namespace lab::runtime {

// Shrinks the calling process to Docker's default capabilities: drops every other one from the
// bounding set (else execve as root would give them all back), sets permitted = effective =
// the default set, clears inheritable and ambient. Needs CAP_SETPCAP, so call it before
// seccomp and while still root.
Result<void> drop_to_default_caps();

}  // namespace lab::runtime
