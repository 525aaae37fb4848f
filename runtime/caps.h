// Capabilities of container processes: Docker's default set of 14, adjusted by a container's
// securityContext.capabilities (add/drop), for containers and for `lab exec`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::runtime {

// A set of capabilities: bit n is capability n (CAP_CHOWN = bit 0).
using CapSet = uint64_t;

inline constexpr CapSet cap_bit(int cap) { return CapSet{1} << cap; }

// Docker's default set (moby oci/caps/defaults.go): CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD,
// NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
CapSet default_caps();
// Every capability this kernel knows (what `add: [ALL]` gives).
CapSet all_caps();

// A capability's number from its name as Kubernetes takes it: "NET_ADMIN", "CAP_NET_ADMIN",
// any case. An error names the unknown capability.
Result<int> capability_from_name(std::string_view name);
// "CAP_NET_ADMIN".
std::string capability_name(int cap);

// containerd's order for securityContext.capabilities: `ALL` in add (every capability), `ALL`
// in drop (none), then the other adds, then the other drops (a drop wins over an add).
Result<CapSet> adjust_caps(CapSet base, const std::vector<std::string>& add, const std::vector<std::string>& drop);

// Shrinks the calling process to caps (only those it holds: `ALL` on a host whose root lacks
// one gives what root has): drops every other one from the bounding set (else execve as root
// would give them all back), sets permitted = effective = caps, clears inheritable and
// ambient. Needs CAP_SETPCAP, so call it before seccomp. A non-root uid (set before, with
// PR_SET_KEEPCAPS) keeps only the bounding set across execve, as under runc.
Result<void> drop_caps_to(CapSet caps);
// The two halves of drop_caps_to, for a caller that changes its uid and gids between them
// (which needs CAP_SETUID/CAP_SETGID in effect even when caps lacks them): the bounding set
// and ambient set first, while root; then permitted = effective = caps (of those still held,
// PR_SET_KEEPCAPS keeping them across setuid).
Result<void> limit_bounding_set(CapSet caps);
Result<void> set_process_caps(CapSet caps);
// drop_caps_to(default_caps()).
Result<void> drop_to_default_caps();

}  // namespace lab::runtime
