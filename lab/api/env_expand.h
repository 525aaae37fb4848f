// `$(VAR)` references in a container's env values, command and args, expanded as the kubelet
// expands them (k8s third_party/forked/golang/expansion): `$$` is an escaped `$`, a reference to
// an unknown name stays as written, and a `$` before anything else is kept as it is.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lab::api {

using EnvMap = std::map<std::string, std::string, std::less<>>;

// input with every `$(NAME)` replaced by the value of NAME in the first of contexts that holds it
// (MappingFuncFor(contexts...)); names no context holds are left as `$(NAME)`.
std::string expand_env(std::string_view input, const std::vector<const EnvMap*>& contexts);

}  // namespace lab::api
