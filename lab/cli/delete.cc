// `lab delete`: by name, file or selector, with kubectl's grace period rules (--now, --force,
// --grace-period) and its waiting for the objects to be gone.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <thread>
#include <tuple>

#include "lab/api/json_access.h"
#include "lab/api/resources.h"
#include "lab/api/scenario.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/options.h"
#include "lab/cli/printers.h"

namespace lab::cli {
namespace {

using Json = nlohmann::json;

Result<std::vector<Json>> objects_of_file(const std::string& file) {
  auto scenario = api::load_scenario(file, api::ScenarioUse::Objects);
  if (!scenario) return std::unexpected(scenario.error());
  return scenario->objects;
}

// kubectl trims -l and --field-selector; a blank one is no selector (never "everything").
bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

Result<int> grace_period(int grace, bool now, bool force) {
  // kubectl delete's Complete and Validate: --now is --grace-period=1; a bare --grace-period=0 is
  // made 1 (it takes --force to skip the kubelet's confirmation); --force alone means 0.
  if (now && grace >= 0) return fail("--now and --grace-period cannot be specified together");
  if (now) grace = 1;
  if (grace == 0 && !force) grace = 1;
  if (force && grace < 0) grace = 0;
  if (force && grace > 0) return fail("--force and --grace-period greater than 0 cannot be specified together");
  return grace;
}

int cmd_delete(const Args& args) {
  po::options_description opts;
  opts.add_options()("type", po::value<std::string>())("names", po::value<std::vector<std::string>>())(
      "filename,f", po::value<std::string>())("selector,l", po::value<std::string>())(
      "field-selector", po::value<std::string>()->default_value(""))(
      "namespace,n", po::value<std::string>()->default_value("default"))(
      "grace-period", po::value<int>()->default_value(-1))("force", po::bool_switch())(
      "now", po::bool_switch())("wait", po::value<std::string>()->default_value("true"))(
      "lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("type", 1).add("names", -1);
  auto vm = parse(args, opts, pos);
  auto grace = grace_period(vm["grace-period"].as<int>(), vm["now"].as<bool>(), vm["force"].as<bool>());
  if (!grace) return report_error(grace.error().what());
  if (*grace == 0)
    std::fputs("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
               "terminated. The resource may continue to run on the cluster indefinitely.\n", stderr);
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string ns = arg(vm, "namespace");

  // (type, namespace, name) to delete
  std::vector<std::tuple<api::ResourceType, std::string, std::string>> targets;
  if (vm.count("filename")) {
    auto objects = objects_of_file(arg(vm, "filename"));
    if (!objects) return report_error(objects.error().what());
    for (const auto& o : *objects)
      if (auto t = api::find_resource_by_kind(api::string_at(o, "kind"))) {
        const auto& meta = api::metadata_of(o);
        std::string ns_of = api::string_at(meta, "namespace");
        targets.emplace_back(*t, ns_of.empty() ? "default" : ns_of, api::string_at(meta, "name"));
      }
  } else {
    if (!vm.count("type"))
      return report_error("You must provide one or more resources by argument or filename.");
    std::string types = arg(vm, "type");
    std::vector<std::string> names = vm.count("names") ? vm["names"].as<std::vector<std::string>>() : std::vector<std::string>{};
    // "pod/x" form
    if (types.find('/') != std::string::npos) {
      names.insert(names.begin(), types.substr(types.find('/') + 1));
      types = types.substr(0, types.find('/'));
    }
    // Selectors go to the server, which refuses one that does not parse: nothing is deleted.
    const std::string label_selector = arg(vm, "selector"), field_selector = arg(vm, "field-selector");
    const bool selecting = !blank(label_selector) || !blank(field_selector);
    if (selecting && !names.empty()) return report_error("name cannot be provided when a selector is specified");
    for (size_t start = 0; start <= types.size();) {
      size_t comma = types.find(',', start);
      std::string t = types.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? types.size() + 1 : comma + 1;
      auto type = api::find_resource(t);
      if (!type) return report_error("the server doesn't have a resource type \"" + t + "\"");
      if (selecting) {
        auto list = list_objects(*lab, *type, ns, label_selector, field_selector);
        if (!list) return report_error(list.error().what());
        for (const auto& item : api::member(*list, "items"))
          targets.emplace_back(*type, ns, api::string_at(api::metadata_of(item), "name"));
      } else {
        if (names.empty())
          return report_error("resource(s) were provided, but no name was specified");
        for (const auto& n : names) targets.emplace_back(*type, ns, n);
      }
    }
    if (targets.empty() && selecting) {
      std::fputs(no_resources_message("").c_str(), stderr);
      return 0;
    }
  }
  int rc = 0;
  std::vector<std::pair<std::string, std::string>> waiting;  // path, uid
  for (const auto& [type, tns, name] : targets) {
    std::string path = type.object_path(tns, name);
    // One request, as kubectl's: the answer is the object (marked for deletion, or as it was),
    // or a Status whose details name its uid; a missing object is the server's NotFound.
    auto r = api_call(*lab, "DELETE", path + (*grace >= 0 ? "?gracePeriodSeconds=" + std::to_string(*grace) : ""), nullptr);
    if (!r) {
      rc = report_error(r.error().what());
      continue;
    }
    // kubectl's PrintObj: "force deleted" when the grace period is 0.
    std::printf("%s \"%s\" %s\n", type.qualified_name().c_str(), name.c_str(), *grace == 0 ? "force deleted" : "deleted");
    std::fflush(stdout);
    std::string uid = api::string_at(*r, "kind") == "Status" ? api::string_at(api::member(*r, "details"), "uid")
                                                              : api::string_at(api::metadata_of(*r), "uid");
    if (uid.empty()) {
      // An answer without a uid: what is there now is what is waited for (gone already: nothing).
      auto obj = api_get(*lab, path);
      if (!obj) continue;
      uid = api::string_at(api::metadata_of(*obj), "uid");
    }
    waiting.emplace_back(path, uid);
  }
  // kubectl waits (--wait=true) until the objects are really gone: a pod after its containers.
  if (arg(vm, "wait") != "false") {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (const auto& [path, uid] : waiting) {
      for (;;) {
        auto obj = api_get(*lab, path);
        if (!obj || api::string_at(api::metadata_of(*obj), "uid") != uid) break;
        if (std::chrono::steady_clock::now() > deadline) return report_error("timed out waiting for the deletion of " + path);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  return rc;
}

}  // namespace lab::cli
