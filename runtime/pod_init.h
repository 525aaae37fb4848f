// The pod's PID 1 (like Kubernetes' pause container): holds the pod's namespaces, builds each
// container's rootfs and starts it, reaps zombies, forwards SIGTERM, restarts exited containers.
#pragma once

namespace lab::runtime {

// Entry for `lab __pod-init SPEC_FILE NETNS_FD STATUS_FD --lab=LAB --pod=NS/NAME`, spawned by
// start_pod() with argv[0] "lab-pod-init" (the marker find_pod_inits() looks for); main()
// dispatches on argv[1]. Returns P0's exit code; P1 never returns (it _exits).
int pod_init_main(int argc, char** argv);

}  // namespace lab::runtime
