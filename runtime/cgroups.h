// cgroups of pods and containers: one per pod (`lab-<lab>/pod-<uid>`, with the pod's pids
// limit and, when every container has one, the sum of their memory and CPU limits) and one per
// container below it (`.../ctr-<name>`, the container's limits), as the kubelet's pod and
// container cgroups. On whichever hierarchy the host has: the v1 memory, cpu, cpuacct and pids
// controllers where they are mounted (hybrid hosts included, as runc and crun do), else the
// unified v2 tree. The names are the lab's own top-level directories so that leftovers show
// (tests/integration/lib.sh machine_state); the daemon itself never joins one.
//
// The path and value logic is pure (unit-tested); the edge mkdirs, writes and rmdirs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"

namespace lab::runtime {

// Limits of one cgroup; 0 = none (the controller's default).
struct CgroupLimits {
  int64_t memory_bytes = 0;
  int64_t cpu_quota_us = 0;  // per cpu_period_us: CFS bandwidth (v1 cfs_quota_us, v2 cpu.max)
  int64_t cpu_period_us = 100'000;
  int64_t cpu_shares = 0;    // v1 cpu.shares (2..262144); v2 gets the kubelet's cpu.weight for it
  int64_t pids_max = 0;
  bool operator==(const CgroupLimits&) const = default;
};

// Kubernetes' conversions (pkg/kubelet/cm/helpers_linux.go): shares = milli * 1024 / 1000 (at
// least 2), quota = milli * period / 1000 (at least 1000 us), weight = 1 + (shares - 2) * 9999
// / 262142.
int64_t cpu_shares_from_milli(int64_t milli);
int64_t cpu_quota_from_milli(int64_t milli, int64_t period_us);
int64_t cpu_weight_from_shares(int64_t shares);

enum class CgroupVersion { None, V1, V2 };

// Where the host's cgroup hierarchies are.
struct CgroupLayout {
  CgroupVersion version = CgroupVersion::None;
  std::string v2_root;                    // the cgroup2 mount (v2 only)
  std::map<std::string, std::string> v1;  // controller -> its mount ("cpu" -> /sys/fs/cgroup/cpu)
};

// From /proc/self/mountinfo's text: v1 when a v1 memory, cpu or pids controller is mounted
// (hybrid included), else v2 when cgroup2 is mounted, else None.
CgroupLayout parse_cgroup_layout(std::string_view mountinfo);

// Relative names: the lab's, a pod's, a container's.
std::string lab_cgroup(std::string_view lab);
std::string pod_cgroup(std::string_view lab, std::string_view pod_uid);
std::string container_cgroup(std::string_view pod_cgroup, std::string_view container);

// The absolute directories of rel, one per hierarchy the layout uses (v1 controllers that
// share a mount share a directory).
std::vector<std::string> cgroup_dirs(const CgroupLayout& layout, std::string_view rel);

struct CgroupWrite {
  std::string path;
  std::string value;
  bool operator==(const CgroupWrite&) const = default;
};
// The files to write, in order, to give rel the limits.
std::vector<CgroupWrite> limit_writes(const CgroupLayout& layout, std::string_view rel, const CgroupLimits& limits);
// The file whose `oom_kill N` line counts the OOM kills in rel (v1 memory.oom_control, v2
// memory.events), "" without a memory controller.
std::string oom_events_file(const CgroupLayout& layout, std::string_view rel);
// N of its `oom_kill N` line; 0 when there is none.
uint64_t parse_oom_kills(std::string_view text);

// What `lab top` reads: CPU time used (ns) and the working set (usage less inactive file
// pages, as the kubelet's cadvisor reports it).
struct CgroupUsage {
  uint64_t cpu_ns = 0;
  uint64_t memory_bytes = 0;
};
// The memory.stat key of the inactive file pages (v1 total_inactive_file, v2 inactive_file).
uint64_t working_set(uint64_t usage, std::string_view memory_stat, CgroupVersion version);

// ---- the edge ----

// The host's layout, detected once.
const CgroupLayout& host_cgroups();
// Makes rel's directories (and its parents') and writes its limits. Existing ones are reused.
Result<void> create_cgroup(const CgroupLayout& layout, std::string_view rel, const CgroupLimits& limits);
// cgroup.procs of each of rel's directories, opened for writing: a forked child writes "0" to
// each to join before it execs.
Result<std::vector<UniqueFd>> open_cgroup_procs(const CgroupLayout& layout, std::string_view rel);
// Writes "0" to each: the calling process joins. Async-signal-safe (for a forked child).
bool join_cgroup(const std::vector<int>& procs_fds);
// Removes rel and everything below it on every hierarchy, deepest first, retrying while the
// kernel still holds a dying process for up to ~1 s. A missing directory is no error.
Result<void> remove_cgroup(const CgroupLayout& layout, std::string_view rel);
// OOM kills so far in rel (0 without a memory controller or cgroup).
uint64_t oom_kills(const CgroupLayout& layout, std::string_view rel);
Result<CgroupUsage> read_usage(const CgroupLayout& layout, std::string_view rel);

}  // namespace lab::runtime
