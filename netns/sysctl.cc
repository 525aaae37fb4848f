// Per-netns sysctls: /proc/sys/net resolves against the netns of the thread that opens the file,
// so the write happens from inside the target netns and no mount namespace is needed.
#include "netns/sysctl.h"

#include <sys/mount.h>

#include "lab/base/unique_fd.h"

namespace lab::net {

namespace {

// A proc instance of this thread's own, detached (never attached anywhere, gone with its fd).
// Under the host's /proc every netns's "ipv4" and "ipv6" directories are dentries of the same
// name under the same parent, one hash chain, so each open walked every netns the host has:
// quadratic in pods (0.34 ms a pod's two writes at 1,000 netns, 0.97 at 2,000, against a flat
// 0.11-0.13 through a fresh instance, measured here). A fresh proc superblock has its own
// dentries. Empty if the kernel or a sandbox refuses one (then /proc, slower, still right).
UniqueFd private_proc() {
  UniqueFd fs(::fsopen("proc", FSOPEN_CLOEXEC));
  if (!fs || ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return {};
  return UniqueFd(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
}

// Writes one sysctl from a thread already inside the target netns; proc is private_proc()'s
// instance, or empty for the host's /proc.
Result<void> write_here(const Netns& ns, const UniqueFd& proc, const std::string& key, const std::string& value) {
  std::string what = "set sysctl " + key + "=" + value + (ns.name().empty() ? "" : " in " + ns.name());
  if (key.empty() || key.front() == '/' || key.find("..") != std::string::npos)
    return fail(what + ": invalid key (expected e.g. net/ipv4/ip_forward)", EINVAL);
  // Opened (not only written) inside: the file is bound to the netns at open time. No O_CREAT, so a
  // misspelt key reads as "No such file or directory".
  const std::string path = "sys/" + key;
  UniqueFd fd(proc ? ::openat(proc.get(), path.c_str(), O_WRONLY | O_CLOEXEC)
                   : ::open(("/proc/" + path).c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno(what + ": open /proc/" + path);
  ssize_t n;
  do n = ::write(fd.get(), value.data(), value.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno(what);
  if (static_cast<size_t>(n) != value.size()) return fail(what + ": short write", EIO);
  return {};
}

}  // namespace

Result<void> set_sysctl(const Netns& ns, const std::string& key, const std::string& value) {
  return set_sysctls(ns, {{key, value}});
}

Result<void> set_sysctls(const Netns& ns, const std::vector<std::pair<std::string, std::string>>& settings) {
  auto in = NetnsSwitch::enter(ns);
  if (!in) return std::unexpected(in.error().context("set sysctls" + (ns.name().empty() ? "" : " in " + ns.name())));
  const UniqueFd proc = private_proc();
  for (const auto& [key, value] : settings) LAB_TRY(write_here(ns, proc, key, value));
  return {};
}

}  // namespace lab::net
