// /run/lab on a tmpfs of its own when /run is not one. Debian mounts /run as a tmpfs; some
// machines (this project's VMs among them) keep it on the root filesystem, where a big lab's
// thousands of small state files cost much more: on an ext4 mounted with `discard`, removing
// a 1,000-pod lab's files took 25 s of `lab down`. The mount lives exactly as long as /run/lab:
// made by the first `lab up`, taken away by the tidy-up after the last lab goes.
#pragma once

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"

namespace lab::cluster {

// An flock on /run itself, held while /run/lab is made, mounted, unmounted or removed, and while
// the registry lock file inside it is opened: so that a mount never hides a lock file someone
// holds, and two `lab up`s never mount twice.
class RunDirLock {
 public:
  static Result<RunDirLock> acquire();

 private:
  explicit RunDirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// With the RunDirLock held: makes /run/lab (0700) and, when it is not on a tmpfs, mounts one on it.
Result<void> prepare_run_dir(const RunDirLock&);

// With the RunDirLock held, once /run/lab is empty: unmounts the tmpfs prepare_run_dir made (a
// /run/lab that is no mount point is left alone), then removes the directory (gone already: done).
Result<void> remove_run_dir(const RunDirLock&);

}  // namespace lab::cluster
