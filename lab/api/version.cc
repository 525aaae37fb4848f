#include "lab/api/version.h"

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "lab/base/parse.h"

namespace lab::api {

namespace {
std::atomic<int> g_minor{kDefaultMinor};
}

std::string version_minor() { return std::to_string(g_minor.load(std::memory_order_relaxed)); }

std::string git_version() { return std::string("v") + kVersionMajor + "." + version_minor() + ".0-lab"; }

std::string major_minor() { return std::string(kVersionMajor) + "." + version_minor(); }

Result<int> parse_kube_minor(const char* env_value) {
  if (env_value == nullptr || *env_value == '\0') return kDefaultMinor;
  const std::string range = std::to_string(kMinMinor) + " to " + std::to_string(kMaxMinor);
  auto n = parse_int(std::string_view(env_value), kMinMinor, kMaxMinor);
  if (!n) {
    // Shown as given, but clipped and printable: it comes from the environment, not from code.
    std::string shown;
    for (const char* p = env_value; *p != '\0' && shown.size() < 40; ++p) shown += (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    return fail(std::string(kMinorEnv) + "=\"" + shown + "\": the Kubernetes minor version to report must be a number from " +
                range + " (test-only setting; unset for 1." + std::to_string(kDefaultMinor) + ")");
  }
  return *n;
}

Result<void> set_kube_minor_from_env() {
  auto n = parse_kube_minor(std::getenv(kMinorEnv));
  if (!n) return std::unexpected(n.error());
  g_minor.store(*n, std::memory_order_relaxed);
  return {};
}

}  // namespace lab::api
