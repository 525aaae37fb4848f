// Scenario files to validated objects: each YAML document becomes JSON (scalars typed as
// Kubernetes' YAML reader types them) and goes through the same schema walker as the API's
// validate_object; what YAML adds is the file position of every error and a few hints.
#include "lab/api/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "lab/api/json_access.h"
#include "lab/api/schema.h"
#include "lab/api/schema_config.h"
#include "lab/api/schema_namespace.h"
#include "lab/api/schema_serviceaccount.h"
#include "lab/api/utf8.h"
#include "lab/base/parse.h"
#include "netns/cidr.h"

namespace lab::api {
namespace {

using nlohmann::json;
using schema::ObjectSchema;

// A YAML scalar resolved as Kubernetes' YAML reader (YAML 1.1) does: plain `80` is a number, plain
// `true` or `yes` a bool, anything quoted a string. yaml-cpp tags quoted scalars "!", plain ones "?".
struct Scalar {
  enum Kind { Null, Bool, Int, Float, String } kind = String;
  std::string text{};
  int64_t integer = 0;
  bool boolean = false;
  bool overflow = false;  // an integer too big for int64
};

Scalar resolve(const YAML::Node& n) {
  Scalar s;
  if (n.IsNull()) {
    s.kind = Scalar::Null;
    return s;
  }
  s.text = n.Scalar();
  // Quoted, or too long to be a number or a bool (and std::regex recurses per character).
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str" || s.text.size() > 64) return s;
  static const std::regex int_re("[-+]?[0-9]+"), hex_re("0x[0-9a-fA-F]+"), oct_re("0o[0-7]+");
  static const std::regex float_re(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  static const std::regex true_re("true|True|TRUE|yes|Yes|YES|on|On|ON");
  static const std::regex false_re("false|False|FALSE|no|No|NO|off|Off|OFF");
  const std::string& t = s.text;
  auto parse_int = [&](size_t skip, int base) {
    s.kind = Scalar::Int;
    const char* first = t.data() + skip + (t[0] == '+');
    auto [end, ec] = std::from_chars(first, t.data() + t.size(), s.integer, base);
    s.overflow = ec != std::errc() || end != t.data() + t.size();
  };
  if (std::regex_match(t, int_re)) parse_int(0, 10);
  else if (std::regex_match(t, hex_re)) parse_int(2, 16);
  else if (std::regex_match(t, oct_re)) parse_int(2, 8);
  else if (std::regex_match(t, float_re)) s.kind = Scalar::Float;
  else if (std::regex_match(t, true_re)) s.kind = Scalar::Bool, s.boolean = true;
  else if (std::regex_match(t, false_re)) s.kind = Scalar::Bool;
  return s;
}

// Text from the file in a message, quoted; bytes that are not UTF-8 shown as U+FFFD (a message
// must stay valid UTF-8; the field that holds them is refused as "not valid UTF-8").
std::string quote(const std::string& text) { return json(text).dump(-1, ' ', false, json::error_handler_t::replace); }

// For "got ...": strings quoted, other scalars as written.
std::string describe(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  Scalar s = resolve(n);
  if (s.kind == Scalar::Null) return "null";
  return s.kind == Scalar::String ? quote(s.text) : s.text;
}

// The JSON value of a scalar, typed as Kubernetes' YAML reader types it.
json scalar_value(const YAML::Node& n) {
  const Scalar s = resolve(n);
  switch (s.kind) {
    case Scalar::Null: return nullptr;
    case Scalar::Bool: return s.boolean;
    case Scalar::Int: {
      if (!s.overflow) return s.integer;
      uint64_t big = 0;  // past int64: still a number, so the message says "no more than"
      const char* first = s.text.data() + (s.text[0] == '+');
      auto [end, ec] = std::from_chars(first, s.text.data() + s.text.size(), big);
      if (ec == std::errc() && end == s.text.data() + s.text.size()) return big;
      return s.text;
    }
    case Scalar::Float: {
      double d = 0;
      const char* first = s.text.data() + (s.text[0] == '+');
      auto [end, ec] = std::from_chars(first, s.text.data() + s.text.size(), d);
      if (ec == std::errc() && end == s.text.data() + s.text.size() && std::isfinite(d)) return d;
      return s.text;  // .inf, .nan: JSON has no such numbers
    }
    case Scalar::String: break;
  }
  return s.text;
}

std::string position(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

// RFC 6901: "/spec/containers/0/name", "~1" for '/' in a key.
std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

std::string pointer(const std::vector<std::string>& at) {
  std::string out;
  for (const auto& token : at) out += "/" + pointer_token(token);
  return out;
}

bool before(const YAML::Mark& a, const YAML::Mark& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

// Nested deeper than any Kubernetes object (or an alias loop): refused before it is walked.
constexpr int kMaxDepth = 64;

// One document: turned into JSON for the schema walker, remembering where each key and value was
// written, so that the walker's problems (which name JSON paths) get their file positions.
class Document {
 public:
  // values: how many values the file has produced so far, shared by its documents.
  Document(const std::string& file, const YAML::Node& doc, size_t& values) : file_(file), values_(&values) {
    value_marks_[""] = doc.Mark();
  }

  std::string who;  // `Deployment "my-nginx": `

  std::unexpected<Error> error(const YAML::Mark& m, const std::string& path, const std::string& msg) const {
    return fail(position(file_, m) + who + (path.empty() ? "" : path + ": ") + msg);
  }

  bool written(const std::string& ptr) const { return value_marks_.contains(ptr); }

  // Where the value at ptr (or the nearest thing around it that was written) starts.
  YAML::Mark mark(std::string ptr) const {
    for (;;) {
      if (auto it = value_marks_.find(ptr); it != value_marks_.end()) return it->second;
      if (ptr.empty()) return YAML::Mark();  // not reached: the document's own mark is ""
      ptr.resize(std::min(ptr.size(), ptr.rfind('/')));
    }
  }

  Result<json> convert(const YAML::Node& n, const std::string& ptr, const std::string& path, int depth) {
    if (depth > kMaxDepth) return error(n.Mark(), path, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    // Aliases are shared nodes in YAML but copies in JSON: a few lines of anchors can stand for
    // billions of values, so the whole file has a budget.
    if (++*values_ > kMaxScenarioValues)
      return error(n.Mark(), path, "too many values: a scenario holds at most " + std::to_string(kMaxScenarioValues) +
                                       " (scalars, lists and mappings; an alias counts each time it is used)");
    if (n.IsSequence()) {
      json out = json::array();
      for (size_t i = 0; i < n.size(); ++i) {
        const std::string p = ptr + "/" + std::to_string(i);
        value_marks_[p] = n[i].Mark();
        auto item = convert(n[i], p, path + "[" + std::to_string(i) + "]", depth + 1);
        if (!item) return item;
        out.push_back(std::move(*item));
      }
      return out;
    }
    if (!n.IsMap()) {
      if (n.IsScalar() && !valid_utf8(n.Scalar())) return error(n.Mark(), path, "not valid UTF-8");
      return scalar_value(n);
    }
    json out = json::object();
    std::map<std::string, YAML::Mark> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node &key = it->first, &value = it->second;
      if (!key.IsScalar()) return error(key.Mark(), path, "expected a field name, got " + describe(key));
      const std::string& name = key.Scalar();
      if (!valid_utf8(name)) return error(key.Mark(), path, "a field name that is not valid UTF-8");
      const std::string p = ptr + "/" + pointer_token(name), child = path.empty() ? name : path + "." + name;
      if (auto [first, fresh] = seen.emplace(name, key.Mark()); !fresh)
        return error(key.Mark(), child, "duplicate field (first at line " + std::to_string(first->second.line + 1) + ")");
      key_marks_[p] = key.Mark();
      value_marks_[p] = value.IsNull() ? key.Mark() : value.Mark();
      if (value.IsNull()) empty_.insert(p);
      auto converted = convert(value, p, child, depth + 1);
      if (!converted) return converted;
      out[name] = std::move(*converted);
    }
    return out;
  }

  // The walker's first problem in file order, worded for a file: its position, the field, and
  // Kubernetes' words, with what YAML adds (a number that wants quotes, a field left empty).
  std::unexpected<Error> report(std::vector<schema::Issue> issues, const json& object) const {
    std::stable_sort(issues.begin(), issues.end(),
                     [&](const schema::Issue& a, const schema::Issue& b) { return before(order(a), order(b)); });
    const schema::Issue& i = issues.front();
    return error(where(i), i.field, words(i, object));
  }

 private:
  YAML::Mark where(const schema::Issue& i) const {
    const std::string ptr = pointer(i.at);
    if (auto it = key_marks_.find(ptr); i.at_key && it != key_marks_.end()) return it->second;
    return mark(ptr);
  }

  // The walker reads an object's fields, then checks what it requires and runs its hook: those
  // problems come after everything written inside the object.
  YAML::Mark order(const schema::Issue& i) const {
    if (!i.scope) return where(i);
    const std::string scope = pointer(*i.scope);
    YAML::Mark last = mark(scope);
    for (const auto* marks : {&value_marks_, &key_marks_})
      for (auto it = marks->lower_bound(scope); it != marks->end() && it->first.starts_with(scope); ++it)
        if ((it->first.size() == scope.size() || it->first[scope.size()] == '/') && before(last, it->second))
          last = it->second;
    return last;
  }

  std::string words(const schema::Issue& i, const json& object) const {
    using Cause = schema::Issue::Cause;
    if (i.cause == Cause::Missing)
      return empty_.contains(pointer(i.at)) ? "required field is empty" : "required field missing";
    if (i.cause == Cause::Unknown) return "unknown field (expected one of: " + i.expected + ")";
    if (i.cause != Cause::Type) return i.detail;
    const json* v = &object;
    for (const auto& token : i.at) {
      if (v->is_object() && v->contains(token)) v = &(*v)[token];
      else if (auto n = parse_number<size_t>(token); v->is_array() && n && *n < v->size()) v = &(*v)[*n];
      else return i.detail;
    }
    if (i.wanted == schema::Type::String && (v->is_number() || v->is_boolean())) return i.detail + " (quote it)";
    if ((i.wanted == schema::Type::Int || i.wanted == schema::Type::Int64) && v->is_string()) {
      std::string_view text = v->get_ref<const std::string&>();
      if (text.starts_with('-') || text.starts_with('+')) text.remove_prefix(1);
      if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return i.detail + " (remove the quotes)";
    }
    return i.detail;
  }

  const std::string& file_;
  size_t* values_;
  std::map<std::string, YAML::Mark> value_marks_, key_marks_;  // JSON pointer -> where it starts
  std::set<std::string> empty_;                                // fields written with no value
};

struct KindInfo {
  std::string_view kind, api_version;
  const ObjectSchema* schema;
};
const KindInfo kKinds[] = {
    {"Lab", "lab.dev/v1alpha1", &schema::kLabDocument},
    {"Pod", "v1", &schema::kPodDocument},
    {"Deployment", "apps/v1", &schema::kDeploymentDocument},
    {"Service", "v1", &schema::kServiceDocument},
    {"Secret", "v1", &schema::kSecretDocument},
    {"ConfigMap", "v1", &schema::kConfigMapDocument},
    {"Namespace", "v1", &schema::kNamespaceDocument},
    {"ServiceAccount", "v1", &schema::kServiceAccountDocument},
    // A Service without a selector gets its endpoints from these, written by hand.
    {"Endpoints", "v1", &schema::kEndpointsDocument},
    {"EndpointSlice", "discovery.k8s.io/v1", &schema::kEndpointSliceDocument},
};

// "Lab, Pod, Deployment, Service", for messages that list what a scenario may hold.
std::string kind_names() {
  std::string out;
  for (const KindInfo& k : kKinds) out += (out.empty() ? "" : ", ") + std::string(k.kind);
  return out;
}

// A mapping's value by key, without yaml-cpp's operator[] (which may add to a non-const node).
YAML::Node get(const YAML::Node& map, std::string_view key) {
  if (map.IsMap())
    for (auto it = map.begin(); it != map.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  return YAML::Node(YAML::NodeType::Undefined);
}

SourcePos pos_of(const Document& d, const std::string& ptr) {
  if (!d.written(ptr)) return {};
  const YAML::Mark m = d.mark(ptr);
  return {m.line + 1, m.column + 1};
}

void fill_lab(LabSpec& lab, const json& doc, const Document* d) {
  const json& spec = doc["spec"];
  lab.name = doc.contains("metadata") ? doc["metadata"].value("name", "") : "";
  lab.nodes = spec["nodes"].get<std::vector<std::string>>();
  lab.pod_cidr = spec["podCIDR"].get<std::string>();
  lab.service_cidr = spec["serviceCIDR"].get<std::string>();
  lab.node_cidr = spec["nodeCIDR"].get<std::string>();
  lab.lb_pool = spec["loadBalancerPool"].get<std::string>();
  if (spec.contains("podEvictionTimeoutSeconds"))
    lab.pod_eviction_timeout_seconds = spec["podEvictionTimeoutSeconds"].get<int>();
  if (!d) return;
  lab.node_cidr_explicit = d->written("/spec/nodeCIDR");
  lab.lb_pool_explicit = d->written("/spec/loadBalancerPool");
  lab.node_cidr_pos = pos_of(*d, "/spec/nodeCIDR");
  lab.lb_pool_pos = pos_of(*d, "/spec/loadBalancerPool");
  lab.pod_cidr_pos = pos_of(*d, "/spec/podCIDR");
  lab.service_cidr_pos = pos_of(*d, "/spec/serviceCIDR");
}

// The rules that need the whole file: NodePorts and ClusterIPs are allocated once per lab, so two
// Services may not ask for the same one; and for `lab up`, the lab the Lab document describes must
// hold what the objects ask for. All in the allocator's words, with the line, before anything
// exists (the registry would refuse them only after the network was built).
Result<void> check_across(const Scenario& s, const std::vector<Document>& docs, ScenarioUse use) {
  std::map<int64_t, std::pair<size_t, std::string>> node_ports;  // 30080 -> (object, `Service "a" at line 12`)
  std::map<std::string, std::string> cluster_ips;   // "10.96.0.50" -> the same
  const auto service_cidr = net::Cidr::parse(s.lab.service_cidr);
  // A new lab has the system namespaces and those its Namespace documents make (created first,
  // wherever they stand in the file); an object anywhere else would be refused by the API server.
  std::set<std::string> namespaces{"default", "kube-system", "kube-public", "kube-node-lease"};
  for (const json& obj : s.objects)
    if (string_at(obj, "kind") == "Namespace") namespaces.insert(string_at(metadata_of(obj), "name"));
  for (size_t i = 0; i < s.objects.size(); ++i) {
    const json& obj = s.objects[i];
    const Document& d = docs[i];
    // The walker checked every object, so these are there; read safely all the same.
    const std::string kind = string_at(obj, "kind");
    auto by = [&](const std::string& ptr) {
      return "by " + kind + " " + quote(string_at(metadata_of(obj), "name")) + " at line " +
             std::to_string(d.mark(ptr).line + 1);
    };
    if (const std::string ns = string_at(metadata_of(obj), "namespace");
        use == ScenarioUse::Up && kind != "Namespace" && !namespaces.contains(ns))
      return d.error(d.mark("/metadata/namespace"), "metadata.namespace",
                     "namespaces " + quote(ns) + " not found (a scenario makes one with a Namespace document: "
                     "apiVersion: v1, kind: Namespace, metadata.name: " + ns + ")");
    const json& spec = member(obj, "spec");
    if (kind == "Service") {
      const json& ports = member(spec, "ports");
      for (size_t p = 0; ports.is_array() && p < ports.size(); ++p) {
        const json& port_json = member(ports[p], "nodePort");
        if (!port_json.is_number_integer()) continue;
        const std::string ptr = "/spec/ports/" + std::to_string(p) + "/nodePort";
        const int64_t port = port_json.get<int64_t>();
        // One Service may use a number for several of its ports (80/TCP and 80/UDP); the API
        // server's allocator judges those, and validation refuses one number twice per protocol.
        if (auto [it, fresh] = node_ports.emplace(port, std::make_pair(i, by(ptr))); !fresh && it->second.first != i)
          return d.error(d.mark(ptr), "spec.ports[" + std::to_string(p) + "].nodePort",
                         "Invalid value: " + std::to_string(port) + ": provided port is already allocated (" +
                             it->second.second + ")");
      }
      const std::string ip = string_at(spec, "clusterIP");
      if (ip.empty() || ip == "None") continue;
      const bool written = d.written("/spec/clusterIP");
      const std::string ptr = written ? "/spec/clusterIP" : "/spec/clusterIPs/0";
      const std::string field = written ? "spec.clusterIP" : "spec.clusterIPs[0]";
      const std::string what = "Invalid value: " + quote(ip) + ": failed to allocate IP " + ip + ": ";
      auto addr = net::Ipv4::parse(ip);
      if (use == ScenarioUse::Up && addr && service_cidr && !service_cidr->contains(*addr))
        return d.error(d.mark(ptr), field,
                       what + "the provided IP (" + ip + ") is not in the valid range. The range of valid IPs is " +
                           service_cidr->str() + " (spec.serviceCIDR of the Lab)");
      if (auto [it, fresh] = cluster_ips.emplace(ip, by(ptr)); !fresh)
        return d.error(d.mark(ptr), field, what + "provided IP is already allocated (" + it->second + ")");
    }
    if (use != ScenarioUse::Up || (kind != "Pod" && kind != "Deployment")) continue;
    const bool pod = kind == "Pod";
    const std::string node = string_at(pod ? spec : member(member(spec, "template"), "spec"), "nodeName");
    const auto& nodes = s.lab.nodes;
    if (node.empty() || std::find(nodes.begin(), nodes.end(), node) != nodes.end()) continue;
    std::string list;
    for (const auto& n : nodes) list += (list.empty() ? "" : ", ") + n;
    return d.error(d.mark(pod ? "/spec/nodeName" : "/spec/template/spec/nodeName"),
                   pod ? "spec.nodeName" : "spec.template.spec.nodeName",
                   "Invalid value: " + quote(node) + ": not a node of this lab (nodes: " + list + ")");
  }
  return {};
}

Result<Scenario> parse_documents(const std::vector<YAML::Node>& docs, const std::string& filename, ScenarioUse use) {
  Scenario out;
  out.file = filename;
  std::optional<int> lab_line;
  std::map<std::string, int> first_line;  // "Deployment default/my-nginx" -> line
  std::vector<Document> kept;             // out.objects[i] was read from kept[i]
  size_t values = 0, count = 0;
  for (const YAML::Node& doc : docs)  // counted before any is read, so the refusal is immediate
    if (!doc.IsNull() && ++count > kMaxScenarioDocuments)
      return fail(position(filename, doc.Mark()) + "too many documents: a scenario holds at most " +
                  std::to_string(kMaxScenarioDocuments) + " (a Deployment's replicas make many pods from one)");
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // "---" at the end, or a document of comments
    Document w(filename, doc, values);
    if (!doc.IsMap())
      return w.error(doc.Mark(), "", "expected a mapping (the Lab document or a Kubernetes object), got " + describe(doc));

    const YAML::Node kind = get(doc, "kind"), api = get(doc, "apiVersion"), name = get(get(doc, "metadata"), "name");
    if (!kind.IsDefined() || kind.IsNull())
      return w.error(doc.Mark(), "kind", "required field missing (expected one of: " + kind_names() + ")");
    if (!kind.IsScalar() || resolve(kind).kind != Scalar::String)
      return w.error(kind.Mark(), "kind", "expected a string, got " + describe(kind));
    const KindInfo* info = nullptr;
    for (const KindInfo& k : kKinds)
      if (k.kind == kind.Scalar()) info = &k;
    if (!info)
      return w.error(kind.Mark(), "", "kind " + quote(kind.Scalar()) + " is not supported (supported: " + kind_names() + ")");
    w.who = kind.Scalar() + (name.IsScalar() ? " " + quote(name.Scalar()) : "") + ": ";

    const std::string want = "\"" + std::string(info->api_version) + "\"";
    if (!api.IsDefined() || api.IsNull()) {
      if (info->kind != "Lab") return w.error(doc.Mark(), "apiVersion", "required field missing (expected " + want + ")");
    } else if (!api.IsScalar() || api.Scalar() != info->api_version) {
      return w.error(api.Mark(), "apiVersion",
                     "expected " + want + " for kind " + std::string(info->kind) + ", got " + describe(api));
    }
    if (info->kind == "Lab" && lab_line)
      return w.error(kind.Mark(), "", "a scenario holds at most one Lab document (another starts at line " +
                                          std::to_string(*lab_line) + ")");

    auto object = w.convert(doc, "", "", 0);
    if (!object) return std::unexpected(object.error());
    if (auto issues = schema::walk(*object, *info->schema, schema::Mode::File); !issues.empty())
      return w.report(std::move(issues), *object);

    if (info->kind == "Lab") {
      lab_line = doc.Mark().line + 1;
      fill_lab(out.lab, *object, &w);
      continue;
    }
    const json& meta = (*object)["metadata"];
    const std::string id = std::string(info->kind) + " " + string_at(meta, "namespace") + "/" + string_at(meta, "name");
    const YAML::Mark at = w.mark("/metadata/name");
    if (auto [first, fresh] = first_line.emplace(id, at.line + 1); !fresh)
      return w.error(at, "metadata.name",
                     "duplicate " + id + " (first defined at line " + std::to_string(first->second) + ")");
    out.objects.push_back(std::move(*object));
    kept.push_back(std::move(w));
  }
  if (!lab_line) {  // no Lab document: every default
    json doc = json::object();
    (void)schema::kLabDocument.finish(doc);  // defaults alone always fit
    fill_lab(out.lab, doc, nullptr);
  }
  if (auto r = check_across(out, kept, use); !r) return std::unexpected(r.error());
  return out;
}

std::unexpected<Error> too_big(const std::string& file) {
  return fail(file + ": too large: a scenario holds at most " + std::to_string(kMaxScenarioBytes / (1024 * 1024)) +
              " MiB (" + std::to_string(kMaxScenarioBytes) + " bytes), as the API takes in one request");
}

}  // namespace

Result<Scenario> parse_scenario(const std::string& text, const std::string& filename, ScenarioUse use) {
  if (text.size() > kMaxScenarioBytes) return too_big(filename);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return fail(position(filename, e.mark) + "YAML syntax error: " + e.msg);
  }
  try {
    return parse_documents(docs, filename, use);
  } catch (const std::exception& e) {  // yaml-cpp or json misuse: still a value, not a crash
    return fail(filename + ": internal error while reading the scenario: " + e.what());
  }
}

Result<Scenario> load_scenario(const std::string& path, ScenarioUse use) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail_errno("cannot read " + path);
  std::string text;
  char buf[65536];
  size_t n;
  // Past the limit reading stops: /dev/zero or a 50 MB file is refused at once.
  while (text.size() <= kMaxScenarioBytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f);
  const int saved = errno;
  std::fclose(f);
  if (failed) return fail("cannot read " + path, saved);
  if (text.size() > kMaxScenarioBytes) return too_big(path);
  return parse_scenario(text, path, use);
}

}  // namespace lab::api
