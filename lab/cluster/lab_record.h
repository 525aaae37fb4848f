// A lab's record on the host: /run/lab/<name>/ holds lab.json (its addresses and the names of
// every kernel object it made), the API socket, the daemon's pid and log, and pod state.
// `lab down` works from this record alone, so it can clean up after a dead daemon.
#pragma once

#include <chrono>
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
  int pod_eviction_timeout_seconds = 20;  // a NotReady node's pods are evicted after this
};

std::string lab_dir(const std::string& lab);
std::string socket_path(const std::string& lab);
// The read-only API (GETs of the kinds CoreDNS reads): <lab dir>/api-read/api.sock. Pods of the DNS
// image mount the directory, not the socket, so a restarted daemon's new socket reaches them.
std::string read_socket_dir(const std::string& lab);
std::string read_socket_path(const std::string& lab);
std::string pod_dir(const std::string& lab, const std::string& ns, const std::string& pod);
// busybox's applets as symlinks, made once per lab and mounted read-only as every container's /bin.
std::string applets_dir(const std::string& lab);
// The image roots (runtime/image_root.h), one directory per image, made once per lab: each
// container's /usr.
std::string images_dir(const std::string& lab);

Result<void> write_record(const LabRecord& rec);
Result<LabRecord> read_record(const std::string& lab);
// Names of labs with a record, sorted. An error when /run/lab cannot be read (a user who is not
// root gets EACCES: the labs are root's), none when it does not exist (no lab is running).
Result<std::vector<std::string>> find_labs();
// find_labs(), with an unreadable /run/lab as no labs (for callers that only tidy up).
std::vector<std::string> list_labs();

// The daemon's pid if it is alive and really is this lab's daemon; 0 otherwise.
pid_t daemon_pid(const std::string& lab);

// Exclusive lock over the registry (/run/lab/.lock) while a lab claims its name and address
// ranges, or /run/lab is tidied away. Held for a few lines by the process that needs them, on a
// close-on-exec fd (a daemon started meanwhile does not inherit it). Nobody waits for it longer
// than `wait`: then the error names the process that holds it.
class RegistryLock {
 public:
  static Result<RegistryLock> acquire(std::chrono::milliseconds wait = std::chrono::seconds(1));
 private:
  explicit RegistryLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// A lab's daemon holds /run/lab/<lab>/daemon.lock for its whole life, so that two CLIs that both
// find the daemon dead cannot start two. Never waits: the loser gets an error naming the winner.
Result<UniqueFd> lock_daemon(const std::string& lab);

// Who holds an flock on fd's file, from /proc/locks: "pid 1234 (lab up x.yaml)", or "" if unknown.
std::string lock_holder(int fd);

}  // namespace lab::cluster
