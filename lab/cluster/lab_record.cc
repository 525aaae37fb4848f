// Reading and writing lab records under /run/lab, and finding a lab's live daemon.
// JSON, so a person can `cat` it in a workshop and see what the lab made.
#include "lab/cluster/lab_record.h"

#include <dirent.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "lab/base/parse.h"
#include "lab/cluster/run_dir.h"

namespace lab::cluster {

using Json = nlohmann::json;

std::string lab_dir(const std::string& lab) { return std::string(kRunDir) + "/" + lab; }
std::string socket_path(const std::string& lab) { return lab_dir(lab) + "/api.sock"; }
std::string read_socket_dir(const std::string& lab) { return lab_dir(lab) + "/api-read"; }
std::string read_socket_path(const std::string& lab) { return read_socket_dir(lab) + "/api.sock"; }
std::string applets_dir(const std::string& lab) { return lab_dir(lab) + "/bin"; }
std::string images_dir(const std::string& lab) { return lab_dir(lab) + "/images"; }
std::string pod_dir(const std::string& lab, const std::string& ns, const std::string& pod) {
  return lab_dir(lab) + "/pods/" + ns + "_" + pod;
}

static Json plan_to_json(const net::FabricPlan& p) {
  Json nodes = Json::array();
  for (const auto& n : p.nodes)
    nodes.push_back({{"name", n.name}, {"netns", n.netns_name}, {"ip", n.ip.str()},
                     {"podCIDR", n.pod_cidr.str()}});
  return {{"fabricNetns", p.fabric_netns}, {"hostLink", p.host_link},
          {"nodeCIDR", p.node_cidr.str()}, {"hostIP", p.host_ip.str()},
          {"podCIDR", p.pod_cidr.str()},   {"serviceCIDR", p.service_cidr.str()},
          {"nodes", nodes}};
}

static Result<net::FabricPlan> plan_from_json(const std::string& lab, const Json& j) {
  try {
    net::FabricPlan p;
    p.lab = lab;
    p.fabric_netns = j.at("fabricNetns");
    p.host_link = j.at("hostLink");
    auto cidr = [&](const char* k) { return net::Cidr::parse(j.at(k).get<std::string>()); };
    auto nc = cidr("nodeCIDR"), pc = cidr("podCIDR"), sc = cidr("serviceCIDR");
    auto hip = net::Ipv4::parse(j.at("hostIP").get<std::string>());
    if (!nc || !pc || !sc || !hip) return fail("bad address in lab record");
    p.node_cidr = *nc;
    p.pod_cidr = *pc;
    p.service_cidr = *sc;
    p.host_ip = *hip;
    for (const auto& n : j.at("nodes")) {
      auto ip = net::Ipv4::parse(n.at("ip").get<std::string>());
      auto pod = net::Cidr::parse(n.at("podCIDR").get<std::string>());
      if (!ip || !pod) return fail("bad node address in lab record");
      p.nodes.push_back({n.at("name"), n.at("netns"), *ip, *pod});
    }
    return p;
  } catch (const std::exception& e) {
    return fail(std::string("malformed lab record: ") + e.what());
  }
}

Result<void> write_record(const LabRecord& rec) {
  ::mkdir(kRunDir, 0700);
  std::string dir = lab_dir(rec.name);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("mkdir " + dir);
  Json j = {{"name", rec.name},
            {"created", rec.created},
            {"scenario", rec.scenario},
            {"loadBalancerPool", rec.lb_pool},
            {"podEvictionTimeoutSeconds", rec.pod_eviction_timeout_seconds},
            {"network", plan_to_json(rec.plan)}};
  return write_file_atomic(dir + "/lab.json", j.dump(2) + "\n", 0600);
}

Result<LabRecord> read_record(const std::string& lab) {
  auto text = read_file(lab_dir(lab) + "/lab.json");
  if (!text) return fail("lab \"" + lab + "\" not found", ENOENT);
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded()) return fail("malformed lab record " + lab_dir(lab) + "/lab.json");
  LabRecord rec;
  rec.name = j.value("name", lab);
  rec.created = j.value("created", "");
  rec.scenario = j.value("scenario", "");
  rec.lb_pool = j.value("loadBalancerPool", "");
  if (const Json& t = j.contains("podEvictionTimeoutSeconds") ? j["podEvictionTimeoutSeconds"] : Json();
      t.is_number_integer() && t.get<long long>() >= 1 && t.get<long long>() <= 3600)
    rec.pod_eviction_timeout_seconds = t.get<int>();
  auto plan = plan_from_json(rec.name, j.value("network", Json::object()));
  if (!plan) return std::unexpected(plan.error());
  rec.plan = std::move(*plan);
  return rec;
}

Result<std::vector<std::string>> find_labs() {
  std::vector<std::string> out;
  DIR* d = ::opendir(kRunDir);  // glibc opens it close-on-exec
  if (!d) {
    if (errno == ENOENT) return out;
    if (errno == EACCES || errno == EPERM)
      return fail(std::string("permission denied: ") + kRunDir +
                      " is root's: only root controls a lab (run lab as root, e.g. with sudo)");
    return fail_errno(std::string("read ") + kRunDir);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.starts_with(".")) continue;
    struct stat st;
    if (::stat((lab_dir(name) + "/lab.json").c_str(), &st) == 0) out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> list_labs() {
  auto labs = find_labs();
  return labs ? std::move(*labs) : std::vector<std::string>{};
}

pid_t daemon_pid(const std::string& lab) {
  auto text = read_file(lab_dir(lab) + "/daemon.pid");
  if (!text) return 0;
  auto pid = parse_int(trim_space(*text), 1);
  if (!pid) return 0;
  // The pid may have been reused since the daemon died: check it is our daemon for this lab.
  auto cmdline = read_file("/proc/" + std::to_string(*pid) + "/cmdline");
  if (!cmdline) return 0;
  std::string marker = std::string("--lab=") + lab;
  if (cmdline->find("__daemon") == std::string::npos ||
      cmdline->find(marker + '\0') == std::string::npos)
    return 0;
  return *pid;
}

std::string lock_holder(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return "";
  // Lines of /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (major and minor in
  // hex, inode in decimal). A waiter's line has "->" after the number; it is not the holder.
  char dev[64];
  std::snprintf(dev, sizeof dev, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  auto locks = read_file("/proc/locks");
  if (!locks) return "";
  std::istringstream lines(*locks);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string num, type, mode, access, pid, where;
    words >> num >> type;
    if (type == "->") continue;
    words >> mode >> access >> pid >> where;
    if (type != "FLOCK" || where != dev) continue;
    auto n = parse_int(pid, 1);
    if (!n) return "";
    std::string who = "pid " + pid;
    if (auto cmd = read_file("/proc/" + pid + "/cmdline"); cmd && !cmd->empty()) {
      std::string args = *cmd;
      while (!args.empty() && args.back() == '\0') args.pop_back();
      std::replace(args.begin(), args.end(), '\0', ' ');
      if (args.size() > 80) args = args.substr(0, 77) + "...";
      who += " (" + args + ")";
    }
    return who;
  }
  return "";
}

namespace {

// The same file as at path still (not one that tidy_run_dir unlinked meanwhile)?
bool still_at(int fd, const std::string& path) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

Result<RegistryLock> RegistryLock::acquire(std::chrono::milliseconds wait) {
  const std::string path = std::string(kRunDir) + "/.lock";
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    int err = 0;
    UniqueFd held;  // the lock file, for naming who holds it
    {
      // /run/lab made (and mounted) and its lock file opened and tried in one step that
      // tidy_run_dir's removal never comes between; never blocks on the lock file meanwhile.
      auto run_dir = RunDirLock::acquire();
      if (!run_dir) return std::unexpected(run_dir.error());
      LAB_TRY(prepare_run_dir(*run_dir));
      auto fd = UniqueFd::open(path, O_RDWR | O_CREAT, 0600);  // O_CLOEXEC: see UniqueFd::open
      if (!fd) return std::unexpected(fd.error());
      if (::flock(fd->get(), LOCK_EX | LOCK_NB) == 0) {
        if (still_at(fd->get(), path)) return RegistryLock(std::move(*fd));
        continue;  // a tidy_run_dir removed the file we locked: lock the one there now
      }
      err = errno;
      held = std::move(*fd);
    }
    if (err != EWOULDBLOCK && err != EINTR) return fail("lock " + path + ": " + std::strerror(err), err);
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string who = lock_holder(held.get());
      return fail("another lab command is running" + (who.empty() ? std::string() : ": " + who) +
                      " holds " + path + "; try again when it has finished");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<UniqueFd> lock_daemon(const std::string& lab) {
  const std::string path = lab_dir(lab) + "/daemon.lock";
  auto fd = UniqueFd::open(path, O_RDWR | O_CREAT, 0600);  // close-on-exec: pods do not hold it
  if (!fd) {
    if (fd.error().code == ENOENT) return fail("lab \"" + lab + "\" not found");
    return std::unexpected(fd.error());
  }
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) == 0) return std::move(*fd);
  if (errno != EWOULDBLOCK) return fail_errno("lock " + path);
  std::string who = lock_holder(fd->get());
  return fail("lab \"" + lab + "\" already has a daemon" + (who.empty() ? std::string() : " (" + who + ")"));
}

}  // namespace lab::cluster
