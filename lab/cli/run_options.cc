// kubectl run's flag rules (staging/src/k8s.io/kubectl/pkg/cmd/run/run.go): NAME first, the
// words after `--` are the container's args (its command with --command), -t needs -i, --rm
// needs an attached session, --restart is one of the three policies.
#include "lab/cli/run_options.h"

#include <algorithm>
#include <boost/program_options.hpp>

#include "lab/base/parse.h"

namespace lab::cli {

namespace po = boost::program_options;

namespace {

std::unexpected<Error> usage(const std::string& message) {
  return fail(message + "\nSee 'lab help' for usage.");
}

// "k=v,k2=v2", as kubectl's ParseLabels: every pair has one '=' and a non-empty key.
Result<std::vector<std::pair<std::string, std::string>>> parse_labels(const std::string& spec) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    std::string pair = spec.substr(start, comma - start);
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || pair.find('=', eq + 1) != std::string::npos)
      return fail("invalid label spec: " + spec);
    out.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<RunOptions> parse_run_args(const std::vector<std::string>& words) {
  auto dash = std::find(words.begin(), words.end(), "--");
  std::vector<std::string> flags(words.begin(), dash);
  RunOptions o;
  if (dash != words.end()) o.args.assign(dash + 1, words.end());

  po::options_description desc;
  desc.add_options()("name", po::value<std::string>())("image", po::value<std::string>())(
      "stdin,i", po::bool_switch())("tty,t", po::bool_switch())("rm", po::bool_switch())(
      "restart", po::value<std::string>()->default_value("Always"))(
      "env", po::value<std::vector<std::string>>()->composing())("labels,l", po::value<std::string>())(
      "port", po::value<std::string>())("command", po::bool_switch())(
      "namespace,n", po::value<std::string>()->default_value("default"))("lab", po::value<std::string>())(
      "request-timeout", po::value<std::string>())("rest", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("name", 1).add("rest", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(flags).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage(e.what());
  }
  // kubectl takes words after NAME as args too (`kubectl run x --image=busybox sleep 10`).
  if (vm.count("rest")) {
    auto rest = vm["rest"].as<std::vector<std::string>>();
    o.args.insert(o.args.begin(), rest.begin(), rest.end());
  }
  if (!vm.count("name") || vm["name"].as<std::string>().empty()) return usage("NAME is required for run");
  o.name = vm["name"].as<std::string>();
  if (!vm.count("image") || vm["image"].as<std::string>().empty())
    return fail("required flag(s) \"image\" not set");
  o.image = vm["image"].as<std::string>();
  o.stdin = vm["stdin"].as<bool>();
  o.tty = vm["tty"].as<bool>();
  o.remove = vm["rm"].as<bool>();
  o.command = vm["command"].as<bool>();
  o.ns = vm["namespace"].as<std::string>();
  if (vm.count("lab")) {
    o.lab = vm["lab"].as<std::string>();
    if (o.lab.empty()) return usage("--lab must name a lab, it is empty (lab ls lists the running labs)");
  }
  if (vm.count("request-timeout")) o.request_timeout = vm["request-timeout"].as<std::string>();
  o.restart = vm["restart"].as<std::string>();
  if (o.restart != "Always" && o.restart != "OnFailure" && o.restart != "Never")
    return usage("invalid restart policy: " + o.restart);
  if (o.tty && !o.stdin) return usage("-i/--stdin is required for containers with -t/--tty=true");
  if (o.remove && !o.stdin) return usage("--rm should only be used for attached containers");
  if (o.command && o.args.empty()) return usage("--command requires a command after --");
  if (vm.count("env")) {
    for (const auto& e : vm["env"].as<std::vector<std::string>>()) {
      size_t eq = e.find('=');
      if (eq == std::string::npos || eq == 0) return fail("invalid env: " + e);
      o.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
  }
  if (vm.count("labels")) {
    auto labels = parse_labels(vm["labels"].as<std::string>());
    if (!labels) return std::unexpected(labels.error());
    o.labels = std::move(*labels);
  } else {
    o.labels = {{"run", o.name}};
  }
  if (vm.count("port")) {
    auto port = parse_int(vm["port"].as<std::string>(), 1, 65535);
    if (!port) return fail("invalid argument \"" + vm["port"].as<std::string>() + "\" for \"--port\" flag: " +
                           port.error().what());
    o.port = static_cast<int>(*port);
  }
  return o;
}

nlohmann::json run_pod_object(const RunOptions& o) {
  using Json = nlohmann::json;
  Json container = {{"name", o.name}, {"image", o.image}, {"resources", Json::object()}};
  if (!o.args.empty()) container[o.command ? "command" : "args"] = o.args;
  if (!o.env.empty()) {
    Json env = Json::array();
    for (const auto& [k, v] : o.env) env.push_back({{"name", k}, {"value", v}});
    container["env"] = env;
  }
  if (o.port) container["ports"] = Json::array({{{"containerPort", *o.port}}});
  if (o.stdin) {
    container["stdin"] = true;
    container["stdinOnce"] = true;  // kubectl's default: attached, without --leave-stdin-open
  }
  if (o.tty) container["tty"] = true;
  Json labels = Json::object();
  for (const auto& [k, v] : o.labels) labels[k] = v;
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", o.name}, {"namespace", o.ns}, {"labels", labels}}},
          {"spec",
           {{"containers", Json::array({container})}, {"restartPolicy", o.restart}, {"dnsPolicy", "ClusterFirst"}}}};
}

}  // namespace lab::cli
