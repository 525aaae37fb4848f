// The one binary: the kubectl-like CLI, and (hidden verbs) the lab daemon and the pod init.
// Dispatch only; the verbs live in lab/cli (commands.cc, object_verbs.cc).
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "lab/api/version.h"
#include "lab/base/parse.h"
#include "lab/cli/client.h"
#include "lab/cli/attach.h"
#include "lab/cli/commands.h"
#include "lab/cli/kubeconfig.h"
#include "lab/cli/run.h"
#include "lab/server/daemon.h"
#include "runtime/exec_session.h"
#include "runtime/lab_binaries.h"
#include "runtime/pod_init.h"
#include "runtime/spawn.h"

namespace {

const char kUsage[] =
    "lab: a small Kubernetes-like cluster made of real kernel objects on this host\n\n"
    "Usage:\n"
    "  lab up [FILE] [--name NAME]         start a lab from a scenario (default: the tutorial)\n"
    "  lab ls                              list running labs\n"
    "  lab kubeconfig [--lab NAME]         the lab's kubeconfig for kubectl (root only: it holds the key)\n"
    "  lab get TYPE [NAME] [-o wide|yaml|json|name|custom-columns=...|jsonpath=...]\n"
    "          [-l SELECTOR] [--no-headers] [-w] [-A]\n"
    "  lab describe TYPE [NAME]            details and events (pods, deployments, services, ...)\n"
    "  lab exec POD [-c CONTAINER] [-i] [-t] -- CMD  run a command inside a pod's container (default:\n"
    "                                      the first); -it gives it a terminal\n"
    "  lab run NAME --image=IMAGE [-i] [-t] [--rm] [--restart=Always|OnFailure|Never] [--env K=V]\n"
    "          [--labels K=V,...] [--port P] [--command] [-- ARGS...]  create a pod (-it: attached)\n"
    "  lab attach POD [-c CONTAINER] [-i] [-t]  attach to a running container's stdio\n"
    "  lab ssh NODE [-- CMD]               a shell or command on a node\n"
    "  lab logs POD [-c CONTAINER] [-f] [--previous]\n"
    "  lab apply -f FILE | create -f FILE  create or update objects (Deployment, Pod, Service, Secret, ConfigMap,\n"
    "                                      Namespace, ServiceAccount, Endpoints, EndpointSlice)\n"
    "  lab create secret generic NAME [--from-literal=K=V] [--from-file=[K=]PATH] [--from-env-file=PATH]\n"
    "          [--type=T]                  a Secret from literals, files or a directory, or an env file\n"
    "  lab create secret tls NAME --cert=PATH --key=PATH  a kubernetes.io/tls Secret (the pair is checked)\n"
    "  lab create configmap|cm NAME [--from-literal=K=V] [--from-file=[K=]PATH] [--from-env-file=PATH]\n"
    "  lab delete TYPE[,TYPE] NAME... | -f FILE | -l SELECTOR\n"
    "  lab scale deployment|replicaset NAME --replicas=N\n"
    "  lab rollout status deployment NAME  wait for a rolling update to finish\n"
    "  lab expose TYPE/NAME|TYPE NAME [--port P] [--target-port T] [--type ClusterIP|NodePort|LoadBalancer]\n"
    "          [--name N] [--selector K=V,...]  a Service for a deployment, replica set, pod or service\n"
    "  lab patch TYPE NAME -p JSON         merge patch (e.g. '{\"spec\":{\"type\":\"LoadBalancer\"}}')\n"
    "  lab edit TYPE NAME                  edit the YAML in $EDITOR, apply on save\n"
    "  lab top pods|nodes [NAME] [-n NS | -A] [-l SELECTOR]  CPU and memory use, from the cgroups\n"
    "  lab down [--lab NAME | --all]       remove a lab and everything it made\n"
    "  lab version\n\n"
    "TYPE: pods (po), nodes (no), deployments (deploy), replicasets (rs), services (svc),\n"
    "      endpointslices, events (ev), secrets, configmaps (cm)\n"
    "Every verb takes --lab NAME to choose a lab when several run, and the verbs on objects\n"
    "-n NAMESPACE (default: default).\n"
    "--request-timeout=DURATION: how long to wait for the lab's daemon to answer, as kubectl's\n"
    "      (5, 5s, 1m; 0 waits for ever; default 30s, and streams (-w, -f) run for as long as\n"
    "      they last).\n"
    "Lab names: lowercase letters, digits and '-', alphanumeric at both ends, at most 40 characters.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "__pod-init") == 0) return lab::runtime::pod_init_main(argc, argv);
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  std::string verb = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (verb == "__daemon") {
      lab::server::DaemonOptions opts;
      opts.self_exe = lab::runtime::self_exe();
      for (const auto& a : args) {
        if (a.starts_with("--lab=")) opts.lab = a.substr(6);
        if (a.starts_with("--ready-fd=")) {
          auto fd = lab::parse_int(a.substr(11), 0);
          if (!fd) return lab::cli::report_error("__daemon --ready-fd: " + fd.error().what());
          opts.ready_fd = *fd;
        }
      }
      return lab::server::daemon_main(opts);
    }
    if (verb == "up") return lab::cli::cmd_up(args, lab::runtime::self_exe());
    if (verb == "down") return lab::cli::cmd_down(args);
    if (verb == "ls") return lab::cli::cmd_ls(args);
    if (verb == "kubeconfig") return lab::cli::cmd_kubeconfig(args);
    if (verb == "get") return lab::cli::cmd_get(args);
    if (verb == "exec") return lab::cli::cmd_exec(args);
    if (verb == "run") return lab::cli::cmd_run(args);
    if (verb == "attach") return lab::cli::cmd_attach(args);
    if (verb == "ssh") return lab::cli::cmd_ssh(args);
    if (verb == "apply") return lab::cli::cmd_apply(args, false);
    if (verb == "create") return lab::cli::cmd_create(args);
    if (verb == "delete") return lab::cli::cmd_delete(args);
    if (verb == "scale") return lab::cli::cmd_scale(args);
    if (verb == "describe") return lab::cli::cmd_describe(args);
    if (verb == "logs") return lab::cli::cmd_logs(args);
    if (verb == "rollout") return lab::cli::cmd_rollout(args);
    if (verb == "expose") return lab::cli::cmd_expose(args);
    if (verb == "patch") return lab::cli::cmd_patch(args);
    if (verb == "edit") return lab::cli::cmd_edit(args);
    if (verb == "top") return lab::cli::cmd_top(args);
    // Exec probes: `lab __exec PID -- CMD...`, run apart from the daemon's threads (the daemon
    // runs lab-pod-init's copy of this entry when it is installed).
    if (verb == "__exec") return lab::runtime::exec_main(args);
    // One `kubectl exec` session, spawned by the daemon (runtime/exec_session.h).
    if (verb == "__exec-session") return lab::runtime::exec_session_main(args);
    if (verb == "version") {
      std::printf("lab v0.1.0 (API %s)\n", lab::api::git_version().c_str());
      return 0;
    }
  } catch (const boost::program_options::error& e) {
    return lab::cli::report_error(std::string(e.what()) + "\nSee 'lab help' for usage.");
  }
  return lab::cli::report_error("unknown command \"" + verb + "\" for \"lab\"\nSee 'lab help' for usage.");
}
