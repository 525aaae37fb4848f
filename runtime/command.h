// What a container actually executes: Kubernetes' command/args over the image's
// ENTRYPOINT/CMD, the merged environment, and the PATH lookup done inside the container root.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/image.h"
#include "runtime/pod_spec.h"

namespace lab::runtime {

struct ProcessArgs {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "KEY=value", one entry per key
};

// k8s rules: `command` replaces ENTRYPOINT and drops CMD unless `args` is given; `args`
// replaces CMD. Env: image defaults, then the container's env (later wins), plus
// HOSTNAME=<hostname>. Error if the result has no argv[0].
Result<ProcessArgs> resolve_process(const Image& image, const ContainerSpec& c,
                                    const std::string& hostname);

// Value of key in a "KEY=value" list, or "" if absent.
std::string env_get(const std::vector<std::string>& env, const std::string& key);

// Finds file along the PATH of env (execvp's rule: names with '/' are used as they are),
// resolved against the calling process's root. Error "exec FILE: <errno text>".
Result<std::string> lookup_executable(const std::string& file, const std::vector<std::string>& env);

// NULL-terminated char* view of strings, for execve. Valid while the strings live.
std::vector<char*> c_strings(const std::vector<std::string>& v);

}  // namespace lab::runtime
