// A pod's volumes in a container's root (rootfs.cc calls these): each volumeMount is a bind of a
// host path the kubelet prepared, its sub-path and its mount point resolved with openat2's
// RESOLVE_IN_ROOT, so that no symlink, whether the container planted it in a writable volume or
// the root holds it (/var/run -> /run), leads out of the volume or the root (the subPath escape,
// CVE-2017-1002101). Mounts go through /proc/self/fd, never through a path that could change.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "runtime/rootfs.h"

namespace lab::runtime {

// Opens each volume's source, its sub-path resolved inside it (directories made when missing, as
// the kubelet makes a missing subPath). Call before the new root covers the host's /tmp.
Result<std::vector<UniqueFd>> open_volume_sources(const std::vector<BindMount>& volumes);

// Binds each source on its mount point in the root whose directory is root_fd (made there as a
// directory or an empty file, like the source), parents before the mounts nested in them.
Result<void> mount_volumes(int root_fd, const std::vector<BindMount>& volumes, const std::vector<UniqueFd>& sources);

// The fd of path (relative, '/'-separated) below dir_fd, resolved as if dir_fd were "/", each
// missing directory made (0755). "" is dir_fd itself.
Result<UniqueFd> open_dirs_in(int dir_fd, const std::string& path);

}  // namespace lab::runtime
