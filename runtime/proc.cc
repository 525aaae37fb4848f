// /proc scanning. CONFIG_PROC_CHILDREN is off on the target kernel, so children are found by
// their PPid in every /proc/PID/stat; a few hundred small reads, fine for CLI paths.
#include "runtime/proc.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "runtime/spawn.h"

namespace lab::runtime {

std::optional<ProcStat> parse_proc_stat(const std::string& line) {
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  // Fields after comm: 3 state, 4 ppid, ... 22 starttime.
  std::istringstream in(line.substr(close + 1));
  ProcStat st;
  std::string skip;
  if (!(in >> st.state >> st.ppid)) return std::nullopt;
  for (int field = 5; field < 22; ++field)
    if (!(in >> skip)) return std::nullopt;
  if (!(in >> st.start_time)) return std::nullopt;
  return st;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  return parse_proc_stat(*text);
}

std::vector<std::string> split_cmdline(const std::string& raw) {
  std::vector<std::string> args;
  size_t start = 0;
  while (start < raw.size()) {
    size_t nul = raw.find('\0', start);
    if (nul == std::string::npos) nul = raw.size();
    args.push_back(raw.substr(start, nul - start));
    start = nul + 1;
  }
  return args;
}

std::vector<std::string> read_cmdline(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return text ? split_cmdline(*text) : std::vector<std::string>{};
}

std::vector<pid_t> list_pids() {
  std::vector<pid_t> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
  if (!dir) return pids;
  while (dirent* e = ::readdir(dir.get())) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid > 0 && *end == '\0') pids.push_back(static_cast<pid_t>(pid));
  }
  std::ranges::sort(pids);
  return pids;
}

Result<std::vector<pid_t>> container_pids(pid_t init_pid) {
  if (!read_proc_stat(init_pid)) return fail("pod init " + std::to_string(init_pid) + " is gone");
  std::vector<std::pair<unsigned long long, pid_t>> kids;
  for (pid_t pid : list_pids()) {
    auto st = read_proc_stat(pid);
    if (st && st->ppid == init_pid && st->state != 'Z') kids.emplace_back(st->start_time, pid);
  }
  std::ranges::sort(kids);
  std::vector<pid_t> out;
  for (const auto& [start, pid] : kids) out.push_back(pid);
  return out;
}

std::string init_pid_path(const std::string& state_dir) { return state_dir + "/init.pid"; }

std::string pod_init_log_path(const std::string& state_dir) { return state_dir + "/init.log"; }

std::optional<pid_t> read_init_pid(const std::string& state_dir) {
  auto text = read_file(init_pid_path(state_dir));
  if (!text) return std::nullopt;
  auto pid = parse_int(trim_space(*text), 1);
  if (!pid) return std::nullopt;
  return static_cast<pid_t>(*pid);
}

Result<pid_t> container_pid(pid_t init_pid, const std::string& state_dir,
                            const std::string& container) {
  auto text = read_file(state_dir + "/" + container + ".hostpid");
  if (!text) return fail("container " + container + " has not started");
  pid_t pid = static_cast<pid_t>(std::atoi(text->c_str()));
  auto st = read_proc_stat(pid);
  if (pid <= 0 || !st || st->ppid != init_pid || st->state == 'Z')
    return fail("container " + container + " is not running");
  return pid;
}

namespace {

// The lab's `lab-pod-init` processes, from one pass over /proc: P1s (PID 1 of their pid
// namespace: the pods), and the P0s that start them (in the host's pid namespace, alive for a
// few ms).
PodProcesses pod_init_processes(const std::string& lab) {
  PodProcesses out;
  std::string marker = "--lab=" + lab;
  for (pid_t pid : list_pids()) {
    auto args = read_cmdline(pid);
    if (args.empty() || args[0] != "lab-pod-init") continue;
    if (std::ranges::find(args, marker) == args.end()) continue;
    auto status = read_file("/proc/" + std::to_string(pid) + "/status");
    if (!status) continue;
    auto at = status->find("\nNSpid:");
    if (at == std::string::npos) continue;
    std::string nspid = status->substr(at + 7, status->find('\n', at + 1) - at - 7);
    auto last = nspid.find_last_not_of(" \t");
    auto first = nspid.find_last_of(" \t", last);
    if (last == std::string::npos) continue;
    bool nested = nspid.find_first_not_of(" \t") != first + 1;  // more than one pid namespace
    // A container's process before its exec is nested too, but not PID 1: neither.
    if (!nested) out.starters.push_back(pid);
    else if (nspid.substr(first + 1, last - first) == "1") out.inits.push_back(pid);
  }
  return out;
}

}  // namespace

UniqueFd open_pidfd(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

PodProcesses find_pod_processes(const std::string& lab) { return pod_init_processes(lab); }

std::vector<pid_t> find_pod_inits(const std::string& lab) { return pod_init_processes(lab).inits; }

std::vector<pid_t> find_pod_starters(const std::string& lab) { return pod_init_processes(lab).starters; }

}  // namespace lab::runtime
