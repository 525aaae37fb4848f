// securityContext, pod-level (PodSecurityContext) and container-level (SecurityContext), as the
// API server validates them (validateContainerSecurityContext, validatePodSecurityContext).
// What lab does with them: lab/node/pod_security.cc. Not supported: privileged containers
// (refused as an apiserver started with --allow-privileged=false refuses them), Localhost
// seccomp profiles, SELinux, AppArmor, Windows options, sysctls.
#include <cctype>

#include "lab/api/schema_rules.h"
#include "runtime/caps.h"

namespace lab::api::schema {

namespace {

using enum Type;

// Kubernetes' IsValidUserID/IsValidGroupID.
std::string id_range(const json& v) {
  if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 2147483647) return "";
  return "must be between 0 and 2147483647, inclusive";
}

std::string capability(const json& v) {
  std::string name = v.get<std::string>();
  std::string upper;
  for (char ch : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (upper == "ALL" || runtime::capability_from_name(name)) return "";
  return "must be a capability name such as NET_ADMIN or CAP_NET_ADMIN, or ALL";
}

std::optional<Problem> finish_seccomp(json& s) {
  std::string type = s["type"].get<std::string>();
  if (type == "Localhost")
    return Problem{"type", "Localhost profiles are not supported by lab; use RuntimeDefault or Unconfined",
                   ErrorType::Forbidden};
  if (s.contains("localhostProfile"))
    return Problem{"localhostProfile", "can only be set when seccomp type is Localhost", ErrorType::Forbidden};
  return std::nullopt;
}

std::optional<Problem> finish_container_security(json& c) {
  // The apiserver's rule; lab sets no_new_privs for every container whatever this says.
  if (c.contains("privileged") && c["privileged"] == true && c.contains("allowPrivilegeEscalation") &&
      c["allowPrivilegeEscalation"] == false)
    return Problem{"", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"};
  if (c.contains("privileged") && c["privileged"] == true)
    return Problem{"privileged", "disallowed by cluster policy", ErrorType::Forbidden};
  return std::nullopt;
}

const ObjectSchema kCapabilities{{
    {.name = "add", .type = StringList, .check = capability},
    {.name = "drop", .type = StringList, .check = capability},
}};

const ObjectSchema kSeccompProfile{{
    {.name = "type", .type = String, .required = true, .values = {"RuntimeDefault", "Unconfined", "Localhost"}},
    {.name = "localhostProfile", .type = String},
}, finish_seccomp};

}  // namespace

const ObjectSchema kSecurityContext{{
    {.name = "runAsUser", .type = Int64, .check = id_range},
    {.name = "runAsGroup", .type = Int64, .check = id_range},
    {.name = "runAsNonRoot", .type = Bool},
    {.name = "capabilities", .type = Object, .object = &kCapabilities},
    {.name = "privileged", .type = Bool},
    // false is what lab always does (no_new_privs); true is accepted and changes nothing.
    {.name = "allowPrivilegeEscalation", .type = Bool},
    {.name = "readOnlyRootFilesystem", .type = Bool},
    {.name = "seccompProfile", .type = Object, .object = &kSeccompProfile},
    {.name = "procMount", .type = String, .values = {"Default"}},
    {.name = "seLinuxOptions", .type = Unsupported, .note = "lab has no SELinux"},
    {.name = "windowsOptions", .type = Unsupported, .note = "lab runs Linux containers"},
    {.name = "appArmorProfile", .type = Unsupported, .note = "use seccompProfile"},
}, finish_container_security};

const ObjectSchema kPodSecurityContext{{
    {.name = "runAsUser", .type = Int64, .check = id_range},
    {.name = "runAsGroup", .type = Int64, .check = id_range},
    {.name = "runAsNonRoot", .type = Bool},
    {.name = "supplementalGroups", .type = Int64List, .check = id_range},
    // Added to every container's groups; applying it to volumes is the volumes' business.
    {.name = "fsGroup", .type = Int64, .check = id_range},
    {.name = "fsGroupChangePolicy", .type = String, .values = {"OnRootMismatch", "Always"}},
    {.name = "seccompProfile", .type = Object, .object = &kSeccompProfile},
    {.name = "supplementalGroupsPolicy", .type = String, .values = {"Merge"}},
    {.name = "seLinuxOptions", .type = Unsupported, .note = "lab has no SELinux"},
    {.name = "seLinuxChangePolicy", .type = Unsupported, .note = "lab has no SELinux"},
    {.name = "windowsOptions", .type = Unsupported, .note = "lab runs Linux containers"},
    {.name = "appArmorProfile", .type = Unsupported, .note = "use seccompProfile"},
    {.name = "sysctls", .type = Unsupported, .note = "lab sets no per-pod sysctls"},
}};

}  // namespace lab::api::schema
