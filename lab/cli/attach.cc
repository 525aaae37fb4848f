// `lab attach POD [-c CONTAINER] [-i] [-t]`: kubectl attach, over the pod init's attach socket.
#include "lab/cli/attach.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/options.h"
#include "lab/cluster/lab_record.h"

namespace lab::cli {

using Json = nlohmann::json;

Result<runtime::AttachStatus> attach_to_pod(const PodSession& s, const Json& pod, bool& raw_tty) {
  const Json containers = pod["spec"].value("containers", Json::array());
  const Json* spec = nullptr;
  for (const auto& c : containers)
    if (c.is_object() && c.value("name", "") == s.container) spec = &c;
  if (!spec) return fail("container " + s.container + " is not valid for pod " + s.pod);
  bool tty = s.tty, in = s.stdin;
  if (in && !spec->value("stdin", false)) {
    std::fprintf(stderr, "Unable to use stdin - container %s did not allocate one\n", s.container.c_str());
    in = false;
  }
  if (tty && !spec->value("tty", false)) {
    std::fprintf(stderr, "Unable to use a TTY - container %s did not allocate one\n", s.container.c_str());
    tty = false;
  } else if (tty && ::isatty(0) != 1) {
    std::fprintf(stderr, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
    tty = false;
  }
  raw_tty = tty;
  runtime::AttachOptions opts;
  opts.stdin = in;
  opts.tty = tty;
  opts.on_attached = [tty] {
    if (tty) std::fputs("If you don't see a command prompt, try pressing enter.\n", stderr);
    std::fflush(stderr);
  };
  std::fflush(stdout);
  return runtime::attach_session(cluster::pod_dir(s.lab, s.ns, s.pod), s.container, opts);
}

int cmd_attach(const std::vector<std::string>& args) {
  po::options_description opts;
  opts.add_options()("pod", po::value<std::string>())("container,c", po::value<std::string>())(
      "namespace,n", po::value<std::string>()->default_value("default"))("stdin,i", po::bool_switch())(
      "tty,t", po::bool_switch())("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("pod", 1);
  auto vm = parse(args, opts, pos);
  if (!vm.count("pod")) return report_error("expected POD or TYPE/NAME is a required argument for the attach command");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  PodSession s;
  s.lab = *lab;
  s.ns = arg(vm, "namespace");
  s.pod = arg(vm, "pod");
  if (s.pod.starts_with("pod/")) s.pod = s.pod.substr(4);
  s.stdin = vm["stdin"].as<bool>();
  s.tty = vm["tty"].as<bool>();
  auto pod = api_get(s.lab, "/api/v1/namespaces/" + s.ns + "/pods/" + s.pod);
  if (!pod) return report_error(pod.error().what());
  std::string phase = (*pod)["status"].value("phase", "Pending");
  if (phase == "Succeeded" || phase == "Failed")
    return report_error("cannot attach a container in a completed pod; current phase is " + phase);
  const Json containers = (*pod)["spec"].value("containers", Json::array());
  if (containers.empty()) return report_error("pod " + s.pod + " has no containers");
  s.container = vm.count("container") ? arg(vm, "container") : containers[0].value("name", "");
  if (!vm.count("container") && containers.size() > 1) {
    std::string names;
    for (const auto& c : containers) names += (names.empty() ? "" : ", ") + c.value("name", "");
    std::fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", s.container.c_str(), names.c_str());
  }
  bool raw = false;
  auto status = attach_to_pod(s, *pod, raw);
  if (!status) return report_error(status.error().what());
  if (raw && s.stdin && (*pod)["spec"].value("restartPolicy", "Always") == "Always")
    std::printf("Session ended, resume using 'lab attach %s -c %s -i -t' command when the pod is running\n",
                s.pod.c_str(), s.container.c_str());
  if (!status->exit_code && !status->error.empty() && status->error != "the session ended before the container did")
    return report_error(status->error);
  return 0;
}

}  // namespace lab::cli
