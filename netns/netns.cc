// Network namespace handles: named ones the way `ip netns add` makes them, anonymous ones held by fd,
// and scoped per-thread switching (setns affects only the calling thread, so this is thread-safe).
#include "netns/netns.h"

#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace lab::net {
namespace {

// /proc/self would name the thread group leader's netns, which is wrong once another thread switched.
constexpr const char* kThreadNetns = "/proc/thread-self/ns/net";

Result<void> check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.size() > 200)
    return fail("invalid network namespace name \"" + name + "\"", EINVAL);
  return {};
}

std::string path_of(const std::string& name) { return std::string(kNetnsDir) + "/" + name; }

// Refuses fds that are not netns, e.g. a /run/netns file whose bind mount is gone.
Result<void> check_is_netns(int fd, const std::string& path) {
  int type = ::ioctl(fd, NS_GET_NSTYPE);
  if (type < 0) return fail(path + " is not a namespace (a leftover file?)", EINVAL);
  if (type != CLONE_NEWNET) return fail(path + " is a namespace, but not a network one", EINVAL);
  return {};
}

// Like iproute2: /run/netns must be a shared mount point, so that the bind mounts we put in it
// propagate to other mount namespaces (`ip netns exec` makes one) and their removal does too.
Result<void> ensure_netns_dir() {
  if (::mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST)
    return fail_errno(std::string("create ") + kNetnsDir);
  bool bound = false;
  while (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL || bound)
      return fail_errno(std::string("make ") + kNetnsDir + " a shared mount");
    // EINVAL: not a mount point yet.
    if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0)
      return fail_errno(std::string("bind-mount ") + kNetnsDir + " onto itself");
    bound = true;
  }
  return {};
}

// The new netns exists only while the thread sits in it, so it is pinned by a bind mount before the
// thread goes back (the RAII switch returns it on every path).
Result<void> pin_new_netns_at(const std::string& path) {
  auto back = NetnsSwitch::remember();
  if (!back) return std::unexpected(back.error());
  if (::unshare(CLONE_NEWNET) != 0) return fail_errno("unshare network namespace");
  if (::mount(kThreadNetns, path.c_str(), "none", MS_BIND, nullptr) != 0)
    return fail_errno("bind-mount new network namespace onto " + path);
  return {};
}

}  // namespace

Result<Netns> Netns::create_named(const std::string& name) {
  LAB_TRY(check_name(name));
  auto what = "create network namespace " + name;
  if (auto r = ensure_netns_dir(); !r) return std::unexpected(r.error().context(what));
  std::string path = path_of(name);
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
      if (errno == EEXIST) return fail(what + ": " + path + " already exists", EEXIST);
      return fail_errno(what + ": create " + path);
    }
    ::close(fd);
  }
  if (auto r = pin_new_netns_at(path); !r) {
    ::unlink(path.c_str());
    return std::unexpected(r.error().context(what));
  }
  auto fd = UniqueFd::open(path, O_RDONLY);
  if (!fd) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    return std::unexpected(fd.error().context(what));
  }
  return Netns(std::move(*fd), name);
}

Result<Netns> Netns::create_anonymous() {
  auto back = NetnsSwitch::remember();
  if (!back) return std::unexpected(back.error().context("create network namespace"));
  if (::unshare(CLONE_NEWNET) != 0) return fail_errno("create network namespace: unshare");
  auto fd = UniqueFd::open(kThreadNetns, O_RDONLY);
  if (!fd) return std::unexpected(fd.error().context("create network namespace"));
  return Netns(std::move(*fd), "");
}

Result<Netns> Netns::open_named(const std::string& name) {
  LAB_TRY(check_name(name));
  auto ns = open_path(path_of(name));
  if (!ns) return std::unexpected(ns.error().context("open network namespace " + name));
  return Netns(UniqueFd(ns->fd_.release()), name);
}

Result<Netns> Netns::open_path(const std::string& path) {
  auto fd = UniqueFd::open(path, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  LAB_TRY(check_is_netns(fd->get(), path));
  return Netns(std::move(*fd), "");
}

Result<Netns> Netns::current() {
  auto fd = UniqueFd::open(kThreadNetns, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  return Netns(std::move(*fd), "");
}

Result<void> remove_named_netns(const std::string& name) {
  LAB_TRY(check_name(name));
  std::string path = path_of(name);
  // Repeat in case a name was mounted over twice; EINVAL means nothing is mounted there any more.
  for (int i = 0; i < 16; ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;
    return fail_errno("remove network namespace " + name + ": unmount " + path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail_errno("remove network namespace " + name + ": delete " + path);
  return {};
}

std::vector<std::string> list_named_netns(const std::string& prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(kNetnsDir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(prefix)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<NetnsSwitch> NetnsSwitch::enter(int netns_fd) {
  auto original = UniqueFd::open(kThreadNetns, O_RDONLY);
  if (!original) return std::unexpected(original.error().context("enter network namespace"));
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return fail_errno("enter network namespace");
  return NetnsSwitch(std::move(*original));
}

Result<NetnsSwitch> NetnsSwitch::remember() {
  auto original = UniqueFd::open(kThreadNetns, O_RDONLY);
  if (!original) return std::unexpected(original.error());
  return NetnsSwitch(std::move(*original));
}

NetnsSwitch::~NetnsSwitch() {
  if (!original_) return;
  // Going back to a netns we held open cannot fail short of memory exhaustion; if it does, every
  // later call on this thread would create links, routes and rules in the wrong netns (perhaps
  // the host's view of a pod's), so stopping is the only safe outcome.
  if (::setns(original_.get(), CLONE_NEWNET) != 0) std::abort();
}

}  // namespace lab::net
