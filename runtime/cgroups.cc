// Pod and container cgroups (see cgroups.h): pure naming and values first, then the thin edge
// that touches /sys/fs/cgroup.
#include "runtime/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "lab/base/parse.h"

namespace lab::runtime {
namespace {

// The v1 controllers lab uses; cpuacct only for `lab top`'s CPU time.
constexpr const char* kV1Controllers[] = {"memory", "cpu", "cpuacct", "pids"};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  auto octal = [](char ch) { return ch >= '0' && ch <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) &&
        octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string join(std::string_view dir, std::string_view rel) {
  std::string out(dir);
  if (!rel.empty()) out += "/" + std::string(rel);
  return out;
}

// The directory of one controller's hierarchy for rel ("" when the layout has none).
std::string controller_dir(const CgroupLayout& l, const std::string& controller, std::string_view rel) {
  if (l.version == CgroupVersion::V2) return join(l.v2_root, rel);
  auto it = l.v1.find(controller);
  return it == l.v1.end() ? "" : join(it->second, rel);
}

}  // namespace

int64_t cpu_shares_from_milli(int64_t milli) {
  constexpr int64_t kMin = 2, kMax = 262'144;
  if (milli <= 0) return kMin;
  return std::clamp<int64_t>(milli * 1024 / 1000, kMin, kMax);
}

int64_t cpu_quota_from_milli(int64_t milli, int64_t period_us) {
  if (milli <= 0) return 0;
  return std::max<int64_t>(milli * period_us / 1000, 1000);
}

int64_t cpu_weight_from_shares(int64_t shares) {
  shares = std::clamp<int64_t>(shares, 2, 262'144);
  return 1 + ((shares - 2) * 9999) / 262'142;
}

CgroupLayout parse_cgroup_layout(std::string_view mountinfo) {
  CgroupLayout l;
  std::string v2;
  for (auto line : split(mountinfo, '\n')) {
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto before = split(line.substr(0, dash), ' ');
    auto after = split(line.substr(dash + 3), ' ');
    if (before.size() < 5 || after.size() < 3) continue;
    std::string mount_point = unescape(before[4]);
    if (after[0] == "cgroup2") {
      if (v2.empty()) v2 = mount_point;
      continue;
    }
    if (after[0] != "cgroup") continue;
    for (auto opt : split(after[2], ','))
      for (const char* c : kV1Controllers)
        if (opt == c && !l.v1.contains(c)) l.v1[c] = mount_point;
  }
  if (l.v1.contains("memory") || l.v1.contains("cpu") || l.v1.contains("pids")) {
    l.version = CgroupVersion::V1;
  } else if (!v2.empty()) {
    l.v1.clear();
    l.version = CgroupVersion::V2;
    l.v2_root = v2;
  }
  return l;
}

std::string lab_cgroup(std::string_view lab) { return "lab-" + std::string(lab); }

std::string pod_cgroup(std::string_view lab, std::string_view pod_uid) {
  return lab_cgroup(lab) + "/pod-" + std::string(pod_uid);
}

// "ctr-": a container may be named like a control file ("tasks", "notify_on_release").
std::string container_cgroup(std::string_view pod, std::string_view container) {
  return std::string(pod) + "/ctr-" + std::string(container);
}

std::vector<std::string> cgroup_dirs(const CgroupLayout& l, std::string_view rel) {
  std::vector<std::string> out;
  if (l.version == CgroupVersion::V2) {
    out.push_back(join(l.v2_root, rel));
  } else if (l.version == CgroupVersion::V1) {
    for (const char* c : kV1Controllers) {
      std::string dir = controller_dir(l, c, rel);
      if (!dir.empty() && std::ranges::find(out, dir) == out.end()) out.push_back(dir);
    }
  }
  return out;
}

std::vector<CgroupWrite> limit_writes(const CgroupLayout& l, std::string_view rel, const CgroupLimits& lim) {
  std::vector<CgroupWrite> out;
  auto add = [&](const std::string& controller, const std::string& file, int64_t value) {
    std::string dir = controller_dir(l, controller, rel);
    if (!dir.empty()) out.push_back({dir + "/" + file, std::to_string(value)});
  };
  if (l.version == CgroupVersion::V1) {
    if (lim.memory_bytes > 0) add("memory", "memory.limit_in_bytes", lim.memory_bytes);
    if (lim.cpu_quota_us > 0) {
      add("cpu", "cpu.cfs_period_us", lim.cpu_period_us);
      add("cpu", "cpu.cfs_quota_us", lim.cpu_quota_us);
    }
    if (lim.cpu_shares > 0) add("cpu", "cpu.shares", lim.cpu_shares);
    if (lim.pids_max > 0) add("pids", "pids.max", lim.pids_max);
  } else if (l.version == CgroupVersion::V2) {
    std::string dir = join(l.v2_root, rel);
    if (lim.memory_bytes > 0) out.push_back({dir + "/memory.max", std::to_string(lim.memory_bytes)});
    if (lim.cpu_quota_us > 0)
      out.push_back({dir + "/cpu.max", std::to_string(lim.cpu_quota_us) + " " + std::to_string(lim.cpu_period_us)});
    if (lim.cpu_shares > 0) out.push_back({dir + "/cpu.weight", std::to_string(cpu_weight_from_shares(lim.cpu_shares))});
    if (lim.pids_max > 0) out.push_back({dir + "/pids.max", std::to_string(lim.pids_max)});
  }
  return out;
}

std::string oom_events_file(const CgroupLayout& l, std::string_view rel) {
  if (l.version == CgroupVersion::V2) return join(l.v2_root, rel) + "/memory.events";
  std::string dir = controller_dir(l, "memory", rel);
  return dir.empty() ? "" : dir + "/memory.oom_control";
}

uint64_t parse_oom_kills(std::string_view text) {
  for (auto line : split(text, '\n')) {
    if (!line.starts_with("oom_kill ")) continue;
    if (auto n = parse_uint64(line.substr(9))) return *n;
  }
  return 0;
}

uint64_t working_set(uint64_t usage, std::string_view memory_stat, CgroupVersion version) {
  std::string_view key = version == CgroupVersion::V1 ? "total_inactive_file " : "inactive_file ";
  for (auto line : split(memory_stat, '\n')) {
    if (!line.starts_with(key)) continue;
    auto n = parse_uint64(line.substr(key.size()));
    if (n) return usage > *n ? usage - *n : 0;
  }
  return usage;
}

// ---- the edge ----

namespace {

Result<void> mkdir_p(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + dir);
  }
  return {};
}

// Subdirectories of dir (cgroups below it).
std::vector<std::string> children(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (e->d_type == DT_DIR && name != "." && name != "..") out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  return out;
}

// Collects dir and the cgroups below it by depth (levels[0] = dir).
void collect_levels(const std::string& dir, size_t depth, std::vector<std::vector<std::string>>& levels) {
  if (levels.size() <= depth) levels.resize(depth + 1);
  levels[depth].push_back(dir);
  for (const auto& child : children(dir)) collect_levels(child, depth + 1, levels);
}

// Removes a cgroup tree, deepest level first, each level whole before the next. EBUSY has two
// causes: a process of the cgroup still dying (a SIGKILLed pod's exit is asynchronous), and a
// child removed a moment ago that the kernel has not taken offline yet (it does so later, on a
// workqueue, in the order the children were removed). So a level's directories are taken in the
// order their children went, each retried every millisecond until it goes: sweeping every busy
// directory again every 10 ms made 55,000 failed rmdirs for a thousand pods (now under a
// thousand), each taking the cgroup mutex the workqueue needs. The wait itself is the kernel's:
// ~2 ms per memory cgroup here, 2.1 s for a thousand pods. The deadline is one for the whole
// tree: with a retry budget per directory, a thousand pods killed at once on a busy machine
// left cgroups behind.
Result<void> remove_tree(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  std::vector<std::vector<std::string>> levels;
  collect_levels(dir, 0, levels);
  for (auto level = levels.rbegin(); level != levels.rend(); ++level) {
    for (const auto& d : *level) {
      while (::rmdir(d.c_str()) != 0 && errno != ENOENT) {
        if (errno != EBUSY) return fail_errno("remove cgroup " + d);
        if (std::chrono::steady_clock::now() > deadline) {
          errno = EBUSY;
          return fail_errno("remove cgroup " + d);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  return {};
}

}  // namespace

const CgroupLayout& host_cgroups() {
  static const CgroupLayout layout = [] {
    auto text = read_file("/proc/self/mountinfo");
    return text ? parse_cgroup_layout(*text) : CgroupLayout{};
  }();
  return layout;
}

Result<void> create_cgroup(const CgroupLayout& l, std::string_view rel, const CgroupLimits& limits) {
  if (l.version == CgroupVersion::None) return {};
  if (l.version == CgroupVersion::V2) {
    // Each ancestor below the root hands the controllers down (no process lives in ours).
    std::string at = l.v2_root;
    for (auto part : split(rel, '/')) {
      // Unchecked on purpose: a controller this write could not hand down leaves its limit file
      // missing below, and that write fails with the path named (the error the caller sees).
      (void)write_file(at + "/cgroup.subtree_control", "+memory +cpu +pids");
      at += "/" + std::string(part);
      if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + at);
    }
  } else {
    for (const auto& dir : cgroup_dirs(l, rel)) LAB_TRY(mkdir_p(dir));
  }
  for (const auto& w : limit_writes(l, rel, limits))
    if (auto r = write_file(w.path, w.value); !r) return std::unexpected(r.error().context("cgroup limit"));
  return {};
}

Result<std::vector<UniqueFd>> open_cgroup_procs(const CgroupLayout& l, std::string_view rel) {
  std::vector<UniqueFd> out;
  for (const auto& dir : cgroup_dirs(l, rel)) {
    auto fd = UniqueFd::open(dir + "/cgroup.procs", O_WRONLY);
    if (!fd) return std::unexpected(fd.error());
    out.push_back(std::move(*fd));
  }
  return out;
}

bool join_cgroup(const std::vector<int>& procs_fds) {
  for (int fd : procs_fds)
    if (::write(fd, "0", 1) != 1) return false;
  return true;
}

Result<void> remove_cgroup(const CgroupLayout& l, std::string_view rel) {
  Result<void> first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  // One thread per hierarchy: the memory one mostly waits for the kernel (see remove_tree), and
  // the others need not wait behind it.
  const auto dirs = cgroup_dirs(l, rel);
  std::vector<Result<void>> results(dirs.size());
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < dirs.size(); ++i)
      threads.emplace_back([&, i] { results[i] = remove_tree(dirs[i], deadline); });
  }
  for (auto& r : results)
    if (!r && first) first = std::move(r);
  return first;
}

uint64_t oom_kills(const CgroupLayout& l, std::string_view rel) {
  std::string file = oom_events_file(l, rel);
  if (file.empty()) return 0;
  auto text = read_file(file);
  return text ? parse_oom_kills(*text) : 0;
}

Result<CgroupUsage> read_usage(const CgroupLayout& l, std::string_view rel) {
  auto number = [](const std::string& path) -> Result<uint64_t> {
    auto text = read_file(path);
    if (!text) return std::unexpected(text.error());
    return parse_uint64(trim_space(*text));
  };
  CgroupUsage u;
  if (l.version == CgroupVersion::V1) {
    std::string acct = controller_dir(l, "cpuacct", rel), mem = controller_dir(l, "memory", rel);
    if (!acct.empty()) {
      auto ns = number(acct + "/cpuacct.usage");
      if (!ns) return std::unexpected(ns.error());
      u.cpu_ns = *ns;
    }
    if (!mem.empty()) {
      auto bytes = number(mem + "/memory.usage_in_bytes");
      if (!bytes) return std::unexpected(bytes.error());
      auto stat = read_file(mem + "/memory.stat");
      u.memory_bytes = working_set(*bytes, stat ? *stat : "", l.version);
    }
  } else if (l.version == CgroupVersion::V2) {
    std::string dir = join(l.v2_root, rel);
    auto stat = read_file(dir + "/cpu.stat");
    if (!stat) return std::unexpected(stat.error());
    for (auto line : split(*stat, '\n'))
      if (line.starts_with("usage_usec "))
        if (auto us = parse_uint64(line.substr(11))) u.cpu_ns = *us * 1000;
    auto bytes = number(dir + "/memory.current");
    if (!bytes) return std::unexpected(bytes.error());
    auto mstat = read_file(dir + "/memory.stat");
    u.memory_bytes = working_set(*bytes, mstat ? *mstat : "", l.version);
  } else {
    return fail("no cgroup hierarchy on this host", ENOENT);
  }
  return u;
}

}  // namespace lab::runtime
