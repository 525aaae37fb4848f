// kubectl run, step by step (shared/reference/kubectl.md §5.10): create the Pod; without -i
// that is all ("pod/NAME created"). With -i: wait until it runs, attach (a terminal with -t),
// then with --restart=Never/OnFailure take the container's exit code, with --rm delete the
// pod ("pod "NAME" deleted", not waiting for it to go, as kubectl).
#include "lab/cli/run.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "lab/cli/attach.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/options.h"
#include "lab/cli/run_options.h"
#include "lab/cluster/lab_record.h"
#include "lab/server/http.h"

namespace lab::cli {
namespace {

using Json = nlohmann::json;

// kubectl's --pod-running-timeout default.
constexpr std::chrono::seconds kPodRunningTimeout{60};

// The exit code the pod init wrote when the container ended for good (restartPolicy).
std::optional<int> final_exit_code(const std::string& state_dir, const std::string& container) {
  auto text = read_file(state_dir + "/" + container + ".terminated");
  if (!text) return std::nullopt;
  auto code = parse_int(trim_space(*text), 0, 255);
  if (!code) return std::nullopt;
  return static_cast<int>(*code);
}

// What kubectl does when it cannot attach, or the container already ended: print its log.
void print_log(const std::string& lab, const RunOptions& o) {
  std::string target = "/api/v1/namespaces/" + o.ns + "/pods/" + o.name + "/log?container=" + server::url_encode(o.name);
  (void)server::http_stream(cluster::socket_path(lab), "GET", target, [](const std::string& data) {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return true;
  });
  std::fflush(stdout);
}

Result<Json> wait_running(const std::string& lab, const RunOptions& o) {
  auto deadline = std::chrono::steady_clock::now() + kPodRunningTimeout;
  std::string path = "/api/v1/namespaces/" + o.ns + "/pods/" + o.name;
  for (;;) {
    auto pod = api_get(lab, path);
    if (!pod) return std::unexpected(pod.error());
    std::string phase = (*pod)["status"].value("phase", "Pending");
    if (phase == "Running" || phase == "Succeeded" || phase == "Failed") return *pod;
    if (std::chrono::steady_clock::now() > deadline) return fail("timed out waiting for the condition");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The attached part of `run -i`; returns the exit code to leave with (0 with restart Always).
int attached(const std::string& lab, const RunOptions& o, std::optional<int>& code) {
  auto pod = wait_running(lab, o);
  if (!pod) return report_error(pod.error().what());
  const std::string state_dir = cluster::pod_dir(lab, o.ns, o.name);
  code = final_exit_code(state_dir, o.name);
  if (code) {
    // Ended before we looked (a quick nslookup): its log is its output, as kubectl shows it.
    print_log(lab, o);
    return 0;
  }
  bool raw = false;
  PodSession s{lab, o.ns, o.name, o.name, o.stdin, o.tty};
  auto status = attach_to_pod(s, *pod, raw);
  if (!status) {
    std::fprintf(stderr, "warning: couldn't attach to pod/%s, falling back to streaming logs: %s\n", o.name.c_str(),
                 status.error().what().c_str());
    print_log(lab, o);
  } else if (status->exit_code) {
    code = status->exit_code;
  }
  if (o.restart == "Always") {
    if (raw) std::printf("Session ended, resume using 'lab attach %s -c %s -i -t' command when the pod is running\n",
                         o.name.c_str(), o.name.c_str());
    code.reset();
    return 0;
  }
  // OnFailure restarts a failed container: the code that counts is the one it ends with.
  auto deadline = std::chrono::steady_clock::now() + kPodRunningTimeout;
  while (o.restart == "OnFailure" && code != 0) {
    if (auto final = final_exit_code(state_dir, o.name)) code = final;
    else if (std::chrono::steady_clock::now() > deadline) return report_error("timed out waiting for the condition");
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  auto o = parse_run_args(args);
  if (!o) return report_error(o.error().what());
  if (o->request_timeout) {
    auto t = parse_request_timeout(*o->request_timeout);
    if (!t) return report_error(t.error().what());
    server::set_client_timeout(*t, /*whole_stream=*/true);
  } else {
    server::set_client_timeout(kDefaultRequestTimeout, /*whole_stream=*/false);
  }
  auto lab = pick_lab(o->lab);
  if (!lab) return report_error(lab.error().what());
  auto created = api_call(*lab, "POST", "/api/v1/namespaces/" + o->ns + "/pods", run_pod_object(*o));
  if (!created) return report_error(created.error().what());
  if (!o->stdin) {
    std::printf("pod/%s created\n", o->name.c_str());
    return 0;
  }
  std::optional<int> code = std::nullopt;
  int rc = attached(*lab, *o, code);
  if (o->remove) {
    auto r = api_call(*lab, "DELETE", "/api/v1/namespaces/" + o->ns + "/pods/" + o->name, nullptr);
    if (r) std::printf("pod \"%s\" deleted\n", o->name.c_str());
    else if (!r.error().what().starts_with("Error from server (NotFound)")) rc = report_error(r.error().what());
    std::fflush(stdout);
  }
  if (rc != 0) return rc;
  if (code.has_value() && *code != 0) {
    std::fprintf(stderr, "pod %s/%s terminated (Error)\n", o->ns.c_str(), o->name.c_str());
    return *code;
  }
  return 0;
}

}  // namespace lab::cli
