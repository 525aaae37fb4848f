// `lab get`, as kubectl get: -o yaml/json/name/custom-columns/jsonpath print the objects the API
// returns; the human-readable output (default, -o wide) prints the Table the API server renders
// (lab/api/table.h), so `lab get` and `kubectl get` print the same rows, with kubectl's NAMESPACE
// (-A), LABELS (--show-labels) and --no-headers decorations; -w prints each change's one-row Table.
#include <boost/program_options.hpp>
#include <cstdio>

#include "lab/api/json_access.h"
#include "lab/api/resources.h"
#include "lab/api/table.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/get.h"
#include "lab/cli/options.h"
#include "lab/cli/printers.h"
#include "lab/cluster/lab_record.h"
#include "lab/server/http.h"

namespace lab::cli {
namespace {

using Json = nlohmann::json;

// A Table as the server answers it; a daemon that answered a plain List or object (one started
// by an older lab) is printed from the same printer, run here.
Json as_table(const api::ResourceType& type, const Json& answer) {
  if (api::string_at(answer, "kind") == "Table") return answer;
  api::TableOptions opts;
  if (answer.is_object() && answer.contains("items"))
    return api::make_table(type.kind, api::member(answer, "items"),
                           api::string_at(api::metadata_of(answer), "resourceVersion"), opts, Clock::now());
  return api::make_object_table(type.kind, answer, opts, Clock::now());
}

// `get -w`: a row for every change, as it happens, until interrupted.
int watch_rows(const std::string& lab, const api::ResourceType& type, const std::string& ns,
               const std::string& selector, const std::string& field_selector, const std::string& since,
               TablePrinter& printer) {
  std::string target = type.collection_path(ns) + "?watch=true&resourceVersion=" + server::url_encode(since);
  if (!selector.empty()) target += "&labelSelector=" + server::url_encode(selector);
  if (!field_selector.empty()) target += "&fieldSelector=" + server::url_encode(field_selector);
  std::string pending;
  int status = 0;
  auto on_data = [&](const std::string& data) {
    pending += data;
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      Json ev = Json::parse(pending.substr(0, nl), nullptr, false);
      pending.erase(0, nl + 1);
      if (!ev.is_object() || !ev.contains("object") || !ev["object"].is_object()) continue;
      if (api::string_at(ev, "type") == "ERROR") {
        const Json& st = ev["object"];
        std::fprintf(stderr, "Error from server (%s): %s\n", api::string_at(st, "reason").c_str(),
                     api::string_at(st, "message").c_str());
        status = 1;
        return false;
      }
      std::fputs(printer.print(as_table(type, ev["object"])).c_str(), stdout);
      std::fflush(stdout);
    }
    return true;
  };
  auto rc = server::http_stream(cluster::socket_path(lab), "GET", target, on_data, api::kTableAccept);
  if (!rc) return report_error(rc.error().what());
  if (*rc >= 400) {
    Json st = Json::parse(pending, nullptr, false);
    if (st.is_object())
      return report_error("Error from server (" + api::string_at(st, "reason") + "): " + api::string_at(st, "message"));
    return report_error("the server answered the watch with HTTP " + std::to_string(*rc));
  }
  return status;
}

}  // namespace

int cmd_get(const Args& args) {
  namespace po = boost::program_options;
  po::options_description opts;
  opts.add_options()("type", po::value<std::string>())("name", po::value<std::string>())(
      "output,o", po::value<std::string>()->default_value(""))("selector,l", po::value<std::string>())(
      "field-selector", po::value<std::string>()->default_value(""))("no-headers", po::bool_switch())(
      "show-labels", po::bool_switch())("namespace,n", po::value<std::string>()->default_value("default"))(
      "all-namespaces,A", po::bool_switch())("lab", po::value<std::string>())("watch,w", po::bool_switch());
  po::positional_options_description pos;
  pos.add("type", 1).add("name", 1);
  auto vm = parse(args, opts, pos);
  if (!vm.count("type"))
    return report_error(
        "You must specify the type of resource to get. Use \"lab get pods\", \"lab get nodes\" or \"lab get deployments\"");
  auto type = api::find_resource(arg(vm, "type"));
  if (!type) return report_error("the server doesn't have a resource type \"" + arg(vm, "type") + "\"");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());

  const bool all_namespaces = vm["all-namespaces"].as<bool>();
  std::string ns = all_namespaces ? "" : arg(vm, "namespace");
  std::string name = arg(vm, "name");
  const std::string selector = vm.count("selector") ? arg(vm, "selector") : "", fields = arg(vm, "field-selector");
  if (!name.empty() && (vm.count("selector") || !fields.empty()))
    return report_error("name cannot be provided when a selector is specified");
  const std::string out = arg(vm, "output");
  const bool headers = !vm["no-headers"].as<bool>();
  const bool human = out.empty() || out == "wide";
  if (!human && out != "yaml" && out != "json" && out != "name" && !out.starts_with("custom-columns=") &&
      !out.starts_with("jsonpath="))
    return report_error("unable to match a printer suitable for the output format \"" + out +
                        "\", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml");

  if (human) {
    // The server prints: kubectl's Accept for a Table, one row per object.
    auto answer = name.empty() ? list_objects_as(*lab, *type, ns, selector, fields, api::kTableAccept)
                               : api_call(*lab, "GET", type->object_path(ns, name), nullptr, api::kTableAccept);
    if (!answer) return report_error(answer.error().what());
    Json table = as_table(*type, *answer);
    TablePrintOptions popts{.wide = out == "wide",
                            .headers = headers,
                            // kubectl adds NAMESPACE for -A on namespaced kinds only.
                            .namespace_column = all_namespaces && type->namespaced,
                            .show_labels = vm["show-labels"].as<bool>()};
    TablePrinter printer(popts);
    const bool watching = vm["watch"].as<bool>();
    if (api::member(table, "rows").empty()) {
      std::fputs(no_resources_message(type->namespaced ? ns : "").c_str(), stderr);
      if (!watching) return 0;
    }
    std::fputs(printer.print(table).c_str(), stdout);
    if (!watching) return 0;
    std::fflush(stdout);
    // A single object is watched by name, as kubectl does.
    std::string watch_fields = name.empty() ? fields : "metadata.name=" + name;
    return watch_rows(*lab, *type, ns, selector, watch_fields,
                      api::string_at(api::metadata_of(table), "resourceVersion"), printer);
  }

  auto result = name.empty() ? list_objects(*lab, *type, ns, selector, fields) : api_get(*lab, type->object_path(ns, name));
  if (!result) return report_error(result.error().what());
  Json list = *result;
  if (!name.empty()) list = Json{{"kind", "List"}, {"apiVersion", "v1"}, {"items", Json::array({*result})}};
  // Lists served by the API carry no kind per item; kubectl fills it in for printing.
  for (auto& item : list["items"]) {
    item["kind"] = type->kind;
    item["apiVersion"] = type->api_version();
  }
  Json single_or_list = name.empty() ? Json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", list["items"]},
                                            {"metadata", {{"resourceVersion", ""}}}}
                                     : list["items"][0];
  if (out == "yaml") {
    std::fputs(to_yaml(single_or_list).c_str(), stdout);
    return 0;
  }
  if (out == "json") {
    std::fputs(to_json_text(single_or_list).c_str(), stdout);
    return 0;
  }
  if (out == "name") {
    std::fputs(names(list).c_str(), stdout);
    return 0;
  }
  if (out.starts_with("custom-columns=")) {
    auto text = custom_columns(list, out.substr(15), headers);
    if (!text) return report_error(text.error().what());
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  auto text = jsonpath(single_or_list, out.substr(9), /*allow_missing_keys=*/true);
  if (!text) return report_error(text.error().what());
  std::fputs(text->c_str(), stdout);
  return 0;
}

}  // namespace lab::cli
