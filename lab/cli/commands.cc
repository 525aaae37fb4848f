// The verbs: up, down, ls, get, exec, ssh. Each parses its own flags (Boost.Program_options),
// does its work through the library, and prints for a person the way kubectl would.
#include "lab/cli/commands.h"
#include "lab/cli/options.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <thread>

#include "lab/api/resources.h"
#include "lab/api/scenario.h"
#include "lab/base/parse.h"
#include "lab/cli/client.h"
#include "lab/cli/kubeconfig.h"
#include "lab/cli/printers.h"
#include "lab/cluster/lab_record.h"
#include "lab/cluster/planner.h"
#include "lab/cluster/teardown.h"
#include "lab/server/http.h"
#include "netns/route.h"
#include "runtime/spawn.h"

namespace lab::cli {
namespace {

using Json = nlohmann::json;

// Host routes that a new lab's node network must not overlap: everything in the main table but
// the default route (which "overlaps" every address and is where lab traffic must never go).
Result<std::vector<cluster::HostRoute>> host_routes() {
  auto sk = net::NlSocket::open_here();
  if (!sk) return std::unexpected(sk.error());
  auto routes = net::list_routes(*sk);
  if (!routes) return std::unexpected(routes.error());
  std::vector<cluster::HostRoute> out;
  for (const auto& r : *routes)
    if (r.dst.prefix > 0) out.push_back({r.dst, r.dev});
  return out;
}

void print_summary(const std::string& lab, double seconds) {
  auto rec = cluster::read_record(lab);
  if (!rec) return;
  std::printf("lab/%s created in %.2fs: node network %s (this host is %s), pods %s, services %s\n",
              lab.c_str(), seconds, rec->plan.node_cidr.str().c_str(),
              rec->plan.host_ip.str().c_str(), rec->plan.pod_cidr.str().c_str(),
              rec->plan.service_cidr.str().c_str());
  auto now = Clock::now();
  if (auto nodes = api_get(lab, "/api/v1/nodes")) std::printf("\n%s", nodes_table(*nodes, true, true, now).c_str());
  if (auto deps = api_get(lab, "/apis/apps/v1/deployments"); deps && !(*deps)["items"].empty())
    std::printf("\n%s", deployments_table(*deps, false, true, now).c_str());
  if (auto pods = api_get(lab, "/api/v1/pods"); pods && !(*pods)["items"].empty())
    std::printf("\n%s", pods_table(*pods, true, true, now).c_str());
}

// The cleanup of a failed `lab up`, as a line to add to its error ("" when it went well).
std::string left_behind(const Result<void>& cleanup) {
  return cleanup ? "" : "\nand its cleanup failed: " + cleanup.error().what();
}

// Claims the lab's name and address ranges (the caller holds the registry lock): plans against
// the host's routes and the other labs, then writes the record and the objects for the daemon.
Result<void> register_lab(const std::string& lab, const std::string& file, const api::Scenario& scenario) {
  if (cluster::read_record(lab)) {
    if (cluster::daemon_pid(lab) != 0)
      return fail("lab \"" + lab + "\" already exists (use --name to start another)");
    return fail("lab \"" + lab + "\" lost its daemon while starting: run `lab down --lab " + lab + "` first");
  }
  cluster::PlanInput in;
  in.lab = lab;
  in.scenario_file = file;
  in.spec = scenario.lab;
  auto routes = host_routes();
  if (!routes) return std::unexpected(routes.error());
  in.host_routes = *routes;
  for (const auto& other : cluster::list_labs())
    if (auto r = cluster::read_record(other)) in.other_labs.push_back(*r);
  auto rec = cluster::plan_lab(in);
  if (!rec) return std::unexpected(rec.error());
  rec->scenario = std::filesystem::absolute(file).string();
  LAB_TRY(cluster::write_record(*rec));
  Json objects = scenario.objects;
  if (auto w = write_file(cluster::lab_dir(lab) + "/objects.json", objects.dump(), 0600); !w) {
    // What the cleanup could not undo goes with the error (the caller reports it once).
    auto down = cluster::teardown_lab(*rec);
    if (down) return w;
    return fail(w.error().what() + left_behind(down));
  }
  return {};
}

// kind's closing lines: the context is merged and current. A kubeconfig that cannot take it is
// no reason to give the running lab up: said, and `lab kubeconfig` still prints it.
void merge_kubeconfig_and_say(const std::string& lab) {
  auto context = install_lab_kubeconfig(lab);
  if (!context) {
    std::fprintf(stderr, "warning: the kubeconfig was not updated: %s\n", context.error().what().c_str());
    return;
  }
  std::printf("\nSet kubectl context to \"%s\"\nYou can now use your cluster with:\n\nkubectl cluster-info --context %s\n",
              context->c_str(), context->c_str());
}

std::string default_scenario() {
#ifdef LAB_DEFAULT_SCENARIO
  if (std::filesystem::exists(LAB_DEFAULT_SCENARIO)) return LAB_DEFAULT_SCENARIO;
#endif
  return "scenarios/tutorial.yaml";
}

}  // namespace

int report_error(const std::string& message) {
  if (message.starts_with("Error from server") || message.starts_with("The ") ||
      message.starts_with("Unable to connect to the server"))
    std::fprintf(stderr, "%s\n", message.c_str());
  else
    std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

std::string lab_name_rules() {
  // Kubernetes' wording for a DNS-1123 label, with lab's length: the name goes into namespace
  // and link names.
  return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
         "and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', "
         "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), and be at most " +
         std::to_string(kMaxLabName) + " characters";
}

int cmd_up(const Args& args, const std::string& self_exe) {
  po::options_description opts;
  opts.add_options()("file", po::value<std::string>())("name", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("file", 1);
  auto vm = parse(args, opts, pos);
  std::string file = vm.count("file") ? arg(vm, "file") : default_scenario();
  auto started = std::chrono::steady_clock::now();

  auto scenario = api::load_scenario(file);
  if (!scenario) return report_error(scenario.error().what());
  // `--name ''` is a slip (an unset shell variable), not a request for the default name.
  if (vm.count("name") && arg(vm, "name").empty())
    return report_error("--name must name the lab, it is empty");
  std::string lab = vm.count("name") ? arg(vm, "name") : scenario->lab.name;
  if (lab.empty()) lab = "lab";  // neither --name nor metadata.name: the default
  if (!api::is_dns1123_label(lab) || lab.size() > kMaxLabName)
    return report_error("invalid lab name \"" + lab + "\": " + lab_name_rules());
  if (::geteuid() != 0) return report_error("lab needs root: it creates namespaces and links");
  // (The objects' nodeNames were checked against the scenario's nodes when it was loaded.)

  if (cluster::read_record(lab) && cluster::daemon_pid(lab) == 0) {
    // `lab up` of a lab whose daemon died brings the daemon back; it adopts the running pods.
    if (auto r = ensure_daemon(lab); !r) return report_error(r.error().what());
    std::printf("lab/%s: daemon restarted\n", lab.c_str());
    print_summary(lab, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    merge_kubeconfig_and_say(lab);  // the daemon may have had to take another port
    return 0;
  }
  Result<void> reg;
  {
    // Held for the registration only, and not at all by the daemon (close-on-exec, and it is
    // released before the daemon starts). Busy: another lab command is running, which tidies up
    // after itself; nothing here is ours to tidy.
    auto lock = cluster::RegistryLock::acquire();
    if (!lock) return report_error(lock.error().what());
    reg = register_lab(lab, file, *scenario);
  }
  if (!reg) {
    // A refused lab leaves not even /run/lab behind.
    return report_error(reg.error().what() + left_behind(cluster::tidy_run_dir()));
  }
  auto up = start_daemon(lab, self_exe);
  if (!up) {
    // The daemon undoes its own work; this catches a daemon that died before it could.
    std::string left;
    if (auto rec = cluster::read_record(lab)) left = left_behind(cluster::teardown_lab(*rec));
    return report_error("lab up " + file + ": " + up.error().what() + left + left_behind(cluster::tidy_run_dir()));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  print_summary(lab, secs);
  merge_kubeconfig_and_say(lab);
  return 0;
}

int cmd_down(const Args& args) {
  po::options_description opts;
  opts.add_options()("lab", po::value<std::string>())("all", po::bool_switch());
  po::positional_options_description pos;
  pos.add("lab", 1);
  auto vm = parse(args, opts, pos);
  std::vector<std::string> labs;
  if (vm["all"].as<bool>()) {
    auto all = cluster::find_labs();
    if (!all) return report_error(all.error().what());
    labs = *all;
  } else {
    auto lab = pick_lab(arg(vm, "lab"));
    if (!lab) return report_error(lab.error().what());
    labs = {*lab};
  }
  int rc = 0;
  for (const auto& lab : labs) {
    auto rec = cluster::read_record(lab);
    if (!rec) {
      rc = report_error(rec.error().what());
      continue;
    }
    // Before the daemon goes: its run dir records where `lab up` merged the context.
    if (auto k = uninstall_lab_kubeconfig(lab); !k)
      std::fprintf(stderr, "warning: context lab-%s is still in the kubeconfig: %s\n", lab.c_str(),
                   k.error().what().c_str());
    if (pid_t pid = cluster::daemon_pid(lab)) {
      // The daemon tears down itself on SIGTERM (a thousand pods take a few seconds on a busy
      // machine); give it that, then make sure.
      // A pidfd turns readable when the daemon exits, even while it waits as a zombie for
      // the host's init (which may reap it seconds later).
      UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      ::kill(pid, SIGTERM);
      pollfd pfd{pidfd.get(), POLLIN, 0};
      if (!pidfd || ::poll(&pfd, 1, 20000) != 1) ::kill(pid, SIGKILL);
    }
    // Whatever the daemon left (or all of it, when the daemon was dead).
    if (auto r = cluster::teardown_lab(*rec); !r) {
      rc = report_error("lab down " + lab + ": " + r.error().what());
      continue;
    }
    std::printf("lab/%s deleted\n", lab.c_str());
  }
  if (auto tidy = cluster::tidy_run_dir(); !tidy) rc = report_error("lab down: " + tidy.error().what());
  return rc;
}

int cmd_ls(const Args& args) {
  po::options_description opts;
  (void)parse(args, opts, po::positional_options_description());
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "NODES", "NODE-NETWORK", "AGE", "SCENARIO"}};
  auto now = Clock::now();
  auto labs = cluster::find_labs();
  if (!labs) return report_error(labs.error().what());
  for (const auto& lab : *labs) {
    auto rec = cluster::read_record(lab);
    if (!rec) continue;
    rows.push_back({lab, cluster::daemon_pid(lab) ? "Running" : "DaemonDown",
                    std::to_string(rec->plan.nodes.size()), rec->plan.node_cidr.str(),
                    age_of(rec->created, now), rec->scenario});
  }
  if (rows.size() == 1) {
    std::fprintf(stderr, "No labs are running.\n");
    return 0;
  }
  std::fputs(format_table(rows).c_str(), stdout);
  return 0;
}

int cmd_exec(const Args& all) {
  // Everything after "--" is the command, untouched by option parsing.
  auto dash = std::find(all.begin(), all.end(), "--");
  Args args(all.begin(), dash);
  Args command(dash == all.end() ? dash : dash + 1, all.end());
  po::options_description opts;
  opts.add_options()("pod", po::value<std::string>())("container,c", po::value<std::string>())(
      "namespace,n", po::value<std::string>()->default_value("default"))(
      "stdin,i", po::bool_switch())("tty,t", po::bool_switch())("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("pod", 1);
  auto vm = parse(args, opts, pos);
  if (!vm.count("pod") || command.empty())
    return report_error("expected 'exec POD -- COMMAND [args...]'");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string pod_name = arg(vm, "pod");
  if (pod_name.starts_with("pod/")) pod_name = pod_name.substr(4);
  std::string ns = arg(vm, "namespace");
  auto pod = api_get(*lab, "/api/v1/namespaces/" + ns + "/pods/" + pod_name);
  if (!pod) return report_error(pod.error().what());
  if ((*pod)["status"].value("phase", "") != "Running")
    return report_error("cannot exec into a container in a completed pod; current phase is " +
                        (*pod)["status"].value("phase", std::string("Unknown")));

  // By name, as kubectl does: the first container unless -c names one. A container's place in
  // the start order changes when it restarts; its <name>.hostpid file follows it.
  const auto& containers = (*pod)["spec"]["containers"];
  std::string container;
  if (vm.count("container")) {
    container = arg(vm, "container");
    if (std::none_of(containers.begin(), containers.end(),
                     [&](const Json& c) { return c.value("name", "") == container; }))
      return report_error("container " + container + " is not valid for pod " + pod_name);
  } else {
    if (containers.empty()) return report_error("pod " + pod_name + " has no containers");
    container = containers[0].value("name", "");
    if (containers.size() > 1) {
      std::string names;
      for (const auto& c : containers) names += (names.empty() ? "" : ", ") + c.value("name", "");
      std::fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", container.c_str(), names.c_str());
    }
  }
  std::string pod_dir = cluster::pod_dir(*lab, ns, pod_name);
  auto init_pid = runtime::read_init_pid(pod_dir);
  if (!init_pid) return report_error("pod " + pod_name + " has no running init process");
  auto pid = runtime::container_pid(*init_pid, pod_dir, container);
  if (!pid) return report_error(pid.error().context("pod " + pod_name).what());
  // -t: a terminal in the container, when ours is one (kubectl's check and warning).
  runtime::ExecOptions exec_opts;
  exec_opts.forward_stdin = vm["stdin"].as<bool>();
  if (vm["tty"].as<bool>() && ::isatty(0) != 1)
    std::fprintf(stderr, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
  else if (vm["tty"].as<bool>())
    exec_opts.tty = true, exec_opts.size = runtime::window_size(0);
  auto rc = runtime::exec_in_container(*pid, command, exec_opts);
  if (!rc) return report_error(rc.error().what());
  return *rc;
}

int cmd_ssh(const Args& all) {
  auto dash = std::find(all.begin(), all.end(), "--");
  Args args(all.begin(), dash);
  Args command(dash == all.end() ? dash : dash + 1, all.end());
  po::options_description opts;
  opts.add_options()("node", po::value<std::string>())("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("node", 1);
  auto vm = parse(args, opts, pos);
  if (!vm.count("node")) return report_error("expected 'ssh NODE [-- COMMAND [args...]]'");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  auto rec = cluster::read_record(*lab);
  if (!rec) return report_error(rec.error().what());
  std::string node = arg(vm, "node");
  if (node.starts_with("node/")) node = node.substr(5);
  const net::NodePlan* plan = nullptr;
  for (const auto& n : rec->plan.nodes)
    if (n.name == node) plan = &n;
  if (!plan) return report_error("Error from server (NotFound): nodes \"" + node + "\" not found");
  auto ns = net::Netns::open_named(plan->netns_name);
  if (!ns) return report_error(ns.error().what());
  // The node's network, and its own hostname in a private UTS namespace, as if ssh'd in; the
  // host's files and binaries (curl, ip, tcpdump) stay at hand.
  if (::setns(ns->fd(), CLONE_NEWNET) != 0) return report_error(std::string("enter node network: ") + std::strerror(errno));
  if (::unshare(CLONE_NEWUTS) == 0) (void)::sethostname(node.c_str(), node.size());
  if (command.empty()) {
    const char* shell = std::getenv("SHELL");
    std::string sh = shell && *shell ? shell : (std::filesystem::exists("/bin/bash") ? "/bin/bash" : "/bin/sh");
    command = {sh, "-i"};
  }
  std::vector<char*> argv;
  for (auto& a : command) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  report_error("exec " + command[0] + ": " + std::strerror(errno));
  return 127;
}

}  // namespace lab::cli
