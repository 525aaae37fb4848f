// `lab-pod-init`: the runtime's processes alone, as a small static binary: the pod init
// (`__pod-init`), an exec probe's command (`__exec`) and an exec session (`__exec-session`).
// Every pod start, probe and exec runs one, and the full `lab` (20 shared libraries, 8,700
// relocations) takes ~18 ms of CPU to start and exit, most of it in the dynamic linker; this
// one ~2 ms. `lab` keeps the same entries, the fallback when this binary is not installed
// beside it.
#include <cstring>
#include <string>
#include <vector>

#include "runtime/exec_session.h"
#include "runtime/pod_init.h"
#include "runtime/spawn.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (std::strcmp(argv[1], "__pod-init") == 0) return lab::runtime::pod_init_main(argc, argv);
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (std::strcmp(argv[1], "__exec") == 0) return lab::runtime::exec_main(args);
  if (std::strcmp(argv[1], "__exec-session") == 0) return lab::runtime::exec_session_main(args);
  return 2;
}
