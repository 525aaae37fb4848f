// `lab __pod-init`: P0 joins the pod's netns, unshares pid/uts/ipc/mount and forks P1, the
// pod's PID 1, which starts the containers and stays as their supervisor; P0 reports and exits.
#include "runtime/pod_init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "lab/base/log.h"
#include "lab/base/unique_fd.h"
#include "runtime/attach.h"
#include "runtime/cgroups.h"
#include "runtime/fd_io.h"
#include "runtime/container.h"
#include "runtime/container_process.h"
#include "runtime/etc_files.h"
#include "runtime/image_root.h"
#include "runtime/pod_spec.h"
#include "runtime/supervisor.h"

namespace lab::runtime {
namespace {

// Everything the containers need, computed in P0 before any namespace changes, so that P1
// and every (re)started container only copy it.
struct PreparedPod {
  PodRuntimeSpec spec;
  std::vector<std::string> applets;
  SeccompFilter seccomp;
  std::vector<std::unique_ptr<SeccompFilter>> own_seccomp;  // containers with other capabilities
  std::vector<ContainerLaunch> launches;
  std::vector<std::string> cgroups;  // each container's, relative ("" = none)
};

// The pod's cgroup and everything below it (cgroups.h); nothing when it has none.
void remove_pod_cgroup(const PodRuntimeSpec& spec) {
  if (!spec.cgroup.empty()) log_failure(remove_cgroup(host_cgroups(), spec.cgroup));
}

Result<std::unique_ptr<PreparedPod>> prepare(const std::string& spec_path) {
  auto text = read_file(spec_path);
  if (!text) return std::unexpected(text.error());
  auto pod = std::make_unique<PreparedPod>();
  std::string bpf_hex;  // compiled once by the node agent; compiled here only when missing
  std::vector<std::string> own_hex;  // a container's own program, "" = the pod's
  try {
    auto j = nlohmann::json::parse(*text);
    pod->spec = j.get<PodRuntimeSpec>();
    pod->applets = j.value(kAppletsKey, std::vector<std::string>{});
    bpf_hex = j.value(kSeccompKey, std::string());
    for (const auto& c : j.value("containers", nlohmann::json::array()))
      own_hex.push_back(c.is_object() ? c.value(kSeccompKey, std::string()) : std::string());
  } catch (const std::exception& e) {
    return fail("parse " + spec_path + ": " + e.what());
  }
  if (pod->applets.empty() && pod->spec.applets_dir.empty()) {
    auto applets = busybox_applets();
    if (!applets) return std::unexpected(applets.error());
    pod->applets = std::move(*applets);
  }
  auto seccomp = bpf_hex.empty() ? SeccompFilter::container_profile() : SeccompFilter::from_hex(bpf_hex);
  if (!seccomp) return std::unexpected(seccomp.error().context(spec_path));
  pod->seccomp = std::move(*seccomp);

  // The pod's cgroup, before any of its processes exists.
  const CgroupLayout& cgroups = host_cgroups();
  bool limited = pod->spec.pod_resources != CgroupLimits{};
  for (const auto& c : pod->spec.containers) limited = limited || c.resources != CgroupLimits{};
  if (!pod->spec.cgroup.empty() && cgroups.version != CgroupVersion::None) {
    if (auto r = create_cgroup(cgroups, pod->spec.cgroup, pod->spec.pod_resources); !r) {
      remove_pod_cgroup(pod->spec);
      return std::unexpected(r.error().context("pod cgroup"));
    }
  } else if (limited) {
    return fail("resource limits need a cgroup hierarchy, and this host has none mounted");
  }

  std::string mime_types;
  for (const auto& c : pod->spec.containers) {
    auto ctx = [&](const Error& e) { return std::unexpected(e.context("container " + c.name)); };
    auto image = find_image(c.image);
    if (!image) return ctx(image.error());
    for (const auto& bin : (*image)->host_binaries)
      if (::access(bin.c_str(), X_OK) != 0)
        return ctx(Error{errno, "image " + (*image)->name + " needs " + bin + " on the host"});
    if ((*image)->nginx && mime_types.empty()) {
      auto m = read_file("/etc/nginx/mime.types");
      if (!m) return ctx(m.error());
      mime_types = std::move(*m);
    }
    auto process = resolve_process(**image, c, pod->spec.host_name());
    if (!process) return std::unexpected(process.error());
    if (c.log_path.empty()) return ctx(Error{0, "no log path"});
    ContainerLaunch l;
    l.name = c.name;
    l.log_path = c.log_path;
    l.working_dir = c.working_dir;
    l.process = std::move(*process);
    l.rootfs.etc = etc_files(pod->spec, **image, mime_types);
    l.rootfs.applets = pod->spec.applets_dir.empty() ? &pod->applets : nullptr;
    l.rootfs.nginx = (*image)->nginx;
    if (pod->spec.images_dir.empty()) return ctx(Error{0, "no image roots directory in the pod spec"});
    l.rootfs.usr = pod->spec.images_dir + "/" + image_root_name(**image);
    auto binds = image_binds(**image, pod->spec.api_socket_dir);
    if (!binds) return ctx(binds.error());
    l.rootfs.binds = std::move(*binds);
    if (!pod->spec.applets_dir.empty()) l.rootfs.binds.push_back({pod->spec.applets_dir, "/bin"});
    for (const auto& m : c.mounts) l.rootfs.volumes.push_back({m.source, m.target, !m.read_only, m.sub_path});
    l.rootfs.host_lib64 = ::access((l.rootfs.usr + "/lib64").c_str(), F_OK) == 0;
    size_t index = pod->launches.size();
    bool has_own = index < own_hex.size() && !own_hex[index].empty();
    switch (seccomp_source(c.security, has_own)) {  // the choice `lab exec` makes too
      case SeccompSource::Unconfined:
        l.seccomp = nullptr;
        break;
      case SeccompSource::Own:
      case SeccompSource::Compiled: {
        auto own = container_seccomp(c.security, has_own ? own_hex[index] : std::string(), bpf_hex);
        if (!own) return ctx(own.error());
        if (!*own) return ctx(Error{EINVAL, "no seccomp program"});
        pod->own_seccomp.push_back(std::make_unique<SeccompFilter>(std::move(**own)));
        l.seccomp = pod->own_seccomp.back().get();
        break;
      }
      case SeccompSource::Pod:
        l.seccomp = &pod->seccomp;
        break;
    }
    l.security = c.security;
    pod->cgroups.push_back(pod->spec.cgroup.empty() || cgroups.version == CgroupVersion::None
                               ? std::string()
                               : container_cgroup(pod->spec.cgroup, c.name));
    l.tty = c.tty;
    l.stdin = c.stdin;
    pod->launches.push_back(std::move(l));
  }
  return pod;
}

Result<pid_t> start_container(PreparedPod& pod, size_t i) {
  auto& l = pod.launches[i];
  // Its cgroup (again, after a restart: the same one, its OOM count going on), joined by the
  // child before it execs.
  std::vector<UniqueFd> procs;
  if (!pod.cgroups[i].empty()) {
    if (auto r = create_cgroup(host_cgroups(), pod.cgroups[i], pod.spec.containers[i].resources); !r)
      return std::unexpected(r.error().context("container " + l.name));
    auto fds = open_cgroup_procs(host_cgroups(), pod.cgroups[i]);
    if (!fds) return std::unexpected(fds.error().context("container " + l.name));
    procs = std::move(*fds);
  }
  l.cgroup_procs.clear();
  for (const auto& fd : procs) l.cgroup_procs.push_back(fd.get());
  auto p = launch_container(l);
  l.cgroup_procs.clear();
  if (!p) return std::unexpected(p.error().context("container " + l.name));
  // Where `lab exec` finds the container: the host pid, which only the child could see.
  log_failure(write_file_atomic(pod.spec.state_dir + "/" + l.name + ".hostpid", std::to_string(p->host_pid) + "\n"));
  return p->pid;
}

// P1: the pod's PID 1. Never returns.
[[noreturn]] void pod_init(PreparedPod& pod, UniqueFd report) {
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&sigs, s);
  UniqueFd sfd(::signalfd(-1, &sigs, SFD_CLOEXEC));
  if (!sfd) {
    write_all(report.get(), Error{errno, "signalfd"}.what());
    ::_exit(1);
  }
  std::vector<SupervisedContainer> cs(pod.launches.size());
  for (size_t i = 0; i < cs.size(); ++i) {
    // Before the container starts, so that no client finds it running without its socket.
    if (auto r = attach_listen(pod.spec.state_dir, pod.launches[i].name, pod.spec.containers[i].stdin_once); !r) {
      write_all(report.get(), r.error().what());
      ::_exit(1);
    }
  }
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i].name = pod.launches[i].name;
    if (!pod.cgroups[i].empty())
      cs[i].oom_kills = [cg = pod.cgroups[i]] { return runtime::oom_kills(host_cgroups(), cg); };
    if (cs[i].oom_kills) cs[i].oom_base = cs[i].oom_kills();
    log_failure(write_file_atomic(pod.spec.state_dir + "/" + cs[i].name + ".restarts", "0\n"));
    // How an earlier sandbox's run ended is not this one's.
    for (const char* old : {".terminated", ".last-reason"})
      (void)::unlink((pod.spec.state_dir + "/" + cs[i].name + old).c_str());
    cs[i].started = std::chrono::steady_clock::now();
    auto pid = start_container(pod, i);
    if (!pid) {
      // Our exit takes the pod's pid namespace, and the containers started so far, with it.
      write_all(report.get(), pid.error().what());
      ::_exit(1);
    }
    cs[i].pid = *pid;
    attach_started(cs[i].name);
  }
  write_all(report.get(), "ok");
  report.reset();
  StartFn start = [&](size_t i) { return start_container(pod, i); };
  int rc = supervise(cs, pod.spec.state_dir, pod.spec.restart_policy, sfd.get(), start);
  // A graceful stop: the containers are gone, and so go their cgroups. (A SIGKILLed pod's are
  // removed by the node agent: kubelet kill_now, lab teardown.)
  remove_pod_cgroup(pod.spec);
  ::_exit(rc);
}

// P0 up to the fork; returns P1's host pid and the read end of its report pipe.
Result<std::pair<pid_t, UniqueFd>> fork_pod_init(PreparedPod& pod, UniqueFd netns,
                                                 UniqueFd& status) {
  if (::setns(netns.get(), CLONE_NEWNET) != 0) return fail_errno("join the pod's netns");
  netns.reset();
  if (::unshare(CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS) != 0)
    return fail_errno("unshare pid/uts/ipc/mount namespaces");
  // From here on no mount of ours reaches the host. The whole namespace, from its top: when the
  // lab runs from a chroot, our "/" is a plain directory (EINVAL), or a mount below ones that
  // still share with the host. setns into our own mount namespace moves our root to its top;
  // then back into the chroot.
  {
    UniqueFd here(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd own(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!here || !own) return fail_errno("open / and our mount namespace");
    if (::setns(own.get(), CLONE_NEWNS) != 0) return fail_errno("go to the mount namespace's top");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return fail_errno("make the mount namespace private");
    if (::fchdir(here.get()) != 0 || ::chroot(".") != 0 || ::chdir("/") != 0)
      return fail_errno("return to the lab's root");
  }
  if (::sethostname(pod.spec.host_name().data(), pod.spec.host_name().size()) != 0)
    return fail_errno("sethostname " + pod.spec.host_name());
  // emptyDir medium Memory: a tmpfs in the pod's mount namespace, on the volume's directory, so
  // that every container's bind of it shows the same one; it goes with the pod's last process.
  for (const auto& v : pod.spec.memory_volumes) {
    std::string options = "mode=0777";
    if (v.size_bytes) options += ",size=" + std::to_string(v.size_bytes);
    if (::mount("tmpfs", v.path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
      return fail_errno("mount the memory volume " + v.path);
  }

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  // Blocked before the fork, so no SIGCHLD is lost before P1's signalfd exists.
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&sigs, s);
  ::sigprocmask(SIG_BLOCK, &sigs, nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork the pod init");
  if (pid == 0) {
    rd.reset();
    status.reset();  // else the node agent would see EOF only when the pod ends
    pod_init(pod, std::move(wr));
  }
  return std::pair{pid, std::move(rd)};
}

}  // namespace

int pod_init_main(int argc, char** argv) {
  // argv: lab-pod-init __pod-init SPEC_FILE NETNS_FD STATUS_FD --lab=L --pod=NS/NAME
  if (argc < 5 || std::atoi(argv[3]) < 3 || std::atoi(argv[4]) < 3) return 2;
  ::prctl(PR_SET_NAME, "lab-pod-init", 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);  // a vanished node agent must not kill us mid-report
  ::umask(022);                // Docker's; generated /etc files must be world-readable
  UniqueFd netns(std::atoi(argv[3]));
  UniqueFd status(std::atoi(argv[4]));
  // Both came without CLOEXEC (dup2); containers must not inherit them.
  ::fcntl(netns.get(), F_SETFD, FD_CLOEXEC);
  ::fcntl(status.get(), F_SETFD, FD_CLOEXEC);

  auto pod = prepare(argv[2]);
  if (!pod) {
    write_all(status.get(), "error " + pod.error().what() + "\n");
    return 1;
  }
  auto forked = fork_pod_init(**pod, std::move(netns), status);
  if (!forked) {
    remove_pod_cgroup((*pod)->spec);
    write_all(status.get(), "error " + forked.error().what() + "\n");
    return 1;
  }
  auto& [pid, report] = *forked;
  // Announced first, so that the node agent can still kill P1 if we die before the verdict.
  write_all(status.get(), "pid " + std::to_string(pid) + "\n");
  std::string verdict = read_all(report.get());
  if (verdict == "ok") {
    write_all(status.get(), "ok " + std::to_string(pid) + "\n");
    return 0;
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  remove_pod_cgroup((*pod)->spec);
  if (verdict.empty()) verdict = "pod init exited during start-up";
  write_all(status.get(), "error " + verdict + "\n");
  return 1;
}

}  // namespace lab::runtime
