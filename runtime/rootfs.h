// A container's root filesystem: a private tmpfs holding a read-only bind of its image's root
// (image_root.h) at /usr, busybox applet links, generated /etc, fresh /proc and a minimal /dev of
// its own device nodes. Nothing on host disk.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "lab/base/result.h"

namespace lab::runtime {

inline constexpr const char* kBusybox = "/usr/bin/busybox";

// A host file or directory shown at an absolute path of the container (an image's entrypoint
// that is a lab executable; the lab's read-only API socket directory; a pod volume).
struct BindMount {
  std::string source;  // host path
  std::string target;  // in the container, e.g. "/coredns", "/run/lab"
  bool writable = false;  // volumes only: emptyDir and hostPath without readOnly
  std::string sub_path = "";  // volumes only: the part of source to show, resolved without leaving it
};

struct RootfsPlan {
  std::string usr;  // host dir shown read-only (nosuid, nodev) at /usr: the image's root
  std::vector<std::pair<std::string, std::string>> etc;  // path under /etc, content
  std::vector<BindMount> binds;                           // read-only, nosuid, nodev
  // The pod's volumeMounts: nosuid, nodev, read-only unless writable; their mount points are made
  // in the new root without following a symlink out of it, after /dev (a volume at /dev/shm).
  std::vector<BindMount> volumes;
  const std::vector<std::string>* applets = nullptr;     // busybox applets for /bin
  bool nginx = false;                                     // nginx's /var/lib, /var/log dirs
  bool host_lib64 = false;                                // /lib64 -> usr/lib64 (the image root has one)
};

// Names from `busybox --list`. Runs busybox once; call before forking containers.
Result<std::vector<std::string>> busybox_applets();
// Key under which start_pod() passes the list in spec.json (not part of PodRuntimeSpec), for a
// pod without an applets directory.
inline constexpr const char* kAppletsKey = "busyboxApplets";
// Makes dir (unless it is there) holding a symlink to busybox per applet, whole or not at all
// (built beside it and renamed), so that concurrent callers and a crash leave no partial one.
// Mounted read-only as /bin, it spares each container hundreds of symlinks, made at start and
// torn down at exit.
Result<void> make_applets_dir(const std::string& dir, const std::vector<std::string>& applets);

// Makes dir once, whole or not at all: `fill` builds it in a fresh directory beside it (its
// argument), which is then renamed into place, so that callers racing (two node agents starting
// pods) and a crash halfway leave no partial one. Nothing to do when dir is already there.
Result<void> make_dir_once(const std::string& dir, const std::function<Result<void>(const std::string& tmp)>& fill);

// Builds the root and pivots into it. The caller must be alone in a mount namespace whose
// mounts don't propagate to the host (unshare(CLONE_NEWNS) from a MS_PRIVATE tree), and in
// the pod's pid namespace (for /proc), and single-threaded (setns). Afterwards "/" is the
// container root and the whole of the mount namespace, also when the lab runs from a chroot;
// read-only except /tmp, /run, /var and /dev.
Result<void> enter_rootfs(const RootfsPlan& plan);

}  // namespace lab::runtime
