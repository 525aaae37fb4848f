// `lab top`: CPU as a rate needs two samples; the CLI takes them itself, 1 s apart (kubectl's
// metrics-server window is longer; a daemon-side sampler would spare the wait, not worth a
// thread for a command run now and then). Memory is the working set at the second sample.
#include "lab/cli/top.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "lab/api/json_access.h"
#include "lab/api/resources.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/options.h"
#include "lab/cli/printers.h"
#include "runtime/cgroups.h"

namespace lab::cli {

using Json = nlohmann::json;

int64_t cpu_milli(uint64_t before_ns, uint64_t after_ns, uint64_t elapsed_ns) {
  if (after_ns <= before_ns || elapsed_ns == 0) return 0;
  long double cores = static_cast<long double>(after_ns - before_ns) / static_cast<long double>(elapsed_ns);
  auto milli = static_cast<int64_t>(cores * 1000.0L);
  return static_cast<long double>(milli) < cores * 1000.0L ? milli + 1 : milli;
}

namespace {

std::string cpu_cell(int64_t milli) { return std::to_string(milli) + "m"; }
std::string memory_cell(uint64_t bytes) { return std::to_string(bytes / (1024 * 1024)) + "Mi"; }

}  // namespace

std::string top_pods_table(const std::vector<TopUsage>& pods, bool all_namespaces, bool headers) {
  std::vector<std::vector<std::string>> rows;
  if (headers) {
    rows.push_back({"NAME", "CPU(cores)", "MEMORY(bytes)"});
    if (all_namespaces) rows.back().insert(rows.back().begin(), "NAMESPACE");
  }
  for (const auto& p : pods) {
    rows.push_back({p.name, cpu_cell(p.cpu_milli), memory_cell(p.memory_bytes)});
    if (all_namespaces) rows.back().insert(rows.back().begin(), p.ns);
  }
  return format_table(rows);
}

std::string top_nodes_table(const std::vector<TopUsage>& nodes, int64_t capacity_milli, uint64_t capacity_bytes,
                            bool headers) {
  std::vector<std::vector<std::string>> rows;
  if (headers) rows.push_back({"NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"});
  for (const auto& n : nodes) {
    int64_t cpu_pct = capacity_milli > 0 ? n.cpu_milli * 100 / capacity_milli : 0;
    uint64_t mem_pct = capacity_bytes > 0 ? n.memory_bytes * 100 / capacity_bytes : 0;
    rows.push_back({n.name, cpu_cell(n.cpu_milli), std::to_string(cpu_pct) + "%", memory_cell(n.memory_bytes),
                    std::to_string(mem_pct) + "%"});
  }
  return format_table(rows);
}

namespace {

struct Sample {
  std::string ns, name, node;
  std::string cgroup;
  runtime::CgroupUsage first, second;
  bool ok = false;
};

// The host's CPUs and memory: every node of a lab shares them.
std::pair<int64_t, uint64_t> host_capacity() {
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return {cpus > 0 ? cpus * 1000 : 0, pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0};
}

}  // namespace

int cmd_top(const Args& args) {
  po::options_description opts;
  opts.add_options()("kind", po::value<std::string>())("name", po::value<std::string>())(
      "namespace,n", po::value<std::string>()->default_value("default"))("all-namespaces,A", po::bool_switch())(
      "selector,l", po::value<std::string>()->default_value(""))("no-headers", po::bool_switch())(
      "lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("kind", 1).add("name", 1);
  auto vm = parse(args, opts, pos);
  std::string kind = arg(vm, "kind");
  bool nodes = kind == "node" || kind == "nodes" || kind == "no";
  if (!nodes && kind != "pod" && kind != "pods" && kind != "po")
    return report_error(kind.empty() ? "You must specify the type of resource to get. Use \"lab top pod\" or \"lab top node\"."
                                     : "unknown command \"" + kind + "\" for \"lab top\"");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  if (auto r = ensure_daemon(*lab); !r) return report_error(r.error().what());
  const auto& cgroups = runtime::host_cgroups();
  if (cgroups.version == runtime::CgroupVersion::None) return report_error("Metrics API not available");

  bool all = vm["all-namespaces"].as<bool>() || nodes;
  std::string ns = all ? "" : arg(vm, "namespace");
  std::string name = arg(vm, "name");
  auto pods_type = api::find_resource("pods");
  auto list = list_objects(*lab, *pods_type, ns, arg(vm, "selector"), "");
  if (!list) return report_error(list.error().what());
  std::vector<Sample> samples;
  static const Json kNone = Json::array();
  const Json& items = api::member(*list, "items");
  for (const auto& pod : items.is_array() ? items : kNone) {
    const Json& meta = api::metadata_of(pod);
    Sample s{api::string_at(meta, "namespace"), api::string_at(meta, "name"),
             api::string_at(api::member(pod, "spec"), "nodeName"),
             runtime::pod_cgroup(*lab, api::string_at(meta, "uid")), {}, {}, false};
    if (!nodes && !name.empty() && s.name != name) continue;
    samples.push_back(std::move(s));
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto& s : samples)
    if (auto u = runtime::read_usage(cgroups, s.cgroup)) s.first = *u, s.ok = true;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto elapsed = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  for (auto& s : samples) {
    auto u = s.ok ? runtime::read_usage(cgroups, s.cgroup) : Result<runtime::CgroupUsage>(fail("gone"));
    if (u) s.second = *u;
    else s.ok = false;  // not started yet, or gone meanwhile: no metrics, as kubectl shows none
  }
  bool headers = !vm["no-headers"].as<bool>();
  if (nodes) {
    std::map<std::string, TopUsage> by_node;
    const Json node_list = api_get(*lab, "/api/v1/nodes").value_or(Json::object());
    const Json& node_items = api::member(node_list, "items");
    for (const auto& n : node_items.is_array() ? node_items : kNone) {
      std::string node = api::string_at(api::metadata_of(n), "name");
      if (name.empty() || node == name) by_node[node] = TopUsage{"", node, 0, 0};
    }
    if (!name.empty() && by_node.empty()) return report_error("nodes \"" + name + "\" not found");
    for (const auto& s : samples) {
      auto it = by_node.find(s.node);
      if (!s.ok || it == by_node.end()) continue;
      it->second.cpu_milli += cpu_milli(s.first.cpu_ns, s.second.cpu_ns, elapsed);
      it->second.memory_bytes += s.second.memory_bytes;
    }
    std::vector<TopUsage> rows;
    for (auto& [_, u] : by_node) rows.push_back(u);
    auto [cpu, mem] = host_capacity();
    std::fputs(top_nodes_table(rows, cpu, mem, headers).c_str(), stdout);
    return 0;
  }
  std::vector<TopUsage> rows;
  for (const auto& s : samples)
    if (s.ok) rows.push_back({s.ns, s.name, cpu_milli(s.first.cpu_ns, s.second.cpu_ns, elapsed), s.second.memory_bytes});
  if (!name.empty() && rows.empty())
    return report_error("Metrics not available for pod " + arg(vm, "namespace") + "/" + name);
  if (rows.empty()) {
    std::fputs(no_resources_message(ns).c_str(), stderr);
    return 0;
  }
  std::fputs(top_pods_table(rows, all, headers).c_str(), stdout);
  return 0;
}

}  // namespace lab::cli
