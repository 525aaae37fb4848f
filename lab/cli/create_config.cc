// `lab create`: kubectl's generators for Secrets and ConfigMaps (`create secret generic|tls NAME`,
// `create configmap|cm NAME`) with their flags, output and errors; everything else is `create -f`.
#include <cstdio>
#include <string_view>

#include "lab/api/resources.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/create_config.h"
#include "lab/cli/options.h"
#include "lab/cli/printers.h"

namespace lab::cli {

namespace {

using Json = nlohmann::json;

// Flags that take their value as the next argument when written without '='.
bool takes_value(std::string_view a) {
  for (std::string_view f : {"-n", "--namespace", "--lab", "-f", "--filename", "--request-timeout", "-o", "--output",
                             "--type", "--from-literal", "--from-file", "--from-env-file", "--cert", "--key",
                             "--dry-run"})
    if (a == f) return true;
  return false;
}

// The first argument that is not a flag or a flag's value: "secret", "configmap", ... or a -f's absence.
std::string first_word(const Args& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return "";
    if (args[i].starts_with("-")) {
      if (takes_value(args[i])) ++i;
      continue;
    }
    return args[i];
  }
  return "";
}

// cobra's UsageErrorf.
int usage_error(const std::string& message, const std::string& command) {
  return report_error(message + "\nSee 'lab " + command + " -h' for help and examples");
}

int usage(const char* text) {
  std::fputs(text, stdout);
  return 0;
}

const char kSecretUsage[] =
    "Create a secret with specified type.\n\n"
    "Available Commands:\n"
    "  generic     Create a secret from a local file, directory, or literal value\n"
    "  tls         Create a TLS secret\n\n"
    "Usage:\n"
    "  lab create secret generic NAME [--type=string] [--from-file=[key=]source] [--from-literal=key1=value1]\n"
    "          [--from-env-file=path] [-n NAMESPACE] [--dry-run=none|client|server] [-o yaml|json|name]\n"
    "  lab create secret tls NAME --cert=path/to/cert/file --key=path/to/key/file [--dry-run=none|client|server]\n";

const char kConfigMapUsage[] =
    "Create a config map based on a file, directory, or specified literal value.\n\n"
    "Usage:\n"
    "  lab create configmap NAME [--from-file=[key=]source] [--from-literal=key1=value1] [--from-env-file=path]\n"
    "          [-n NAMESPACE] [--dry-run=none|client|server] [-o yaml|json|name]\n";

std::vector<std::string> strings(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

// The generator's object, sent (or not, --dry-run=client; as a dry run, --dry-run=server) and printed as kubectl's PrintFlags
// "created" prints it. `failed` is kubectl's wrapping of a server error ("failed to create secret ").
int send(const po::variables_map& vm, Json obj, const std::string& ns, const std::string& failed) {
  const std::string dry_run = arg(vm, "dry-run"), output = arg(vm, "output");
  if (dry_run != "" && dry_run != "none" && dry_run != "client" && dry_run != "server")
    return report_error("Invalid dry-run value (" + dry_run + "). Must be \"none\", \"server\", or \"client\".");
  if (output != "" && output != "yaml" && output != "json" && output != "name")
    return report_error("unable to match a printer suitable for the output format \"" + output +
                        "\", allowed formats are: json,name,yaml");
  const auto type = api::find_resource_by_kind(obj.value("kind", ""));
  if (!type) return report_error("internal error: unknown kind");
  Json shown = obj;
  std::string suffix = " created";
  if (dry_run == "client") {
    shown["metadata"]["creationTimestamp"] = nullptr;  // what kubectl's printer writes for an unsent object
    suffix += " (dry run)";
  } else {
    auto lab = pick_lab(arg(vm, "lab"));
    if (!lab) return report_error(lab.error().what());
    // --dry-run=server: the server validates, defaults and answers, and stores nothing.
    const bool on_server = dry_run == "server";
    if (on_server) suffix += " (server dry run)";
    auto created = api_call(*lab, "POST", type->collection_path(ns) + (on_server ? "?dryRun=All" : ""), obj);
    if (!created) {
      // kubectl wraps the server's message, not the "Error from server (...)" line.
      std::string message = created.error().what();
      if (message.starts_with("Error from server (")) {
        const size_t end = message.find("): ");
        if (end != std::string::npos) message.erase(0, end + 3);
      }
      return report_error(failed + message);
    }
    shown = *created;
  }
  if (output == "yaml") std::fputs(to_yaml(shown).c_str(), stdout);
  else if (output == "json") std::fputs(to_json_text(shown).c_str(), stdout);
  else if (output == "name") std::fputs(names(shown).c_str(), stdout);
  else std::printf("%s/%s%s\n", type->singular.c_str(), shown["metadata"].value("name", "").c_str(), suffix.c_str());
  return 0;
}

int create_config(const Args& args, bool secret) {
  po::options_description opts;
  opts.add_options()("kind", po::value<std::string>())("words", po::value<std::vector<std::string>>())(
      "from-literal", po::value<std::vector<std::string>>())("from-file", po::value<std::vector<std::string>>())(
      "from-env-file", po::value<std::vector<std::string>>())("type", po::value<std::string>())(
      "cert", po::value<std::string>())("key", po::value<std::string>())(
      "namespace,n", po::value<std::string>())("dry-run", po::value<std::string>()->implicit_value("client"))(
      "output,o", po::value<std::string>())("lab", po::value<std::string>())("help,h", po::bool_switch());
  po::positional_options_description pos;
  pos.add("kind", 1).add("words", -1);
  auto vm = parse(args, opts, pos);
  std::vector<std::string> words = strings(vm, "words");
  std::string command = secret ? "create secret" : "create configmap";
  std::string sub;
  if (secret) {
    if (words.empty()) {
      std::fputs(kSecretUsage, stderr);
      return 1;
    }
    sub = words.front();
    words.erase(words.begin());
    if (sub == "docker-registry")
      return report_error("lab create secret docker-registry is not supported yet (lab's images are host "
                          "binaries: there is no registry to log in to)");
    if (sub != "generic" && sub != "tls") {
      std::string all = sub;
      for (const auto& w : words) all += " " + w;
      return usage_error("unknown command \"" + all + "\"", command);
    }
    command += " " + sub;
  }
  if (vm["help"].as<bool>()) return usage(secret ? kSecretUsage : kConfigMapUsage);
  if (words.size() != 1)
    return usage_error("exactly one NAME is required, got " + std::to_string(words.size()), command);
  // Each generator has only its own flags (cobra: "unknown flag").
  std::vector<const char*> foreign;
  if (sub == "tls") foreign = {"type", "from-literal", "from-file", "from-env-file"};
  else if (secret) foreign = {"cert", "key"};
  else foreign = {"type", "cert", "key"};
  for (const char* f : foreign)
    if (vm.count(f)) return report_error(std::string("unknown flag: --") + f + "\nSee 'lab " + command + " -h' for help and examples");
  const std::string name = words.front();
  const std::string ns = vm.count("namespace") ? arg(vm, "namespace") : "default";
  const std::string meta_ns = vm.count("namespace") ? ns : "";  // kubectl sets it only when told

  if (sub == "tls") {
    if (arg(vm, "cert").empty() || arg(vm, "key").empty()) return report_error("key and cert must be specified");
    auto obj = build_tls_secret(name, meta_ns, arg(vm, "cert"), arg(vm, "key"));
    if (!obj) return report_error(obj.error().what());
    return send(vm, std::move(*obj), ns, "failed to create secret ");
  }
  ConfigSources sources{strings(vm, "from-literal"), split_slice(strings(vm, "from-file")),
                        split_slice(strings(vm, "from-env-file"))};
  if (!sources.env_files.empty() && (!sources.files.empty() || !sources.literals.empty()))
    return report_error("from-env-file cannot be combined with from-file or from-literal");
  auto obj = secret ? build_generic_secret(name, meta_ns, arg(vm, "type"), sources)
                    : build_configmap(name, meta_ns, sources);
  if (!obj) return report_error(obj.error().what());
  return send(vm, std::move(*obj), ns, secret ? "failed to create secret " : "failed to create configmap: ");
}

}  // namespace

int cmd_create(const Args& args) {
  const std::string word = first_word(args);
  if (word == "secret") return create_config(args, true);
  if (word == "configmap" || word == "cm") return create_config(args, false);
  return cmd_apply(args, true);
}

}  // namespace lab::cli
