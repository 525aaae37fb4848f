// The lab's own executables are installed side by side (lab, lab-pod-init, lab-dns: in
// /usr/local/bin by setup.sh, or a build directory), so each finds the others beside itself and a
// test running build/lab uses build/lab-pod-init and build/lab-dns.
#pragma once

#include <string>

namespace lab::runtime {

// The running executable (/proc/self/exe).
std::string self_exe();

// `<directory of self_exe>/<name>` when that is an executable file; "" otherwise. An absolute
// name is a host program of its own (the kubectl image's), taken as it is.
std::string sibling_binary(const std::string& self_exe, const std::string& name);

}  // namespace lab::runtime
