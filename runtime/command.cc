// Container argv/env assembly and the PATH search that execvpe would do, but against the
// container's own PATH (glibc's execvpe searches the caller's PATH, not the new envp's).
#include "runtime/command.h"

#include <sys/stat.h>
#include <unistd.h>

namespace lab::runtime {
namespace {

void env_set(std::vector<std::string>& env, const std::string& entry) {
  auto eq = entry.find('=');
  std::string key = entry.substr(0, eq == std::string::npos ? entry.size() : eq);
  for (auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

}  // namespace

Result<ProcessArgs> resolve_process(const Image& image, const ContainerSpec& c,
                                    const std::string& hostname) {
  ProcessArgs p;
  const auto& entry = c.command.empty() ? image.entrypoint : c.command;
  p.argv = entry;
  if (!c.args.empty())
    p.argv.insert(p.argv.end(), c.args.begin(), c.args.end());
  else if (c.command.empty())
    p.argv.insert(p.argv.end(), image.cmd.begin(), image.cmd.end());
  if (p.argv.empty() || p.argv[0].empty())
    return fail("container " + c.name + ": no command given and image " + image.name +
                " has none");

  // Docker's order: HOSTNAME first, image env, then the user's (which may override both).
  env_set(p.env, "HOSTNAME=" + hostname);
  for (const auto& e : image.env) env_set(p.env, e);
  for (const auto& [k, v] : c.env) env_set(p.env, k + "=" + v);
  return p;
}

std::string env_get(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
  return "";
}

Result<std::string> lookup_executable(const std::string& file,
                                      const std::vector<std::string>& env) {
  if (file.find('/') != std::string::npos) {
    if (::access(file.c_str(), X_OK) != 0) return fail_errno("exec " + file);
    return file;
  }
  std::string path = env_get(env, "PATH");
  if (path.empty()) path = "/usr/local/bin:/usr/bin:/bin";
  int first_error = ENOENT;  // execvp reports EACCES if that was all it found
  size_t start = 0;
  for (;;) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos
                                                                   : colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      first_error = EACCES;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return fail("exec " + file, first_error);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace lab::runtime
