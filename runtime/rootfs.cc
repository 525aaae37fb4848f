// Rootfs assembly with mount(2), bubblewrap's way: a tmpfs mounted over /tmp inside the new
// mount namespace serves as the new root, then pivot_root(".", ".") and a lazy unmount.
#include "runtime/rootfs.h"

#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "lab/base/unique_fd.h"
#include "runtime/volume_mounts.h"

extern char** environ;

namespace lab::runtime {
namespace {

constexpr unsigned long kNoSuidDev = MS_NOSUID | MS_NODEV;

Result<void> do_mount(const char* source, const char* target, const char* type,
                      unsigned long flags, const char* data) {
  if (::mount(source, target, type, flags, data) != 0)
    return fail_errno(std::string("mount ") + (type ? type : source ? source : "") + " on " +
                      target);
  return {};
}

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("mkdir " + path);
  // The umask is 022 (pod_init_main sets it), so only the sticky 1777 dirs need fixing.
  if ((mode & 07022) != 0 && ::chmod(path.c_str(), mode) != 0)
    return fail_errno("chmod " + path);
  return {};
}

Result<void> make_link(const std::string& target, const std::string& path) {
  if (::symlink(target.c_str(), path.c_str()) != 0) return fail_errno("symlink " + path);
  return {};
}

Result<void> tmpfs(const char* target, const char* options) {
  LAB_TRY(make_dir(target, 0755));
  return do_mount("tmpfs", target, "tmpfs", kNoSuidDev, options);
}

// A bind ignores MS_RDONLY; read-only takes a second, remounting call.
Result<void> bind_ro(const char* source, const char* target, unsigned long extra) {
  LAB_TRY(do_mount(source, target, nullptr, MS_BIND | MS_REC, nullptr));
  return do_mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | extra, nullptr);
}

// usr_source: the image root, opened before the new root's tmpfs went over /tmp.
Result<void> build_usr_and_bin(const RootfsPlan& plan, const UniqueFd& usr_source) {
  LAB_TRY(make_dir("usr", 0755));
  const std::string source = "/proc/self/fd/" + std::to_string(usr_source.get());
  LAB_TRY(bind_ro(source.c_str(), "usr", MS_NOSUID | MS_NODEV));
  // Debian's merged /usr: the top-level dirs are links, except bin, which holds busybox's
  // applets so every image has sh, ps, wget... (the image's own /usr/bin stays ahead in PATH).
  LAB_TRY(make_link("usr/lib", "lib"));
  if (plan.host_lib64) LAB_TRY(make_link("usr/lib64", "lib64"));
  LAB_TRY(make_link("usr/sbin", "sbin"));
  LAB_TRY(make_dir("bin", 0755));
  if (plan.applets) {
    for (const auto& applet : *plan.applets) LAB_TRY(make_link(kBusybox, "bin/" + applet));
  }
  return {};
}

Result<void> build_etc(const RootfsPlan& plan) {
  LAB_TRY(make_dir("etc", 0755));
  for (const auto& [path, content] : plan.etc) {
    std::string full = "etc/" + path;
    for (size_t slash = full.find('/', 4); slash != std::string::npos; slash = full.find('/', slash + 1))
      LAB_TRY(make_dir(full.substr(0, slash), 0755));
    LAB_TRY(write_file(full, content, 0644));
  }
  return {};
}

// Bounded like Docker's /dev/shm (64 MiB) rather than tmpfs's default of half the host's RAM,
// which one container could otherwise fill for the whole host (tmpfs pages are RAM): 64 MiB each for /tmp and /var (nginx's request-body
// buffers and logs, scratch files), 16 MiB for /run, which holds only pid files, locks and
// sockets. Writing past them fails with ENOSPC; a pod needing more asks for an emptyDir.
constexpr const char* kTmpOptions = "mode=1777,size=64m";
constexpr const char* kRunOptions = "mode=0755,size=16m";
constexpr const char* kVarOptions = "mode=0755,size=64m";

Result<void> build_writable_dirs(const RootfsPlan& plan) {
  LAB_TRY(tmpfs("tmp", kTmpOptions));
  LAB_TRY(tmpfs("run", kRunOptions));
  LAB_TRY(make_dir("run/lock", 01777));
  LAB_TRY(tmpfs("var", kVarOptions));
  for (const char* dir : {"var/lib", "var/log", "var/cache", "var/spool"})
    LAB_TRY(make_dir(dir, 0755));
  LAB_TRY(make_dir("var/tmp", 01777));
  LAB_TRY(make_link("/run", "var/run"));
  LAB_TRY(make_link("/run/lock", "var/lock"));
  if (plan.nginx) {
    // nginx's compiled-in temp paths (/var/lib/nginx/body ...); the master creates the
    // subdirectories and chowns them to www-data.
    LAB_TRY(make_dir("var/lib/nginx", 0755));
    LAB_TRY(make_dir("var/log/nginx", 0755));
    LAB_TRY(make_dir("var/cache/nginx", 0755));
  }
  LAB_TRY(make_dir("root", 0700));
  return {};
}

// The plan's binds, each on a mount point of the source's type made on the new root's tmpfs.
// The sources were opened before the new root's tmpfs went over /tmp (a lab built under /tmp
// has its lab-dns there): each is mounted from its descriptor.
Result<void> build_binds(const RootfsPlan& plan, const std::vector<UniqueFd>& sources) {
  for (size_t i = 0; i < plan.binds.size(); ++i) {
    const auto& b = plan.binds[i];
    if (!b.target.starts_with("/") || b.target.find("..") != std::string::npos)
      return fail("bind target must be an absolute path without '..': " + b.target);
    std::string target = b.target.substr(1);
    struct stat st{};
    if (::fstat(sources[i].get(), &st) != 0) return fail_errno("stat " + b.source);
    const std::string source = "/proc/self/fd/" + std::to_string(sources[i].get());
    for (size_t slash = target.find('/'); slash != std::string::npos; slash = target.find('/', slash + 1))
      LAB_TRY(make_dir(target.substr(0, slash), 0755));
    if (S_ISDIR(st.st_mode)) {
      LAB_TRY(make_dir(target, 0755));
    } else {
      auto file = UniqueFd::open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (!file) return std::unexpected(file.error());
    }
    LAB_TRY(bind_ro(source.c_str(), target.c_str(), MS_NOSUID | MS_NODEV));
  }
  return {};
}

// Docker's masked and read-only /proc paths: host-wide knobs that root in a container could
// otherwise write (uid 0 passes the /proc/sys permission check without any capability).
Result<void> build_proc() {
  LAB_TRY(make_dir("proc", 0555));
  LAB_TRY(do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  for (const char* path : {"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"}) {
    if (::access(path, F_OK) != 0) continue;
    LAB_TRY(bind_ro(path, path, MS_NOSUID | MS_NODEV | MS_NOEXEC));
  }
  // Masked with the root's own /dev/null (build_dev() comes first): a bind of the host's
  // node would let chmod /proc/kcore in the container change the host's /dev/null.
  for (const char* path : {"proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug",
                           "proc/latency_stats"}) {
    if (::access(path, F_OK) != 0) continue;
    LAB_TRY(bind_ro("dev/null", path, MS_NOSUID | MS_NOEXEC));
  }
  for (const char* path : {"proc/acpi", "proc/scsi"}) {
    if (::access(path, F_OK) != 0) continue;
    LAB_TRY(do_mount("tmpfs", path, "tmpfs", MS_RDONLY | kNoSuidDev, "size=4k,nr_inodes=1"));
  }
  return {};
}

Result<void> build_dev() {
  LAB_TRY(make_dir("dev", 0755));
  LAB_TRY(do_mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755,size=64k"));
  // Nodes of its own on the tmpfs, as runc makes them outside a user namespace: a bind of the
  // host's node is the host's inode, and root in the container (CAP_FOWNER) could chmod or
  // chown the host's /dev/null through it.
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string host = std::string("/dev/") + node, target = std::string("dev/") + node;
    struct stat st{};
    if (::stat(host.c_str(), &st) != 0) return fail_errno("stat " + host);
    if (!S_ISCHR(st.st_mode)) return fail(host + " is not a character device");
    if (::mknod(target.c_str(), S_IFCHR | 0666, st.st_rdev) != 0)
      return fail_errno("mknod " + target);
    if (::chmod(target.c_str(), 0666) != 0) return fail_errno("chmod " + target);  // umask
  }
  // A devpts instance of its own, as runc mounts it: the ptys of `run -t` and `exec -t` come
  // from here, so the container's /dev/pts holds only its own terminals, never the host's.
  LAB_TRY(make_dir("dev/pts", 0755));
  LAB_TRY(do_mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                   "newinstance,ptmxmode=0666,mode=0620,gid=5"));
  LAB_TRY(make_link("pts/ptmx", "dev/ptmx"));
  LAB_TRY(make_link("/proc/self/fd", "dev/fd"));
  LAB_TRY(make_link("/proc/self/fd/0", "dev/stdin"));
  LAB_TRY(make_link("/proc/self/fd/1", "dev/stdout"));
  LAB_TRY(make_link("/proc/self/fd/2", "dev/stderr"));
  LAB_TRY(make_dir("dev/shm", 01777));
  LAB_TRY(do_mount("shm", "dev/shm", "tmpfs", kNoSuidDev | MS_NOEXEC, "mode=1777,size=65536k"));
  return {};
}

}  // namespace

Result<std::vector<std::string>> busybox_applets() {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, wr.get(), 1);
  char arg0[] = "busybox", arg1[] = "--list";
  char* argv[] = {arg0, arg1, nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, kBusybox, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(std::string("run ") + kBusybox + " --list", rc);
  wr.reset();
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(std::string(kBusybox) + " --list failed");
  std::vector<std::string> applets;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    std::string name = out.substr(start, nl - start);
    // A name with '/' would escape /bin; busybox never prints one, but the list is input.
    if (!name.empty() && name.find('/') == std::string::npos && name != "." && name != "..")
      applets.push_back(std::move(name));
    start = nl + 1;
  }
  return applets;
}

Result<void> make_dir_once(const std::string& dir, const std::function<Result<void>(const std::string& tmp)>& fill) {
  struct stat st{};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(dir + " is not a directory", ENOTDIR);
    return {};
  }
  std::string tmp = dir + ".new-" + std::to_string(::getpid()) + "-" + std::to_string(::gettid());
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);  // a crashed earlier try of this same thread id
  if (::mkdir(tmp.c_str(), 0755) != 0) return fail_errno("mkdir " + tmp);
  auto built = [&]() -> Result<void> {
    if (::chmod(tmp.c_str(), 0755) != 0) return fail_errno("chmod " + tmp);  // the umask
    LAB_TRY(fill(tmp));
    if (::rename(tmp.c_str(), dir.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY)
      return fail_errno("rename " + tmp + " to " + dir);
    return {};
  }();
  std::filesystem::remove_all(tmp, ec);  // what is left when another caller renamed first
  return built;
}

Result<void> make_applets_dir(const std::string& dir, const std::vector<std::string>& applets) {
  return make_dir_once(dir, [&](const std::string& tmp) -> Result<void> {
    for (const auto& applet : applets) LAB_TRY(make_link(kBusybox, tmp + "/" + applet));
    return {};
  });
}

Result<void> enter_rootfs(const RootfsPlan& plan) {
  if (plan.usr.empty()) return fail("no image root for /usr");
  auto usr_source = UniqueFd::open(plan.usr, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!usr_source) return std::unexpected(usr_source.error().context("image root " + plan.usr));
  std::vector<UniqueFd> bind_sources;
  for (const auto& b : plan.binds) {
    auto fd = UniqueFd::open(b.source, O_PATH | O_CLOEXEC);
    if (!fd) return std::unexpected(fd.error().context("bind source " + b.source));
    bind_sources.push_back(std::move(*fd));
  }
  auto volume_sources = open_volume_sources(plan.volumes);
  if (!volume_sources) return std::unexpected(volume_sources.error());
  // Any existing directory will do as the mount point: in this namespace the tmpfs merely
  // hides the host's /tmp, and it becomes "/" below.
  LAB_TRY(do_mount("tmpfs", "/tmp", "tmpfs", kNoSuidDev, "mode=0755,size=16m"));
  if (::chdir("/tmp") != 0) return fail_errno("chdir to the new root");
  LAB_TRY(build_usr_and_bin(plan, *usr_source));
  LAB_TRY(build_etc(plan));
  LAB_TRY(build_writable_dirs(plan));
  LAB_TRY(build_binds(plan, bind_sources));
  LAB_TRY(build_dev());
  if (!plan.volumes.empty()) {
    auto root = UniqueFd::open(".", O_PATH | O_DIRECTORY);
    if (!root) return std::unexpected(root.error());
    LAB_TRY(mount_volumes(root->get(), plan.volumes, *volume_sources));
  }
  LAB_TRY(build_proc());

  // Pivot from the top of the mount namespace, not from our "/": when the lab runs from a
  // chroot, "/" is a directory somewhere in the host's tree, and pivot_root swaps only the
  // mount holding it, so the host's tree would stay above the container's root, one chroot(2)
  // and a few `cd ..` away (containers keep CAP_SYS_CHROOT), and where setns(2) into the
  // namespace lands. setns into our own mount namespace moves our root to its top.
  auto new_root = UniqueFd::open(".", O_PATH | O_DIRECTORY);
  if (!new_root) return std::unexpected(new_root.error());
  auto own_ns = UniqueFd::open("/proc/self/ns/mnt", O_RDONLY);
  if (!own_ns) return std::unexpected(own_ns.error());
  if (::setns(own_ns->get(), CLONE_NEWNS) != 0) return fail_errno("go to the namespace's root");
  // The pod init could make only its "/" private: above a chroot, mounts may still share
  // events with the host's (systemd makes / shared), and detaching the old root below would
  // then unmount the host's /dev, /proc, /run... Private here means in this namespace only.
  LAB_TRY(do_mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
  if (::fchdir(new_root->get()) != 0) return fail_errno("chdir to the new root");
  // The old root ends up stacked on "."; detaching it leaves the new root alone (runc, LXC).
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return fail_errno("pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) return fail_errno("detach the host root");
  if (::chdir("/") != 0) return fail_errno("chdir /");
  LAB_TRY(do_mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | kNoSuidDev, nullptr));
  return {};
}

}  // namespace lab::runtime
