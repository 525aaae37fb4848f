// Lab teardown in dependency order: processes first (they hold pod netns), then the wiring,
// then the files under /run/lab/<lab>.
#include "lab/cluster/teardown.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include "lab/cluster/run_dir.h"
#include "runtime/cgroups.h"
#include "runtime/spawn.h"

namespace lab::cluster {

Result<void> teardown_lab(const LabRecord& rec, const std::function<void(const char* step)>& done,
                          const std::function<void()>& kill_known) {
  Result<void> first;
  auto keep = [&](Result<void> r) {
    if (first && !r) first = std::move(r);
  };
  auto step = [&](const char* name) {
    if (done) done(name);
  };
  // The wiring first, while every pod still lives: once a thousand pod netns die, the kernel's
  // cleanup of them holds the rtnl lock for long stretches, and a single link request waited
  // 0.5-1.8 s behind it. Pods cut off from the node network for their last milliseconds lose
  // nothing.
  keep(net::teardown_fabric(rec.plan));
  step("network");
  // The pods' cgroups (runtime/cgroups.h) go while the pods die: a cgroup is removed as soon as
  // its last process has exited (until then rmdir answers EBUSY and is tried again), and the
  // removal of a memory cgroup mostly waits for the kernel (each goes offline on a workqueue,
  // ~1 ms apiece under one lock: a second for a thousand pods), so nothing should wait before it.
  Result<void> cgroups;
  {
    std::jthread remover([&] { cgroups = runtime::remove_cgroup(runtime::host_cgroups(), runtime::lab_cgroup(rec.name)); });
    if (kill_known) {
      kill_known();
      step("known pods");
    }
    // The starters first: one still running could fork a pod after the scan below. A daemon
    // killed in the middle of a posix_spawn leaves a child that has not exec'd lab-pod-init yet
    // (its command line is still the daemon's): it shows up as a starter, or a pod, a moment
    // later. So the scan is repeated until two passes 20 ms apart find nothing.
    for (int quiet = 0, pass = 0; quiet < 2 && pass < 100; ++pass) {
      auto found = runtime::find_pod_processes(rec.name);
      if (found.starters.empty() && found.inits.empty()) {
        if (++quiet < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      quiet = 0;
      // A pod a starter forks after this pass's scan is found by the next one.
      if (!found.starters.empty()) keep(runtime::kill_pod_starters(rec.name));
      for (pid_t pid : found.inits) keep(runtime::kill_pod(pid));
    }
    step("pod processes");
    std::error_code ec;
    std::filesystem::remove_all(lab_dir(rec.name), ec);
    if (ec) keep(fail("remove " + lab_dir(rec.name) + ": " + ec.message()));
    step("files");
  }
  // Once more, now that the scan is quiet: a stray pod init makes its cgroups itself, and one
  // the scan found may have made them after the remover listed the tree. This pass stands for
  // the first: it tells how the machine is left (and costs nothing when the first did it all).
  cgroups = runtime::remove_cgroup(runtime::host_cgroups(), runtime::lab_cgroup(rec.name));
  keep(std::move(cgroups));
  step("cgroups");
  return first;
}

Result<void> tidy_run_dir() {
  auto lock = RegistryLock::acquire();
  if (!lock || !list_labs().empty()) return {};
  auto run_dir = RunDirLock::acquire();
  if (!run_dir) return std::unexpected(run_dir.error());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kRunDir, ec)) {
    // Only the lock file and leftovers of half-made labs can be here.
    std::error_code rm;
    std::filesystem::remove_all(entry.path(), rm);
    if (rm) return fail("remove " + entry.path().string() + ": " + rm.message());
  }
  LAB_TRY(remove_run_dir(*run_dir));
  // `ip netns add` leaves /run/netns as a bind mount of itself; with no namespace left in it,
  // take it away too, so the machine is as it was (iproute2 recreates it when needed).
  if (std::filesystem::is_empty(net::kNetnsDir, ec) && !ec) {
    if (::umount2(net::kNetnsDir, MNT_DETACH) != 0 && errno != EINVAL)  // EINVAL: not a mount point
      return fail_errno(std::string("unmount ") + net::kNetnsDir);
    if (::rmdir(net::kNetnsDir) != 0 && errno != ENOENT) return fail_errno(std::string("remove ") + net::kNetnsDir);
  }
  return {};
}

}  // namespace lab::cluster
