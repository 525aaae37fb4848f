// A move-only owner of one file descriptor, closed on scope exit (Seastar's file_desc shape).
// Every fd the project opens lives in one of these; nobody calls close() by hand.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "lab/base/result.h"

namespace lab {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  static Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return fail_errno("open " + path);
    return UniqueFd(fd);
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Sets close-on-exec on every descriptor of this process that lacks it. For libraries that open
// theirs without it and do not hand them out (libnftables' netlink socket in nft_ctx_new): call
// right after them. Every descriptor of the daemon is close-on-exec by rule (children get theirs
// by dup2, which clears the flag on the copy), so setting it on another thread's is harmless.
void set_cloexec_on_all_fds();

// Whole-file helpers used for /proc, /sys and state files.
Result<std::string> read_file(const std::string& path);
Result<void> write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
// Writes to path.tmp then renames, so readers never see half a file.
Result<void> write_file_atomic(const std::string& path, const std::string& content,
                               mode_t mode = 0644);

}  // namespace lab
