// /run/lab on its own tmpfs when /run is on a disk (see run_dir.h).
#include "lab/cluster/run_dir.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "lab/cluster/lab_record.h"

namespace lab::cluster {
namespace {

constexpr const char* kRunParent = "/run";

bool on_tmpfs(const char* path) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

// A mount point: on another device than its parent.
bool is_mount_point(const char* path, const char* parent) {
  struct stat a {}, b {};
  return ::stat(path, &a) == 0 && ::stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

}  // namespace

Result<RunDirLock> RunDirLock::acquire() {
  UniqueFd fd(::open(kRunParent, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(std::string("open ") + kRunParent);
  int rc;
  do rc = ::flock(fd.get(), LOCK_EX);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) return fail_errno(std::string("lock ") + kRunParent);
  return RunDirLock(std::move(fd));
}

Result<void> prepare_run_dir(const RunDirLock&) {
  if (::mkdir(kRunDir, 0700) != 0 && errno != EEXIST) return fail_errno(std::string("mkdir ") + kRunDir);
  if (on_tmpfs(kRunDir)) return {};
  // The source names it in `mount` and /proc/mounts; mode as the directory's.
  if (::mount("lab", kRunDir, "tmpfs", 0, "mode=0700") != 0)
    return fail_errno(std::string("mount a tmpfs on ") + kRunDir);
  return {};
}

Result<void> remove_run_dir(const RunDirLock&) {
  // Only a mount point on a /run that is not a tmpfs itself can be ours (prepare_run_dir's rule).
  if (!on_tmpfs(kRunParent) && on_tmpfs(kRunDir) && is_mount_point(kRunDir, kRunParent) &&
      ::umount2(kRunDir, MNT_DETACH) != 0)
    return fail_errno(std::string("unmount ") + kRunDir);
  if (::rmdir(kRunDir) != 0 && errno != ENOENT) return fail_errno(std::string("remove ") + kRunDir);
  return {};
}

}  // namespace lab::cluster
