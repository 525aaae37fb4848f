// Per-netns sysctls: /proc/sys/net resolves against the netns of the thread that opens the file,
// so the write happens from inside the target netns and no mount namespace is needed.
#include "netns/sysctl.h"

#include "lab/base/unique_fd.h"

namespace lab::net {

namespace {

// Writes one sysctl from a thread already inside the target netns.
Result<void> write_here(const Netns& ns, const std::string& key, const std::string& value) {
  std::string what = "set sysctl " + key + "=" + value + (ns.name().empty() ? "" : " in " + ns.name());
  if (key.empty() || key.front() == '/' || key.find("..") != std::string::npos)
    return fail(what + ": invalid key (expected e.g. net/ipv4/ip_forward)", EINVAL);
  // Opened (not only written) inside: the file is bound to the netns at open time. No O_CREAT, so a
  // misspelt key reads as "No such file or directory".
  auto fd = UniqueFd::open("/proc/sys/" + key, O_WRONLY);
  if (!fd) return std::unexpected(fd.error().context(what));
  ssize_t n;
  do n = ::write(fd->get(), value.data(), value.size());
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
  for (const auto& [key, value] : settings) LAB_TRY(write_here(ns, key, value));
  return {};
}

}  // namespace lab::net
