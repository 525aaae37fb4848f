// The container process's settings, applied in runc's order (see container_process.h).
#include "runtime/container_process.h"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "runtime/caps.h"
#include "runtime/cgroups.h"

namespace lab::runtime {
namespace {

// runAsUser, runAsGroup, supplementalGroups (+ fsGroup). With none of them the process stays
// root with the pod init's groups, as before securityContext existed. PR_SET_KEEPCAPS keeps
// the permitted set across setresuid so that set_process_caps can still choose from it.
Result<void> set_identity(const SecuritySpec& s) {
  if (!s.run_as_user && !s.run_as_group && s.supplemental_groups.empty()) return {};
  std::vector<gid_t> groups(s.supplemental_groups.begin(), s.supplemental_groups.end());
  if (::setgroups(groups.size(), groups.data()) != 0) return fail_errno("setgroups");
  gid_t gid = static_cast<gid_t>(s.run_as_group.value_or(0));
  if (::setresgid(gid, gid, gid) != 0) return fail_errno("setgid " + std::to_string(gid));
  if (s.run_as_user) {
    uid_t uid = static_cast<uid_t>(*s.run_as_user);
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail_errno("keep capabilities");
    if (::setresuid(uid, uid, uid) != 0) return fail_errno("setuid " + std::to_string(uid));
  }
  return {};
}

// runc's fixStdioPermissions for the console: the pty peer (made by root in the container's
// devpts, mode 0620) goes to the process's uid, so that it can reopen its terminal by name
// (tty, ttyname, /dev/pts/N) as it could under runc. Only the uid: the group stays tty's.
Result<void> give_terminal(int terminal, const SecuritySpec& s) {
  if (terminal < 0 || !s.run_as_user) return {};
  struct stat st {};
  if (::fstat(terminal, &st) != 0) return fail_errno("stat the terminal");
  if (!S_ISCHR(st.st_mode)) return fail("the terminal is not a character device", EINVAL);
  if (::fchown(terminal, static_cast<uid_t>(*s.run_as_user), static_cast<gid_t>(-1)) != 0)
    return fail_errno("hand the terminal to uid " + std::to_string(*s.run_as_user));
  return {};
}

}  // namespace

SeccompSource seccomp_source(const SecuritySpec& s, bool has_own_program) {
  if (s.seccomp_unconfined) return SeccompSource::Unconfined;
  if (has_own_program) return SeccompSource::Own;
  // Docker's profile opens syscalls by capability, so other capabilities need their own.
  if (s.capabilities != default_caps()) return SeccompSource::Compiled;
  return SeccompSource::Pod;
}

Result<std::optional<SeccompFilter>> container_seccomp(const SecuritySpec& s, std::string_view own_hex,
                                                       std::string_view pod_hex) {
  Result<SeccompFilter> f;
  switch (seccomp_source(s, !own_hex.empty())) {
    case SeccompSource::Unconfined:
      return std::nullopt;
    case SeccompSource::Own:
      f = SeccompFilter::from_hex(own_hex);
      break;
    case SeccompSource::Compiled:
      f = SeccompFilter::docker_default(s.capabilities);
      break;
    case SeccompSource::Pod:
      f = pod_hex.empty() ? SeccompFilter::container_profile() : SeccompFilter::from_hex(pod_hex);
      break;
  }
  if (!f) return std::unexpected(f.error().context("the container's seccomp filter"));
  return std::optional<SeccompFilter>(std::move(*f));
}

Result<void> become_container_process(const ContainerProcess& p) {
  if (!p.security) return fail("become the container's process: no security settings", EINVAL);
  const SecuritySpec& s = *p.security;
  // Into the container's cgroup before anything of the container runs: its limits (memory,
  // pids, CPU) hold from the exec on.
  if (!join_cgroup(p.cgroup_procs)) return fail_errno("join the container's cgroup");
  LAB_TRY(give_terminal(p.terminal, s));
  // Bounding set while root, then the ids (which need CAP_SETUID/SETGID, even when the
  // container drops them), then the container's capabilities. A non-root user keeps only the
  // bounding set across execve, as under runc.
  LAB_TRY(limit_bounding_set(s.capabilities));
  LAB_TRY(set_identity(s));
  LAB_TRY(set_process_caps(s.capabilities));
  // Always: allowPrivilegeEscalation is false for every lab container (no setuid binary or
  // file capability can raise what is left), and a filter needs it without CAP_SYS_ADMIN.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail_errno("set no_new_privs");
  if (p.seccomp) LAB_TRY(p.seccomp->load());
  return {};
}

}  // namespace lab::runtime
