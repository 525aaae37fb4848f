// Network namespace handles: create (named like `ip netns add`, or anonymous), open, enter, remove.
// Entering is scoped: NetnsSwitch puts the calling thread back where it was on scope exit.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"

namespace lab::net {

inline constexpr const char* kNetnsDir = "/run/netns";

class Netns {
 public:
  Netns() = default;
  Netns(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  // New netns bind-mounted at /run/netns/NAME (so `ip netns exec NAME` works). EEXIST if taken.
  static Result<Netns> create_named(const std::string& name);
  // New netns held only by the returned fd (and later by the processes that enter it).
  static Result<Netns> create_anonymous();
  static Result<Netns> open_named(const std::string& name);
  static Result<Netns> open_path(const std::string& path);  // e.g. /proc/PID/ns/net
  static Result<Netns> current();                           // this thread's netns

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }  // empty when anonymous
  bool valid() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
  std::string name_;
};

// Unmounts and unlinks /run/netns/NAME. A missing name is not an error.
Result<void> remove_named_netns(const std::string& name);
// Names under /run/netns that start with prefix.
std::vector<std::string> list_named_netns(const std::string& prefix);

// RAII: the calling thread enters a netns; the destructor returns it to the one it was in.
class NetnsSwitch {
 public:
  static Result<NetnsSwitch> enter(int netns_fd);
  static Result<NetnsSwitch> enter(const Netns& ns) { return enter(ns.fd()); }
  // Remembers the thread's netns without leaving it, for code that then calls unshare(CLONE_NEWNET).
  static Result<NetnsSwitch> remember();
  NetnsSwitch(NetnsSwitch&&) noexcept = default;
  NetnsSwitch& operator=(NetnsSwitch&&) noexcept = default;
  ~NetnsSwitch();

 private:
  explicit NetnsSwitch(UniqueFd original) : original_(std::move(original)) {}
  UniqueFd original_;
};

}  // namespace lab::net
