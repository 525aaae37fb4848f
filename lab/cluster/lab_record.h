// A lab's record on the host: /run/lab/<name>/ holds lab.json (its addresses and the names of
// every kernel object it made), the API socket, the daemon's pid and log, and pod state.
// `lab down` works from this record alone, so it can clean up after a dead daemon.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "netns/fabric.h"

namespace lab::cluster {

inline constexpr const char* kRunDir = "/run/lab";

struct LabRecord {
  std::string name;
  std::string created;       // RFC 3339
  std::string scenario;      // absolute path of the scenario file
  net::FabricPlan plan;      // every address and kernel object name
  std::string lb_pool;       // "172.18.255.200-172.18.255.250"
};

std::string lab_dir(const std::string& lab);
std::string socket_path(const std::string& lab);
std::string pod_dir(const std::string& lab, const std::string& ns, const std::string& pod);

Result<void> write_record(const LabRecord& rec);
Result<LabRecord> read_record(const std::string& lab);
// Names of labs with a record, sorted.
std::vector<std::string> list_labs();

// The daemon's pid if it is alive and really is this lab's daemon; 0 otherwise.
pid_t daemon_pid(const std::string& lab);

// Exclusive lock over the registry while a lab claims its address ranges.
class RegistryLock {
 public:
  static Result<RegistryLock> acquire();
 private:
  explicit RegistryLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace lab::cluster
