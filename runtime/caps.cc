// Docker's default capability set, applied with libcap. As root the set survives execve
// through the bounding set: P' = bounding set for uid 0.
#include "runtime/caps.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

namespace lab::runtime {
namespace {

// moby oci/caps/defaults.go.
constexpr std::array<cap_value_t, 14> kDefaultCaps = {
    CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,  CAP_FOWNER,           CAP_MKNOD,
    CAP_NET_RAW, CAP_SETGID,      CAP_SETUID,  CAP_SETFCAP,          CAP_SETPCAP,
    CAP_NET_BIND_SERVICE,         CAP_SYS_CHROOT, CAP_KILL,          CAP_AUDIT_WRITE};

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapState = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

std::string cap_name(cap_value_t cap) {
  std::unique_ptr<char, CapFree> name(cap_to_name(cap));
  return name ? std::string(name.get()) : "cap " + std::to_string(cap);
}

}  // namespace

Result<void> drop_to_default_caps() {
  cap_value_t max = static_cast<cap_value_t>(cap_max_bits());
  for (cap_value_t cap = 0; cap < max; ++cap) {
    if (std::ranges::find(kDefaultCaps, cap) != kDefaultCaps.end()) continue;
    // EINVAL: the kernel doesn't know this one, so nothing to drop.
    if (cap_drop_bound(cap) != 0 && errno != EINVAL)
      return fail_errno("drop " + cap_name(cap) + " from the bounding set");
  }
  // Ambient caps are unset in practice; clearing makes sure none leaks into the container.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail_errno("clear ambient capabilities");

  CapState caps(cap_init());
  if (!caps) return fail_errno("cap_init");
  if (cap_set_flag(caps.get(), CAP_PERMITTED, kDefaultCaps.size(), kDefaultCaps.data(),
                   CAP_SET) != 0 ||
      cap_set_flag(caps.get(), CAP_EFFECTIVE, kDefaultCaps.size(), kDefaultCaps.data(),
                   CAP_SET) != 0)
    return fail_errno("cap_set_flag");
  if (cap_set_proc(caps.get()) != 0) return fail_errno("set capabilities");
  return {};
}

}  // namespace lab::runtime
