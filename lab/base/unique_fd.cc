// Whole-file read and write helpers on top of UniqueFd.
// Short reads and writes are looped; EINTR is retried.
#include "lab/base/unique_fd.h"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>

namespace lab {

void set_cloexec_on_all_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;  // no /proc: nothing to scan (the fds stay as the library made them)
  const int own = ::dirfd(dir);
  while (const dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == own) continue;  // ".", ".."
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  }
  ::closedir(dir);
}

Result<std::string> read_file(const std::string& path) {
  auto fd = UniqueFd::open(path, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<void> write_file(const std::string& path, const std::string& content, mode_t mode) {
  auto fd = UniqueFd::open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (!fd) return std::unexpected(fd.error());
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd->get(), content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write " + path);
    off += static_cast<size_t>(n);
  }
  return {};
}

Result<void> write_file_atomic(const std::string& path, const std::string& content, mode_t mode) {
  std::string tmp = path + ".tmp";
  LAB_TRY(write_file(tmp, content, mode));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail_errno("rename " + tmp);
  return {};
}

}  // namespace lab
