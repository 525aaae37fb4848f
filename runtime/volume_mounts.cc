// Pod volumes bound into a container's root (see volume_mounts.h).
#include "runtime/volume_mounts.h"

#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <numeric>

namespace lab::runtime {
namespace {

constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

int openat2_in(int dir_fd, const std::string& path, uint64_t flags, uint64_t resolve = kInRoot) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  for (;;) {
    int fd = static_cast<int>(::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN) return fd;  // EAGAIN: a rename raced the lookup; try again
  }
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    start = slash + 1;
  }
  return out;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

size_t depth(const std::string& target) { return components(target).size(); }

}  // namespace

Result<UniqueFd> open_dirs_in(int dir_fd, const std::string& path) {
  UniqueFd cur(openat2_in(dir_fd, ".", O_PATH | O_DIRECTORY));
  if (!cur) return fail_errno("open the volume's root");
  std::string prefix;
  for (const auto& part : components(path)) {
    if (part == "..") return fail("path " + path + " must not contain '..'");
    const std::string next = prefix.empty() ? part : prefix + "/" + part;
    int fd = openat2_in(dir_fd, next, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(cur.get(), part.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + next);
      fd = openat2_in(dir_fd, next, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) return fail_errno("open " + next);
    cur.reset(fd);
    prefix = next;
  }
  return cur;
}

Result<std::vector<UniqueFd>> open_volume_sources(const std::vector<BindMount>& volumes) {
  std::vector<UniqueFd> out;
  for (const auto& v : volumes) {
    auto base = UniqueFd::open(v.source, O_PATH);
    if (!base) return std::unexpected(base.error().context("volume source"));
    if (v.sub_path.empty()) {
      out.push_back(std::move(*base));
      continue;
    }
    // A file or a directory that is there (a key of a configMap volume is a symlink into ..data,
    // followed inside the volume); otherwise the directory is made, as the kubelet makes it.
    int fd = openat2_in(base->get(), v.sub_path, O_PATH);
    if (fd >= 0) {
      out.emplace_back(fd);
      continue;
    }
    if (errno != ENOENT) return fail_errno("subPath " + v.sub_path + " of " + v.source);
    auto made = open_dirs_in(base->get(), v.sub_path);
    if (!made) return std::unexpected(made.error().context("subPath " + v.sub_path + " of " + v.source));
    out.push_back(std::move(*made));
  }
  return out;
}

Result<void> mount_volumes(int root_fd, const std::vector<BindMount>& volumes, const std::vector<UniqueFd>& sources) {
  std::vector<size_t> order(volumes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return depth(volumes[a].target) < depth(volumes[b].target); });
  for (size_t i : order) {
    const BindMount& v = volumes[i];
    const std::vector<std::string> parts = components(v.target);
    if (!v.target.starts_with('/') || parts.empty())
      return fail("volume mount point must be an absolute path below /: " + v.target);
    if (parts.front() == "proc") return fail("volume mount point " + v.target + " is in /proc");
    std::string rel;
    for (const auto& p : parts) rel += (rel.empty() ? "" : "/") + p;
    struct stat st{};
    if (::fstat(sources[i].get(), &st) != 0) return fail_errno("stat " + v.source);

    // The mount point, made like the source: a directory, or an empty file for a file.
    UniqueFd target;
    if (S_ISDIR(st.st_mode)) {
      auto dir = open_dirs_in(root_fd, rel);
      if (!dir) return std::unexpected(dir.error().context("volume mount point " + v.target));
      target = std::move(*dir);
    } else {
      const size_t slash = rel.rfind('/');
      auto parent = open_dirs_in(root_fd, slash == std::string::npos ? "" : rel.substr(0, slash));
      if (!parent) return std::unexpected(parent.error().context("volume mount point " + v.target));
      target.reset(openat2_in(root_fd, rel, O_PATH));
      if (!target && errno == ENOENT) {
        const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
        UniqueFd made(::openat(parent->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!made && errno != EEXIST) return fail_errno("volume mount point " + v.target);
        target.reset(openat2_in(root_fd, rel, O_PATH));
      }
      if (!target) return fail_errno("volume mount point " + v.target);
    }
    if (::mount(fd_path(sources[i].get()).c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND | MS_REC,
                nullptr) != 0)
      return fail_errno("mount volume " + v.source + " on " + v.target);
    // A bind ignores the flags: a second call sets them on the new mount, found afresh.
    UniqueFd mounted(openat2_in(root_fd, rel, O_PATH));
    if (!mounted) return fail_errno("open volume mount " + v.target);
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (v.writable ? 0 : MS_RDONLY);
    if (::mount(nullptr, fd_path(mounted.get()).c_str(), nullptr, flags, nullptr) != 0)
      return fail_errno("remount volume " + v.target);
  }
  return {};
}

}  // namespace lab::runtime
