// `lab top pods|nodes`: kubectl top's tables from the pods' cgroups (runtime/cgroups.h) rather
// than a metrics server. Pure formatting here; cmd_top (commands.h) samples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lab::cli {

// One pod's (or node's) usage over the sampling interval.
struct TopUsage {
  std::string ns, name;
  int64_t cpu_milli = 0;     // cores x 1000, rounded up (Quantity.MilliValue)
  uint64_t memory_bytes = 0; // working set
};

// CPU rate in millicores from two cgroup CPU-time samples (ns) taken elapsed_ns apart.
int64_t cpu_milli(uint64_t before_ns, uint64_t after_ns, uint64_t elapsed_ns);

// kubectl top pod: NAME CPU(cores) MEMORY(bytes), with NAMESPACE first for -A; "12m", "3Mi".
std::string top_pods_table(const std::vector<TopUsage>& pods, bool all_namespaces, bool headers);
// kubectl top node: NAME CPU(cores) CPU% MEMORY(bytes) MEMORY% against the node's capacity.
std::string top_nodes_table(const std::vector<TopUsage>& nodes, int64_t capacity_milli, uint64_t capacity_bytes,
                            bool headers);

}  // namespace lab::cli
