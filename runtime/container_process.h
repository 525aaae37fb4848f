// "Become this container's process": the steps that turn a forked, still privileged child into
// a process of the container, shared by the container's own start (container.cc) and by
// `lab exec` and exec probes (exec.cc), so that an exec'd process runs exactly as the
// container's does, as runc exec gives it the container's process settings: the container's
// cgroup first, then its supplemental groups, gid and uid, its capability sets, no_new_privs,
// and its seccomp filter last.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "runtime/pod_spec.h"
#include "runtime/seccomp.h"

namespace lab::runtime {

// Where a container's seccomp program comes from (pure, for the pod init and exec alike).
enum class SeccompSource {
  Unconfined,  // seccompProfile Unconfined: none
  Own,         // the container's own precompiled program (its `seccompBpf` in the spec)
  Compiled,    // Docker's profile compiled for the container's capabilities (they differ from Docker's)
  Pod,         // the pod's precompiled default program (the spec's top-level `seccompBpf`)
};
SeccompSource seccomp_source(const SecuritySpec& s, bool has_own_program);

// The container's program from its spec: own_hex and pod_hex are the hex programs carried
// in the spec ("" when absent; a missing pod program is compiled, as the pod init does).
// nullopt: none (Unconfined). A corrupt program is an error, never "no filter".
Result<std::optional<SeccompFilter>> container_seccomp(const SecuritySpec& s, std::string_view own_hex,
                                                       std::string_view pod_hex);

// What the calling process becomes.
struct ContainerProcess {
  std::vector<int> cgroup_procs;           // cgroup.procs of the container's cgroup, one per hierarchy
  const SecuritySpec* security = nullptr;  // required
  const SeccompFilter* seccomp = nullptr;  // nullptr: Unconfined
  int terminal = -1;  // the process's pty peer, handed to its uid as runc does the console
};

// In a forked child that is still root with every capability, right before execve: joins the
// cgroup, hands the terminal to the container's uid, limits the bounding set, sets groups,
// gid and uid, the container's capabilities, no_new_privs and the seccomp filter. Any failure
// is returned and the caller must not exec (never a process with more than the container's).
Result<void> become_container_process(const ContainerProcess& p);

}  // namespace lab::runtime
