// `lab-pod-init`: the pod init alone, as a small static binary. Every pod start execs it, and
// the full `lab` (20 shared libraries, 3 MB of code) spent ~10 ms of CPU per exec in the
// dynamic linker alone; this one starts in ~1 ms. `lab __pod-init` remains as the fallback
// when the binary is not installed beside `lab`.
#include <cstring>

#include "runtime/pod_init.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "__pod-init") == 0) return lab::runtime::pod_init_main(argc, argv);
  return 2;
}
