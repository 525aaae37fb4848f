// The verbs that change objects or follow them: apply, create, scale, describe, logs,
// rollout status. Messages and exit codes follow kubectl's.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <thread>

#include "lab/api/objects.h"
#include "lab/api/resources.h"
#include "lab/api/scenario.h"
#include "lab/base/parse.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/options.h"
#include "lab/cli/describe.h"
#include "lab/cli/get.h"
#include "lab/cli/printers.h"
#include "lab/cluster/lab_record.h"
#include "lab/server/http.h"

namespace lab::cli {
namespace {

using Json = nlohmann::json;

// "deployment.apps/my-nginx"
std::string ref(const api::ResourceType& t, const std::string& name) { return t.qualified_name() + "/" + name; }

// "svc/x" or "svc x" -> type and name.
Result<std::pair<api::ResourceType, std::string>> type_and_name(std::string t, std::string name) {
  if (t.find('/') != std::string::npos) {
    name = t.substr(t.find('/') + 1);
    t = t.substr(0, t.find('/'));
  }
  auto type = api::find_resource(t);
  if (!type) return fail("the server doesn't have a resource type \"" + t + "\"");
  if (name.empty()) return fail("resource(s) were provided, but no name was specified");
  return std::make_pair(*type, name);
}

Result<std::vector<Json>> objects_of_file(const std::string& file) {
  // The Lab document describes the cluster, which already exists: its ranges are the server's to check.
  auto scenario = api::load_scenario(file, api::ScenarioUse::Objects);
  if (!scenario) return std::unexpected(scenario.error());
  return scenario->objects;
}

// What apply compares besides labels and annotations: every top-level field but the type, metadata
// and status (spec for most kinds; type, data, binaryData and immutable for Secrets and ConfigMaps).
Json content_of(const Json& obj) {
  Json out = Json::object();
  if (obj.is_object())
    for (const auto& [k, v] : obj.items())
      if (k != "apiVersion" && k != "kind" && k != "metadata" && k != "status") out[k] = v;
  return out;
}

// Go's %q, near enough for selectors in messages.
std::string quoted(const std::string& s) { return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace); }

// kubectl trims -l and --field-selector; a blank one is no selector (never "everything").
std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

Result<Json> list_objects(const std::string& lab, const api::ResourceType& type, const std::string& ns,
                          const std::string& label_selector, const std::string& field_selector) {
  return list_objects_as(lab, type, ns, label_selector, field_selector, "application/json");
}

Result<Json> list_objects_as(const std::string& lab, const api::ResourceType& type, const std::string& ns,
                             const std::string& label_selector, const std::string& field_selector,
                             const std::string& accept) {
  const std::string labels = trimmed(label_selector), fields = trimmed(field_selector);
  std::string query = labels.empty() ? "" : "&labelSelector=" + server::url_encode(labels);
  if (!fields.empty()) query += "&fieldSelector=" + server::url_encode(fields);
  auto list = api_call(lab, "GET", type.collection_path(ns) + (query.empty() ? "" : "?" + query.substr(1)), nullptr,
                       accept);
  // kubectl's EnhanceListError: a 400 or 404 names what was listed and with which selectors.
  const std::string message = list ? "" : list.error().message;
  for (std::string_view reason : {"Error from server (BadRequest): ", "Error from server (NotFound): "}) {
    if (!message.starts_with(reason)) continue;
    const std::string subject = quoted(type.group + "/" + type.version + ", Resource=" + type.plural);
    return fail(std::string(reason) + (query.empty() ? "Unable to list " + subject
                                                     : "Unable to find " + subject + " that match label selector " +
                                                           quoted(labels) + ", field selector " + quoted(fields)) +
                ": " + message.substr(reason.size()));
  }
  return list;
}

int cmd_apply(const Args& args, bool create_only) {
  po::options_description opts;
  opts.add_options()("filename,f", po::value<std::string>())("lab", po::value<std::string>());
  auto vm = parse(args, opts, {});
  if (!vm.count("filename")) return report_error("must specify one of -f and -k");
  std::string file = arg(vm, "filename");
  // The whole file is validated before anything is sent: one bad document changes nothing.
  auto objects = objects_of_file(file);
  if (!objects) return report_error(objects.error().what());
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  int rc = 0;
  for (const auto& obj : *objects) {
    auto type = api::find_resource_by_kind(obj.value("kind", ""));
    if (!type) continue;
    std::string ns = obj["metadata"].value("namespace", "default");
    std::string name = obj["metadata"].value("name", "");
    auto existing = api_get(*lab, type->object_path(ns, name));
    if (!existing || create_only) {
      if (existing) {
        rc = report_error("Error from server (AlreadyExists): error when creating \"" + file + "\": " +
                          type->plural + (type->group.empty() ? "" : "." + type->group) + " \"" + name +
                          "\" already exists");
        continue;
      }
      auto created = api_call(*lab, "POST", type->collection_path(ns), obj);
      if (!created) {
        rc = report_error(created.error().what());
        continue;
      }
      std::printf("%s created\n", ref(*type, name).c_str());
      continue;
    }
    if (content_of(*existing) == content_of(obj) &&
        (*existing)["metadata"].value("labels", Json()) == obj["metadata"].value("labels", Json()) &&
        (*existing)["metadata"].value("annotations", Json()) == obj["metadata"].value("annotations", Json())) {
      std::printf("%s unchanged\n", ref(*type, name).c_str());
      continue;
    }
    if (type->kind == "Pod") {
      rc = report_error("The Pod \"" + name + "\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
      continue;
    }
    auto updated = api_call(*lab, "PUT", type->object_path(ns, name), obj);
    if (!updated) {
      rc = report_error(updated.error().what());
      continue;
    }
    std::printf("%s configured\n", ref(*type, name).c_str());
  }
  return rc;
}

int cmd_scale(const Args& args) {
  po::options_description opts;
  opts.add_options()("type", po::value<std::string>())("name", po::value<std::string>())(
      "replicas", po::value<int>())("namespace,n", po::value<std::string>()->default_value("default"))(
      "lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("type", 1).add("name", 1);
  auto vm = parse(args, opts, pos);
  if (!vm.count("replicas")) return report_error("required flag(s) \"replicas\" not set");
  if (vm["replicas"].as<int>() < 0) return report_error("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
  auto tn = type_and_name(arg(vm, "type"), arg(vm, "name"));
  if (!tn) return report_error(tn.error().what());
  const auto& [t, name] = *tn;
  const api::ResourceType* type = &t;
  if (type->kind != "Deployment" && type->kind != "ReplicaSet")
    return report_error("cannot scale resource type \"" + t.plural + "\" (deployments and replicasets can be scaled)");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  auto r = api_call(*lab, "PATCH", type->object_path(arg(vm, "namespace"), name),
                    Json{{"spec", {{"replicas", vm["replicas"].as<int>()}}}});
  if (!r) return report_error(r.error().what());
  std::printf("%s scaled\n", ref(*type, name).c_str());
  return 0;
}

int cmd_describe(const Args& args) {
  po::options_description opts;
  opts.add_options()("type", po::value<std::string>())("name", po::value<std::string>())(
      "namespace,n", po::value<std::string>()->default_value("default"))("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("type", 1).add("name", 1);
  auto vm = parse(args, opts, pos);
  std::string t = arg(vm, "type"), name = arg(vm, "name");
  if (t.find('/') != std::string::npos) {
    name = t.substr(t.find('/') + 1);
    t = t.substr(0, t.find('/'));
  }
  auto type = api::find_resource(t);
  if (!type) return report_error("the server doesn't have a resource type \"" + t + "\"");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string ns = arg(vm, "namespace");
  std::vector<Json> objs;
  if (name.empty()) {
    auto list = api_get(*lab, type->collection_path(ns));
    if (!list) return report_error(list.error().what());
    for (auto& o : (*list)["items"]) objs.push_back(o);
  } else {
    auto obj = api_get(*lab, type->object_path(ns, name));
    if (!obj) return report_error(obj.error().what());
    objs.push_back(*obj);
  }
  auto events = api_get(*lab, "/api/v1/namespaces/" + ns + "/events");
  auto now = Clock::now();
  bool first = true;
  for (auto& obj : objs) {
    obj["kind"] = type->kind;
    obj["apiVersion"] = type->api_version();
    Json mine = Json::array();
    if (events)
      for (const auto& ev : (*events)["items"])
        if (ev["involvedObject"].value("uid", "") == obj["metadata"].value("uid", "")) mine.push_back(ev);
    if (!first) std::printf("\n\n");
    first = false;
    std::string text;
    if (type->kind == "Pod") {
      text = describe_pod(obj, mine, now);
    } else if (type->kind == "Deployment") {
      Json rss = Json::array();
      if (auto list = api_get(*lab, "/apis/apps/v1/namespaces/" + ns + "/replicasets"))
        for (const auto& rs : (*list)["items"])
          if (api::owned_by(rs, obj)) rss.push_back(rs);
      text = describe_deployment(obj, rss, mine, now);
    } else if (type->kind == "Service") {
      Json slices = Json::array();
      std::string sel = "kubernetes.io/service-name=" + obj["metadata"].value("name", "");
      if (auto list = api_get(*lab, "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices?labelSelector=" +
                                        server::url_encode(sel)))
        slices = (*list)["items"];
      text = describe_service(obj, slices, mine, now);
    } else if (type->kind == "Secret") {
      text = describe_secret(obj);
    } else if (type->kind == "ConfigMap") {
      text = describe_configmap(obj, mine, now);
    } else if (type->kind == "Namespace") {
      text = describe_namespace(obj);
    } else {
      text = describe_generic(obj, mine, now);
    }
    std::fputs(text.c_str(), stdout);
  }
  return 0;
}

int cmd_logs(const Args& args) {
  po::options_description opts;
  opts.add_options()("pod", po::value<std::string>())("container,c", po::value<std::string>())(
      "follow,f", po::bool_switch())("previous,p", po::bool_switch())(
      "namespace,n", po::value<std::string>()->default_value("default"))("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("pod", 1).add("container", 1);
  auto vm = parse(args, opts, pos);
  if (!vm.count("pod")) return report_error("expected 'logs POD_NAME [CONTAINER_NAME]'.");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  if (auto r = ensure_daemon(*lab); !r) return report_error(r.error().what());
  std::string pod = arg(vm, "pod");
  if (pod.starts_with("pod/")) pod = pod.substr(4);
  std::string target = "/api/v1/namespaces/" + arg(vm, "namespace") + "/pods/" + pod + "/log?";
  if (vm.count("container")) target += "container=" + server::url_encode(arg(vm, "container")) + "&";
  if (vm["follow"].as<bool>()) target += "follow=true&";
  if (vm["previous"].as<bool>()) target += "previous=true&";
  std::string error_body;
  int status = 0;
  auto rc = server::http_stream(cluster::socket_path(*lab), "GET", target, [&](const std::string& data) {
    if (status == 0) status = 200;
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fflush(stdout);
    error_body += data.size() < 65536 ? data : "";
    return true;
  });
  if (!rc) return report_error(rc.error().what());
  if (*rc >= 400) {
    // The body was a Status object: say it the kubectl way instead.
    Json st = Json::parse(error_body, nullptr, false);
    std::fputs("\n", stdout);
    return report_error("Error from server (" + st.value("reason", std::string("BadRequest")) + "): " + st.value("message", std::string()));
  }
  return 0;
}

int cmd_rollout(const Args& args) {
  po::options_description opts;
  opts.add_options()("action", po::value<std::string>())("type", po::value<std::string>())(
      "name", po::value<std::string>())("namespace,n", po::value<std::string>()->default_value("default"))(
      "timeout", po::value<int>()->default_value(300))("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("action", 1).add("type", 1).add("name", 1);
  auto vm = parse(args, opts, pos);
  if (arg(vm, "action") != "status") return report_error("only `rollout status` is supported");
  auto tn = type_and_name(arg(vm, "type"), arg(vm, "name"));
  if (!tn) return report_error(tn.error().what());
  const auto& [t, name] = *tn;
  const api::ResourceType* type = &t;
  if (type->kind != "Deployment") return report_error("no status viewer has been implemented for " + t.plural);
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string path = type->object_path(arg(vm, "namespace"), name);
  std::string last;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(vm["timeout"].as<int>());
  for (;;) {
    auto d = api_get(*lab, path);
    if (!d) return report_error(d.error().what());
    const Json& st = (*d).value("status", Json::object());
    int want = (*d)["spec"].value("replicas", 1);
    int updated = st.value("updatedReplicas", 0), replicas = st.value("replicas", 0),
        available = st.value("availableReplicas", 0);
    std::string msg;
    // kubectl's DeploymentStatusViewer, message for message.
    if ((*d)["metadata"].value("generation", 1) > st.value("observedGeneration", 0))
      msg = "Waiting for deployment spec update to be observed...";
    else if (updated < want)
      msg = "Waiting for deployment \"" + name + "\" rollout to finish: " + std::to_string(updated) + " out of " +
            std::to_string(want) + " new replicas have been updated...";
    else if (replicas > updated)
      msg = "Waiting for deployment \"" + name + "\" rollout to finish: " + std::to_string(replicas - updated) +
            " old replicas are pending termination...";
    else if (available < updated)
      msg = "Waiting for deployment \"" + name + "\" rollout to finish: " + std::to_string(available) + " of " +
            std::to_string(updated) + " updated replicas are available...";
    else {
      std::printf("deployment \"%s\" successfully rolled out\n", name.c_str());
      return 0;
    }
    if (msg != last) {
      std::printf("%s\n", msg.c_str());
      std::fflush(stdout);
      last = msg;
    }
    if (std::chrono::steady_clock::now() > deadline) return report_error("timed out waiting for the condition");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace lab::cli

namespace lab::cli {
namespace {

// YAML (as `edit` writes it back) to JSON: quoted scalars stay strings, plain ones become
// numbers, booleans or null when they read as such, as Kubernetes' YAML decoder does.
Json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& item : n) a.push_back(yaml_to_json(item));
      return a;
    }
    case YAML::NodeType::Scalar: {
      std::string s = n.Scalar();
      if (n.Tag() == "!") return s;
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      // An integer too large for int64 reads as a float, as in Go's YAML decoder.
      if (auto i = parse_number<long long>(s)) return *i;
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0') return d;
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace

int cmd_expose(const Args& args) {
  po::options_description opts;
  opts.add_options()("target", po::value<std::string>())("port", po::value<int>())(
      "target-port", po::value<std::string>())("type", po::value<std::string>())(
      "name", po::value<std::string>())("protocol", po::value<std::string>()->default_value("TCP"))(
      "selector", po::value<std::string>())("namespace,n", po::value<std::string>()->default_value("default"))(
      "lab", po::value<std::string>())("target-name", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("target", 1).add("target-name", 1);  // TYPE/NAME, or TYPE NAME as kubectl takes it
  auto vm = parse(args, opts, pos);
  if (arg(vm, "target").find('/') != std::string::npos && !arg(vm, "target-name").empty())
    return report_error(
        "there is no need to specify a resource type as a separate argument when passing arguments in "
        "resource/name form (e.g. 'lab expose deployment/NAME' instead of 'lab expose deployment deployment/NAME')");
  auto tn = type_and_name(arg(vm, "target"), arg(vm, "target-name"));
  if (!tn) return report_error(tn.error().what());
  auto& [type, name] = *tn;
  if (type.kind != "Deployment" && type.kind != "ReplicaSet" && type.kind != "Pod" && type.kind != "Service")
    return report_error("cannot expose a " + type.kind);
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string ns = arg(vm, "namespace");
  auto obj = api_get(*lab, type.object_path(ns, name));
  if (!obj) return report_error(obj.error().what());

  // kubectl's defaults: the selector and ports of the exposed object.
  Json selector, pod_spec;
  if (type.kind == "Pod") {
    selector = (*obj)["metadata"].value("labels", Json::object());
    pod_spec = (*obj)["spec"];
  } else if (type.kind == "Service") {
    selector = (*obj)["spec"].value("selector", Json::object());
  } else {
    selector = (*obj)["spec"]["selector"].value("matchLabels", Json::object());
    pod_spec = (*obj)["spec"]["template"]["spec"];
  }
  if (vm.count("selector")) {
    // kubectl expose's parseLabels: "k=v,k2=v2", no term skipped; the Service's validation checks the rest.
    selector = Json::object();
    const std::string sel = arg(vm, "selector");
    if (sel.empty()) return report_error("no label spec passed");
    for (size_t start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
      comma = sel.find(',', start);
      const std::string kv = sel.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || kv.find('=', eq + 1) != std::string::npos) return report_error("unexpected label spec: " + kv);
      if (eq == 0) return report_error("unexpected empty label key");
      selector[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  if (selector.empty())
    return report_error("couldn't retrieve selectors via --selector flag or introspection: the " + type.singular +
                        " has no selector");
  // intstr.Parse: a number if the text is one, else a port name.
  Json target_port;
  if (vm.count("target-port")) {
    std::string tp = arg(vm, "target-port");
    auto number = parse_int(tp);
    target_port = number ? Json(*number) : Json(tp);
  }
  Json ports = Json::array();
  if (vm.count("port")) {
    Json p = {{"port", vm["port"].as<int>()}, {"protocol", arg(vm, "protocol")}};
    if (!target_port.is_null()) p["targetPort"] = target_port;
    ports.push_back(p);
  } else {
    for (const auto& c : pod_spec.value("containers", Json::array()))
      for (const auto& cp : c.value("ports", Json::array()))
        ports.push_back({{"port", cp.value("containerPort", 0)}, {"protocol", cp.value("protocol", "TCP")},
                         {"targetPort", target_port.is_null() ? Json(cp.value("containerPort", 0)) : target_port}});
    if (ports.size() > 1)
      for (size_t i = 0; i < ports.size(); ++i) ports[i]["name"] = "port-" + std::to_string(i + 1);
  }
  if (ports.empty())
    return report_error("couldn't find port via --port flag or introspection");
  std::string svc_name = vm.count("name") ? arg(vm, "name") : name;
  Json labels = (*obj)["metadata"].value("labels", Json::object());
  Json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", svc_name}, {"namespace", ns}}},
              {"spec", {{"selector", selector}, {"ports", ports}, {"type", vm.count("type") ? arg(vm, "type") : "ClusterIP"},
                        {"sessionAffinity", "None"}, {"ipFamilies", {"IPv4"}}, {"ipFamilyPolicy", "SingleStack"},
                        {"internalTrafficPolicy", "Cluster"}}}};
  if (!labels.empty()) svc["metadata"]["labels"] = labels;
  std::string t = svc["spec"]["type"];
  if (t != "ClusterIP" && t != "NodePort" && t != "LoadBalancer")
    return report_error("Unsupported value: \"" + t + "\": supported values: \"ClusterIP\", \"LoadBalancer\", \"NodePort\"");
  if (t != "ClusterIP") svc["spec"]["externalTrafficPolicy"] = "Cluster";
  auto created = api_call(*lab, "POST", "/api/v1/namespaces/" + ns + "/services", svc);
  if (!created) return report_error(created.error().what());
  std::printf("service/%s exposed\n", svc_name.c_str());
  return 0;
}

int cmd_patch(const Args& args) {
  po::options_description opts;
  opts.add_options()("type", po::value<std::string>())("name", po::value<std::string>())(
      "patch,p", po::value<std::string>())("patch-type", po::value<std::string>()->default_value("strategic"))(
      "namespace,n", po::value<std::string>()->default_value("default"))("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("type", 1).add("name", 1);
  // kubectl's flag is --type; here `type` is the positional, so accept --type=merge as well.
  Args fixed;
  for (const auto& a : args) fixed.push_back(a.starts_with("--type") ? "--patch-type" + a.substr(6) : a);
  auto vm = parse(fixed, opts, pos);
  auto tn = type_and_name(arg(vm, "type"), arg(vm, "name"));
  if (!tn) return report_error(tn.error().what());
  auto& [type, name] = *tn;
  if (!vm.count("patch")) return report_error("must specify -p to patch");
  // kubectl patch --type: strategic (the default), merge or json.
  const std::string patch_type = arg(vm, "patch-type");
  const char* content_type = patch_type == "strategic" ? "application/strategic-merge-patch+json"
                             : patch_type == "merge"   ? "application/merge-patch+json"
                             : patch_type == "json"    ? "application/json-patch+json"
                                                       : nullptr;
  if (!content_type)
    return report_error("--type must be one of [json merge strategic], not \"" + patch_type + "\"");
  Json patch = Json::parse(arg(vm, "patch"), nullptr, false);
  if (patch_type == "json" ? !patch.is_array() : !patch.is_object())
    return report_error("unable to parse \"" + arg(vm, "patch") + "\": invalid JSON");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string path = type.object_path(arg(vm, "namespace"), name);
  auto before = api_get(*lab, path);
  if (!before) return report_error(before.error().what());
  auto after = api_call(*lab, "PATCH", path, patch, "application/json", content_type);
  if (!after) return report_error(after.error().what());
  bool same = (*before)["metadata"]["resourceVersion"] == (*after)["metadata"]["resourceVersion"] ||
              (*before).value("spec", Json()) == (*after).value("spec", Json());
  std::printf("%s/%s %s\n", type.qualified_name().c_str(), name.c_str(), same ? "patched (no change)" : "patched");
  return 0;
}

int cmd_edit(const Args& args) {
  po::options_description opts;
  opts.add_options()("type", po::value<std::string>())("name", po::value<std::string>())(
      "namespace,n", po::value<std::string>()->default_value("default"))("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("type", 1).add("name", 1);
  auto vm = parse(args, opts, pos);
  auto tn = type_and_name(arg(vm, "type"), arg(vm, "name"));
  if (!tn) return report_error(tn.error().what());
  auto& [type, name] = *tn;
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  std::string path = type.object_path(arg(vm, "namespace"), name);
  auto obj = api_get(*lab, path);
  if (!obj) return report_error(obj.error().what());
  (*obj)["kind"] = type.kind;
  (*obj)["apiVersion"] = type.api_version();

  char tmpl[] = "/tmp/lab-edit-XXXXXX.yaml";
  int fd = ::mkstemps(tmpl, 5);
  if (fd < 0) return report_error(std::string("create a temporary file: ") + std::strerror(errno));
  UniqueFd owned(fd);
  std::string header =
      "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
      "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
      "# reopened with the relevant failures.\n#\n";
  std::string original = to_yaml(*obj);
  (void)write_file(tmpl, header + original, 0600);
  const char* editor = std::getenv("KUBE_EDITOR");
  if (!editor || !*editor) editor = std::getenv("EDITOR");
  std::string cmd = std::string(editor && *editor ? editor : "vi") + " '" + tmpl + "'";
  int rc = std::system(cmd.c_str());
  auto edited = read_file(tmpl);
  ::unlink(tmpl);
  if (rc != 0 || !edited) return report_error("edit cancelled: the editor exited with an error");
  YAML::Node doc;
  try {
    doc = YAML::Load(*edited);
  } catch (const YAML::Exception& e) {
    return report_error(std::string("the edited file had a syntax error: ") + e.what());
  }
  if (!doc.IsMap()) {
    std::puts("Edit cancelled, no changes made.");
    return 0;
  }
  Json updated = yaml_to_json(doc);
  if (updated == *obj) {
    std::puts("Edit cancelled, no changes made.");
    return 0;
  }
  auto r = api_call(*lab, "PUT", path, updated);
  if (!r) return report_error(r.error().what());
  std::printf("%s/%s edited\n", type.qualified_name().c_str(), name.c_str());
  return 0;
}

}  // namespace lab::cli
