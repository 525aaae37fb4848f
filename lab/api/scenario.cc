// Scenario files to validated objects: each YAML document is walked against the schema tables, so
// every error can name the file position, the object and the field path, and say what was expected.
#include "lab/api/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <regex>

#include "lab/api/schema.h"

namespace lab::api {
namespace {

using nlohmann::json;
using schema::Field;
using schema::ObjectSchema;
using schema::Type;

// A YAML scalar resolved as Kubernetes' YAML reader (YAML 1.1) does: plain `80` is a number, plain
// `true` or `yes` a bool, anything quoted a string. yaml-cpp tags quoted scalars "!", plain ones "?".
struct Scalar {
  enum Kind { Null, Bool, Int, Float, String } kind = String;
  std::string text{};
  bool quoted = false;
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
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") {
    s.quoted = n.Tag() == "!";
    return s;
  }
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

// For "got ...": strings quoted, other scalars as written.
std::string describe(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  Scalar s = resolve(n);
  if (s.kind == Scalar::Null) return "null";
  return s.kind == Scalar::String ? json(s.text).dump() : s.text;
}

std::string join(const std::string& path, std::string_view name) {
  if (name.empty()) return path;  // a hook's problem with the object itself
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}
std::string index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "". Map keys in [...] may hold dots, so a path that ends
// in "]" loses the whole bracket.
std::string parent(const std::string& path) {
  size_t cut = path.ends_with(']') ? path.rfind('[') : path.find_last_of(".[");
  return cut == std::string::npos ? "" : path.substr(0, cut);
}

std::string position(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

// Walks one document. Remembers where each field's value was written, so that hooks, which see
// only JSON, still get their errors placed.
class Walker {
 public:
  Walker(const std::string& file, const YAML::Node& doc) : file_(file) { marks[""] = doc.Mark(); }

  std::string who;                           // `Deployment "my-nginx": `
  std::map<std::string, YAML::Mark> marks;   // field path -> where its value starts

  std::unexpected<Error> error(const YAML::Mark& m, const std::string& path, const std::string& msg) const {
    return fail(position(file_, m) + who + (path.empty() ? "" : path + ": ") + msg);
  }
  std::unexpected<Error> error(const std::string& path, const std::string& msg) const {
    std::string at = path;
    while (!marks.contains(at)) at = parent(at);
    return error(marks.at(at), path, msg);
  }

  Result<json> object(const YAML::Node& n, const ObjectSchema& schema, const std::string& path) {
    if (!n.IsMap()) return error(n.Mark(), path, "expected a mapping, got " + describe(n));
    json out = json::object();
    std::map<std::string, YAML::Mark> seen;  // keys, also those with empty values
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node &key = it->first, &value = it->second;
      if (!key.IsScalar()) return error(key.Mark(), path, "expected a field name, got " + describe(key));
      const std::string p = join(path, key.Scalar());
      if (auto [first, fresh] = seen.emplace(key.Scalar(), key.Mark()); !fresh)
        return error(key.Mark(), p, "duplicate field (first at line " + std::to_string(first->second.line + 1) + ")");
      const Field* f = nullptr;
      for (const Field& candidate : schema.fields)
        if (candidate.name == key.Scalar()) f = &candidate;
      if (!f) return error(key.Mark(), p, "unknown field (expected one of: " + field_names(schema) + ")");
      if (f->type == Type::Unsupported)
        return error(key.Mark(), p, "not supported yet" + (f->note.empty() ? "" : " (" + std::string(f->note) + ")"));
      if (f->type == Type::Ignored || value.IsNull()) continue;  // `field:` alone means absent, as in Kubernetes
      marks[p] = value.Mark();
      auto converted = field(value, *f, p);
      if (!converted) return std::unexpected(converted.error());
      out[key.Scalar()] = std::move(*converted);
    }
    for (const Field& f : schema.fields) {
      if (!f.required || out.contains(f.name)) continue;
      auto empty = seen.find(std::string(f.name));
      if (empty != seen.end()) return error(empty->second, join(path, f.name), "required field is empty");
      return error(n.Mark(), join(path, f.name), "required field missing");
    }
    if (schema.finish)
      if (auto problem = schema.finish(out)) return error(join(path, problem->path), problem->message);
    return out;
  }

 private:
  static std::string field_names(const ObjectSchema& schema) {
    std::vector<std::string_view> names;
    for (const Field& f : schema.fields) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
  }

  Result<json> field(const YAML::Node& n, const Field& f, const std::string& path) {
    switch (f.type) {
      case Type::Object:
        return object(n, *f.object, path);
      case Type::ObjectList:
      case Type::StringList: {
        if (!n.IsSequence()) return error(n.Mark(), path, "expected a list, got " + describe(n));
        json out = json::array();
        for (size_t i = 0; i < n.size(); ++i) {
          const std::string p = index(path, i);
          marks[p] = n[i].Mark();
          auto item = f.type == Type::ObjectList ? object(n[i], *f.object, p) : scalar(n[i], f, Type::String, p);
          if (!item) return item;
          out.push_back(std::move(*item));
        }
        return out;
      }
      case Type::StringMap:
      case Type::QuantityMap: {
        if (!n.IsMap()) return error(n.Mark(), path, "expected a mapping, got " + describe(n));
        json out = json::object();
        for (auto it = n.begin(); it != n.end(); ++it) {
          if (!it->first.IsScalar()) return error(it->first.Mark(), path, "expected a key, got " + describe(it->first));
          const std::string key = it->first.Scalar(), p = path + "[" + key + "]";
          if (out.contains(key)) return error(it->first.Mark(), p, "duplicate key");
          if (f.key_check)
            if (std::string problem = f.key_check(json(key)); !problem.empty())
              return error(it->first.Mark(), p, problem);
          marks[p] = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
          auto value = scalar(it->second, f, f.type == Type::StringMap ? Type::String : Type::Quantity, p);
          if (!value) return value;
          out[key] = std::move(*value);
        }
        return out;
      }
      case Type::IntOrStringList:
        if (n.IsSequence()) return field(n, Field{.name = f.name, .type = Type::StringList, .check = f.check}, path);
        return scalar(n, f, Type::Int, path);
      default:
        return scalar(n, f, f.type, path);
    }
  }

  // One scalar of type `type`, then the field's enum and check.
  Result<json> scalar(const YAML::Node& n, const Field& f, Type type, const std::string& path) {
    Result<json> v = convert(n, type, path);
    if (!v) return v;
    if (!f.values.empty() && std::find(f.values.begin(), f.values.end(), v->get<std::string>()) == f.values.end()) {
      std::string allowed;
      for (auto value : f.values) allowed += (allowed.empty() ? "" : ", ") + std::string(value);
      return error(n.Mark(), path, "unsupported value " + v->dump() + " (expected one of: " + allowed + ")");
    }
    if (f.check)
      if (std::string problem = f.check(*v); !problem.empty()) return error(n.Mark(), path, problem);
    return v;
  }

  Result<json> convert(const YAML::Node& n, Type type, const std::string& path) {
    const Scalar s = n.IsScalar() || n.IsNull() ? resolve(n) : Scalar{.kind = Scalar::Null};
    const std::string got = describe(n);
    switch (type) {
      case Type::String:
        if (n.IsScalar() && s.kind == Scalar::String) return json(s.text);
        return error(n.Mark(), path, "expected a string, got " + got + (n.IsScalar() ? " (quote it)" : ""));
      case Type::Int:
        if (n.IsScalar() && s.kind == Scalar::Int && !s.overflow) return json(s.integer);
        if (s.overflow) return error(n.Mark(), path, "integer out of range: " + got);
        if (s.quoted && std::regex_match(s.text, std::regex("[-+]?[0-9]+")))
          return error(n.Mark(), path, "expected an integer, got " + got + " (remove the quotes)");
        return error(n.Mark(), path, "expected an integer, got " + got);
      case Type::Bool:
        if (n.IsScalar() && s.kind == Scalar::Bool) return json(s.boolean);
        return error(n.Mark(), path, "expected true or false, got " + got);
      case Type::IntOrString:
        if (n.IsScalar() && s.kind == Scalar::Int && !s.overflow) return json(s.integer);
        if (n.IsScalar() && s.kind == Scalar::String) return json(s.text);
        return error(n.Mark(), path, "expected an integer or a string, got " + got);
      case Type::Quantity: {
        static const std::regex quantity("\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?");
        if (n.IsScalar() && s.kind != Scalar::Bool && std::regex_match(s.text, quantity)) return json(s.text);
        return error(n.Mark(), path, "expected a quantity such as 500m, 0.5, 128Mi or 1Gi, got " + got);
      }
      default:
        return error(n.Mark(), path, "internal: no scalar conversion");  // not reached: the table's types
    }
  }

  const std::string& file_;
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

SourcePos pos_of(const Walker& w, const std::string& path) {
  auto it = w.marks.find(path);
  if (it == w.marks.end()) return {};
  return {it->second.line + 1, it->second.column + 1};
}

void fill_lab(LabSpec& lab, const json& doc, const Walker* w) {
  const json& spec = doc["spec"];
  lab.name = doc.contains("metadata") ? doc["metadata"].value("name", "") : "";
  lab.nodes = spec["nodes"].get<std::vector<std::string>>();
  lab.pod_cidr = spec["podCIDR"].get<std::string>();
  lab.service_cidr = spec["serviceCIDR"].get<std::string>();
  lab.node_cidr = spec["nodeCIDR"].get<std::string>();
  lab.lb_pool = spec["loadBalancerPool"].get<std::string>();
  if (!w) return;
  lab.node_cidr_explicit = w->marks.contains("spec.nodeCIDR");
  lab.lb_pool_explicit = w->marks.contains("spec.loadBalancerPool");
  lab.node_cidr_pos = pos_of(*w, "spec.nodeCIDR");
  lab.lb_pool_pos = pos_of(*w, "spec.loadBalancerPool");
}

Result<Scenario> parse_documents(const std::vector<YAML::Node>& docs, const std::string& filename) {
  Scenario out;
  out.file = filename;
  std::optional<int> lab_line;
  std::map<std::string, int> first_line;  // "Deployment default/my-nginx" -> line
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // "---" at the end, or a document of comments
    Walker w(filename, doc);
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
      return w.error(kind.Mark(), "", "kind \"" + kind.Scalar() + "\" is not supported (supported: " + kind_names() + ")");
    w.who = kind.Scalar() + (name.IsScalar() ? " " + json(name.Scalar()).dump() : "") + ": ";

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

    auto object = w.object(doc, *info->schema, "");
    if (!object) return std::unexpected(object.error());

    if (info->kind == "Lab") {
      lab_line = doc.Mark().line + 1;
      fill_lab(out.lab, *object, &w);
      continue;
    }
    const json& meta = (*object)["metadata"];
    const std::string id = std::string(info->kind) + " " + meta["namespace"].get<std::string>() + "/" +
                           meta["name"].get<std::string>();
    if (auto [first, fresh] = first_line.emplace(id, w.marks["metadata.name"].line + 1); !fresh)
      return w.error("metadata.name", "duplicate " + id + " (first defined at line " + std::to_string(first->second) + ")");
    out.objects.push_back(std::move(*object));
  }
  if (!lab_line) {  // no Lab document: every default
    json doc = json::object();
    (void)schema::kLabDocument.finish(doc);  // defaults alone always fit
    fill_lab(out.lab, doc, nullptr);
  }
  return out;
}

}  // namespace

Result<Scenario> parse_scenario(const std::string& text, const std::string& filename) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return fail(position(filename, e.mark) + "YAML syntax error: " + e.msg);
  }
  try {
    return parse_documents(docs, filename);
  } catch (const std::exception& e) {  // yaml-cpp or json misuse: still a value, not a crash
    return fail(filename + ": internal error while reading the scenario: " + e.what());
  }
}

Result<Scenario> load_scenario(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail_errno("cannot read " + path);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f);
  const int saved = errno;
  std::fclose(f);
  if (failed) return fail("cannot read " + path, saved);
  return parse_scenario(text, path);
}

}  // namespace lab::api
