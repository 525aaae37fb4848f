// Merging the lab's entries into a kubeconfig and out again, as kind does, written as client-go
// writes the file (lab/cli/kubeconfig_yaml.h); `lab kubeconfig`.
#include "lab/cli/kubeconfig.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "lab/api/json_access.h"
#include "lab/base/base64.h"
#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "lab/cli/client.h"
#include "lab/cli/commands.h"
#include "lab/cli/kubeconfig_yaml.h"
#include "lab/cli/options.h"
#include "lab/cluster/lab_record.h"
#include "lab/server/pki.h"

namespace lab::cli {
namespace {

using Kind = YamlValue::Kind;

// The three named lists of a kubeconfig and the field under which each entry keeps its body.
constexpr std::pair<const char*, const char*> kLists[] = {{"clusters", "cluster"}, {"contexts", "context"},
                                                          {"users", "user"}};

YamlValue named(const std::string& name, const char* field, YamlValue body) {
  YamlValue e = YamlValue::mapping();
  e.at("name") = YamlValue::string(name);
  e.at(field) = std::move(body);
  return e;
}

std::string entry_name(const YamlValue& e) {
  const YamlValue* n = e.kind == Kind::Map ? e.find("name") : nullptr;
  return n && n->kind == Kind::Scalar ? n->text : "";
}

// clientcmd's v1 conversion writes each list sorted by name; an empty one is null.
void normalize_list(YamlValue& list) {
  if (list.kind == Kind::Seq) {
    std::stable_sort(list.items.begin(), list.items.end(),
                     [](const YamlValue& a, const YamlValue& b) { return entry_name(a) < entry_name(b); });
    if (list.items.empty()) list = YamlValue();
  }
}

Result<YamlValue> load(const std::string& existing) {
  auto doc = parse_yaml(existing);
  if (!doc) return doc;
  if (doc->kind != Kind::Map) return fail("a kubeconfig is a mapping (apiVersion, kind, clusters, ...)");
  for (const auto& [list, field] : kLists) {
    (void)field;
    YamlValue& v = doc->at(list);
    if (v.kind != Kind::Seq && v.kind != Kind::Null) return fail(std::string(list) + " must be a list");
  }
  // The fields clientcmd always writes.
  if (!doc->find("apiVersion")) doc->at("apiVersion") = YamlValue::string("v1");
  if (!doc->find("kind")) doc->at("kind") = YamlValue::string("Config");
  if (!doc->find("preferences")) doc->at("preferences") = YamlValue::mapping();
  if (!doc->find("current-context")) doc->at("current-context") = YamlValue::string("");
  return doc;
}

void drop(YamlValue& doc, const std::string& name) {
  for (const auto& [list, field] : kLists) {
    (void)field;
    YamlValue& v = doc.at(list);
    if (v.kind == Kind::Seq) std::erase_if(v.items, [&](const YamlValue& e) { return entry_name(e) == name; });
  }
}

bool has_context(const YamlValue& doc, const std::string& name) {
  const YamlValue* v = doc.find("contexts");
  if (!v || v->kind != Kind::Seq) return false;
  return std::any_of(v->items.begin(), v->items.end(), [&](const YamlValue& e) { return entry_name(e) == name; });
}

std::string current_context(const YamlValue& doc) {
  const YamlValue* v = doc.find("current-context");
  return v && v->kind == Kind::Scalar ? v->text : "";
}

std::string finish(YamlValue& doc) {
  for (const auto& [list, field] : kLists) {
    (void)field;
    normalize_list(doc.at(list));
  }
  return emit_yaml(doc);
}

// Replaces path's content; the new file never exists with more than `mode` allows (a stale
// path.tmp of another mode is removed first).
Result<void> replace_file(const std::string& path, const std::string& content, mode_t mode) {
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + tmp);
  LAB_TRY(write_file_atomic(path, content, mode));
  if (::chmod(path.c_str(), mode) != 0) return fail_errno("chmod " + path);
  return {};
}

// Where `lab up` put the lab's entries, for `lab down`: /run/lab/<lab>/kubeconfig.json.
std::string record_path(const std::string& lab) { return cluster::lab_dir(lab) + "/kubeconfig.json"; }

}  // namespace

std::string render_kubeconfig(const KubeconfigEntry& entry) {
  auto merged = merge_kubeconfig("", entry);
  return merged ? *merged : std::string();
}

Result<std::string> merge_kubeconfig(const std::string& existing, const KubeconfigEntry& entry) {
  auto doc = load(existing);
  if (!doc) return std::unexpected(doc.error());
  drop(*doc, entry.name);
  YamlValue cluster = YamlValue::mapping();
  cluster.at("certificate-authority-data") = YamlValue::string(base64_encode(entry.ca_pem));
  cluster.at("server") = YamlValue::string(entry.server);
  YamlValue context = YamlValue::mapping();
  context.at("cluster") = YamlValue::string(entry.name);
  context.at("namespace") = YamlValue::string(entry.ns);
  context.at("user") = YamlValue::string(entry.name);
  YamlValue user = YamlValue::mapping();
  user.at("client-certificate-data") = YamlValue::string(base64_encode(entry.cert_pem));
  user.at("client-key-data") = YamlValue::string(base64_encode(entry.key_pem));
  YamlValue* bodies[] = {&cluster, &context, &user};
  for (size_t i = 0; i < 3; ++i) {
    YamlValue& list = doc->at(kLists[i].first);
    if (list.kind != Kind::Seq) list = YamlValue::sequence();
    list.items.push_back(named(entry.name, kLists[i].second, std::move(*bodies[i])));
  }
  doc->at("current-context") = YamlValue::string(entry.name);
  return finish(*doc);
}

Result<std::string> remove_kubeconfig(const std::string& existing, const std::string& name,
                                      const std::string& restore_context) {
  auto doc = load(existing);
  if (!doc) return std::unexpected(doc.error());
  drop(*doc, name);
  if (current_context(*doc) == name)
    doc->at("current-context") =
        YamlValue::string(!restore_context.empty() && has_context(*doc, restore_context) ? restore_context : "");
  return finish(*doc);
}

bool kubeconfig_empty(const std::string& text) {
  auto doc = parse_yaml(text);
  if (!doc || doc->kind != Kind::Map) return false;
  for (const auto& [list, field] : kLists) {
    (void)field;
    const YamlValue* v = doc->find(list);
    if (v && v->kind == Kind::Seq && !v->items.empty()) return false;
  }
  return true;
}

std::string default_kubeconfig_path() {
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string list = env;
    // clientcmd's precedence: the first non-empty entry of the list.
    size_t start = 0;
    for (;;) {
      size_t colon = list.find(':', start);
      std::string item = list.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!item.empty()) return item;
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.kube/config";
}

Result<KubeconfigEntry> lab_kubeconfig_entry(const std::string& lab) {
  auto address = read_file(cluster::lab_dir(lab) + "/api-address");
  if (!address)
    return fail("lab \"" + lab + "\" has no HTTPS API address yet (" + cluster::lab_dir(lab) +
                "/api-address): is its daemon running?");
  auto pki = server::load_pki(server::pki_dir(lab));
  if (!pki) return std::unexpected(pki.error().context("lab \"" + lab + "\"'s certificates"));
  KubeconfigEntry e;
  e.name = "lab-" + lab;
  e.server = "https://" + std::string(trim_space(*address));
  e.ca_pem = pki->ca_cert;
  e.cert_pem = pki->admin_cert;
  e.key_pem = pki->admin_key;
  return e;
}

Result<std::string> install_lab_kubeconfig(const std::string& lab) {
  auto entry = lab_kubeconfig_entry(lab);
  if (!entry) return std::unexpected(entry.error());
  // A lab restarted by `lab up` goes back into the file it went into first.
  std::string path = default_kubeconfig_path();
  nlohmann::json record = nlohmann::json::object();
  if (auto old = read_file(record_path(lab))) {
    record = nlohmann::json::parse(*old, nullptr, false);
    if (!record.is_object()) record = nlohmann::json::object();
    if (auto p = record.find("path"); p != record.end() && p->is_string()) path = p->get<std::string>();
  }
  std::string existing;
  bool created = false;
  if (auto text = read_file(path)) {
    existing = *text;
  } else if (text.error().code == ENOENT) {
    created = true;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) return fail("mkdir " + std::filesystem::path(path).parent_path().string() + ": " + ec.message());
  } else {
    return std::unexpected(text.error());
  }
  auto merged = merge_kubeconfig(existing, *entry);
  if (!merged) return std::unexpected(merged.error().context("error loading config file \"" + path + "\""));
  if (!record.contains("path")) {
    auto doc = parse_yaml(existing);
    std::string previous;
    if (doc && doc->kind == YamlValue::Kind::Map)
      if (const YamlValue* cur = doc->find("current-context"); cur && cur->kind == YamlValue::Kind::Scalar)
        previous = cur->text;
    record = {{"path", path}, {"previousContext", previous == entry->name ? "" : previous}, {"created", created}};
    LAB_TRY(write_file_atomic(record_path(lab), record.dump() + "\n", 0600));
  }
  // The file holds the admin key: root's alone, whatever mode it had (kubectl writes 0600).
  struct stat st{};
  const mode_t owner = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0700) : 0600;
  LAB_TRY(replace_file(path, *merged, owner == 0 ? 0600 : owner));
  return entry->name;
}

Result<void> uninstall_lab_kubeconfig(const std::string& lab) {
  auto text = read_file(record_path(lab));
  if (!text) return {};  // never merged (a lab that failed before its API listened)
  auto record = nlohmann::json::parse(*text, nullptr, false);
  if (!record.is_object() || !record.contains("path") || !record["path"].is_string()) return {};
  const std::string path = record["path"];
  auto existing = read_file(path);
  if (!existing) return {};  // removed by hand meanwhile: nothing to take out
  // The record is a file: a field of the wrong type reads as absent rather than throwing.
  const std::string previous = api::string_at(record, "previousContext");
  auto removed = remove_kubeconfig(*existing, "lab-" + lab, previous);
  if (!removed) return std::unexpected(removed.error().context("error loading config file \"" + path + "\""));
  if (*removed == *existing) return {};
  if (api::member(record, "created") == true && kubeconfig_empty(*removed)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + path);
    return {};
  }
  struct stat st{};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0600;
  return replace_file(path, *removed, mode);
}

int cmd_kubeconfig(const std::vector<std::string>& args) {
  po::options_description opts;
  opts.add_options()("lab", po::value<std::string>());
  auto vm = parse(args, opts, po::positional_options_description());
  if (::geteuid() != 0) return report_error("lab kubeconfig needs root: the kubeconfig holds the lab's admin key");
  auto lab = pick_lab(arg(vm, "lab"));
  if (!lab) return report_error(lab.error().what());
  auto entry = lab_kubeconfig_entry(*lab);
  if (!entry) return report_error(entry.error().what());
  std::fputs(render_kubeconfig(*entry).c_str(), stdout);
  return 0;
}

}  // namespace lab::cli
