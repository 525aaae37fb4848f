// The pod's PID 1 (like Kubernetes' pause container): holds the pod's namespaces, builds each
// container's rootfs and starts it, reaps zombies, forwards SIGTERM, restarts exited containers.
#pragma once

namespace lab::runtime {

// Entry for `lab __pod-init SPEC_FILE NETNS_FD STATUS_FD`; never returns to the caller's main.
int pod_init_main(int argc, char** argv);

}  // namespace lab::runtime
