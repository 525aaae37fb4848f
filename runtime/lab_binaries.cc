#include "runtime/lab_binaries.h"

#include <sys/stat.h>
#include <unistd.h>

namespace lab::runtime {

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
}

std::string sibling_binary(const std::string& self_exe, const std::string& name) {
  auto slash = self_exe.rfind('/');
  std::string path = name.starts_with('/') ? name
                     : (slash == std::string::npos ? std::string(".") : self_exe.substr(0, slash)) + "/" + name;
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) return "";
  return path;
}

}  // namespace lab::runtime
