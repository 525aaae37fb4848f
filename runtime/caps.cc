// Capability sets and their application with libcap. As root a set survives execve through
// the bounding set: P' = bounding set for uid 0.
#include "runtime/caps.h"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <array>
#include <cctype>
#include <memory>

namespace lab::runtime {
namespace {

// moby oci/caps/defaults.go.
constexpr std::array<int, 14> kDefaultCaps = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER,  CAP_MKNOD,
    CAP_NET_RAW, CAP_SETGID,       CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
    CAP_NET_BIND_SERVICE,          CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE};

// The kernel's names, without CAP_, by number (include/uapi/linux/capability.h, up to 40);
// a table rather than libcap's cap_from_name so that parsing needs no library state.
constexpr std::array<std::string_view, 41> kNames = {
    "CHOWN",        "DAC_OVERRIDE",     "DAC_READ_SEARCH", "FOWNER",      "FSETID",
    "KILL",         "SETGID",           "SETUID",          "SETPCAP",     "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",      "NET_RAW",     "IPC_LOCK",
    "IPC_OWNER",    "SYS_MODULE",       "SYS_RAWIO",       "SYS_CHROOT",  "SYS_PTRACE",
    "SYS_PACCT",    "SYS_ADMIN",        "SYS_BOOT",        "SYS_NICE",    "SYS_RESOURCE",
    "SYS_TIME",     "SYS_TTY_CONFIG",   "MKNOD",           "LEASE",       "AUDIT_WRITE",
    "AUDIT_CONTROL", "SETFCAP",         "MAC_OVERRIDE",    "MAC_ADMIN",   "SYSLOG",
    "WAKE_ALARM",   "BLOCK_SUSPEND",    "AUDIT_READ",      "PERFMON",     "BPF",
    "CHECKPOINT_RESTORE"};

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapState = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

CapSet default_caps() {
  CapSet s = 0;
  for (int c : kDefaultCaps) s |= cap_bit(c);
  return s;
}

CapSet all_caps() {
  int last = CAP_LAST_CAP;
  if (int max = cap_max_bits(); max > 0 && max <= 64) last = max - 1;
  return last >= 63 ? ~CapSet{0} : (cap_bit(last + 1) - 1);
}

Result<int> capability_from_name(std::string_view name) {
  std::string n = upper(name);
  std::string_view bare = n;
  if (bare.starts_with("CAP_")) bare.remove_prefix(4);
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == bare) return static_cast<int>(i);
  return fail("unknown capability \"" + std::string(name) + "\"", EINVAL);
}

std::string capability_name(int cap) {
  if (cap >= 0 && static_cast<size_t>(cap) < kNames.size()) return "CAP_" + std::string(kNames[static_cast<size_t>(cap)]);
  return "CAP_" + std::to_string(cap);
}

Result<CapSet> adjust_caps(CapSet base, const std::vector<std::string>& add, const std::vector<std::string>& drop) {
  auto is_all = [](const std::string& s) { return upper(s) == "ALL"; };
  CapSet caps = base;
  for (const auto& a : add)
    if (is_all(a)) caps = all_caps();
  for (const auto& d : drop)
    if (is_all(d)) caps = 0;
  for (const auto& a : add) {
    if (is_all(a)) continue;
    auto c = capability_from_name(a);
    if (!c) return std::unexpected(c.error());
    caps |= cap_bit(*c);
  }
  for (const auto& d : drop) {
    if (is_all(d)) continue;
    auto c = capability_from_name(d);
    if (!c) return std::unexpected(c.error());
    caps &= ~cap_bit(*c);
  }
  return caps;
}

namespace {

// The capabilities of wanted that the calling process holds (permitted).
Result<std::vector<cap_value_t>> held(CapSet wanted) {
  CapState current(cap_get_proc());
  if (!current) return fail_errno("cap_get_proc");
  std::vector<cap_value_t> out;
  cap_value_t max = static_cast<cap_value_t>(cap_max_bits());
  for (cap_value_t cap = 0; cap < max && cap < 64; ++cap) {
    cap_flag_value_t flag = CAP_CLEAR;
    if ((wanted & cap_bit(cap)) && cap_get_flag(current.get(), cap, CAP_PERMITTED, &flag) == 0 && flag == CAP_SET)
      out.push_back(cap);
  }
  return out;
}

}  // namespace

Result<void> limit_bounding_set(CapSet wanted) {
  cap_value_t max = static_cast<cap_value_t>(cap_max_bits());
  for (cap_value_t cap = 0; cap < max && cap < 64; ++cap) {
    if (wanted & cap_bit(cap)) continue;
    // EINVAL: the kernel doesn't know this one, so nothing to drop.
    if (cap_drop_bound(cap) != 0 && errno != EINVAL)
      return fail_errno("drop " + capability_name(cap) + " from the bounding set");
  }
  // Ambient caps are unset in practice; clearing makes sure none leaks into the container.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail_errno("clear ambient capabilities");
  return {};
}

Result<void> set_process_caps(CapSet wanted) {
  auto keep = held(wanted);
  if (!keep) return std::unexpected(keep.error());
  CapState caps(cap_init());
  if (!caps) return fail_errno("cap_init");
  if (!keep->empty() &&
      (cap_set_flag(caps.get(), CAP_PERMITTED, static_cast<int>(keep->size()), keep->data(), CAP_SET) != 0 ||
       cap_set_flag(caps.get(), CAP_EFFECTIVE, static_cast<int>(keep->size()), keep->data(), CAP_SET) != 0))
    return fail_errno("cap_set_flag");
  if (cap_set_proc(caps.get()) != 0) return fail_errno("set capabilities");
  return {};
}

Result<void> drop_caps_to(CapSet wanted) {
  LAB_TRY(limit_bounding_set(wanted));
  return set_process_caps(wanted);
}

Result<void> drop_to_default_caps() { return drop_caps_to(default_caps()); }

}  // namespace lab::runtime
