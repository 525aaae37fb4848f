// Reading and writing lab records under /run/lab, and finding a lab's live daemon.
// JSON, so a person can `cat` it in a workshop and see what the lab made.
#include "lab/cluster/lab_record.h"

#include <dirent.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace lab::cluster {

using Json = nlohmann::json;

std::string lab_dir(const std::string& lab) { return std::string(kRunDir) + "/" + lab; }
std::string socket_path(const std::string& lab) { return lab_dir(lab) + "/api.sock"; }
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
  auto plan = plan_from_json(rec.name, j.value("network", Json::object()));
  if (!plan) return std::unexpected(plan.error());
  rec.plan = std::move(*plan);
  return rec;
}

std::vector<std::string> list_labs() {
  std::vector<std::string> out;
  DIR* d = ::opendir(kRunDir);
  if (!d) return out;
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

pid_t daemon_pid(const std::string& lab) {
  auto text = read_file(lab_dir(lab) + "/daemon.pid");
  if (!text) return 0;
  pid_t pid = std::atoi(text->c_str());
  if (pid <= 0) return 0;
  // The pid may have been reused since the daemon died: check it is our daemon for this lab.
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline) return 0;
  std::string marker = std::string("--lab=") + lab;
  if (cmdline->find("__daemon") == std::string::npos ||
      cmdline->find(marker + '\0') == std::string::npos)
    return 0;
  return pid;
}

Result<RegistryLock> RegistryLock::acquire() {
  ::mkdir(kRunDir, 0700);
  auto fd = UniqueFd::open(std::string(kRunDir) + "/.lock", O_RDWR | O_CREAT, 0600);
  if (!fd) return std::unexpected(fd.error());
  if (::flock(fd->get(), LOCK_EX) != 0) return fail_errno("lock " + std::string(kRunDir));
  return RegistryLock(std::move(*fd));
}

}  // namespace lab::cluster
