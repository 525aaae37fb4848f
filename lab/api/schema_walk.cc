// The walker over the schema tables: JSON types, enums, value checks, required fields, unknown
// fields, then each object's hook (defaults and rules across fields) once its fields are sound.
// Problems are collected, not thrown, and worded as apimachinery's field errors.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "lab/api/schema_rules.h"
#include "lab/base/parse.h"

namespace lab::api::schema {

namespace {

constexpr size_t kShowLimit = 200;  // characters of a value in a message
constexpr int kShowDepth = 4;

std::string dump_string(const std::string& s) {
  if (s.size() <= kShowLimit) return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string cut = json(s.substr(0, kShowLimit)).dump(-1, ' ', false, json::error_handler_t::replace);
  cut.insert(cut.size() - 1, "...");
  return cut;
}

// Compact JSON, cut short past kShowLimit characters or kShowDepth levels, so that a message
// never grows with the body (nor recurses as deep as it does).
void render(const json& v, std::string& out, int depth) {
  if (v.is_string()) {
    out += dump_string(v.get_ref<const std::string&>());
    return;
  }
  if (!v.is_structured()) {
    out += v.dump();
    return;
  }
  const bool object = v.is_object();
  if (depth >= kShowDepth) {
    out += object ? "{...}" : "[...]";
    return;
  }
  out += object ? '{' : '[';
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (out.size() > kShowLimit) {
      out += ",...";
      break;
    }
    if (!first) out += ',';
    first = false;
    if (object) out += dump_string(it.key()) + ":";
    render(it.value(), out, depth + 1);
  }
  out += object ? '}' : ']';
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// Kubernetes' quantity syntax as lab reads it: 500m, 0.5, 1e3, 128Mi, 1Gi (no sign but '+').
bool is_quantity(std::string_view s) {
  size_t i = 0, digits = 0;
  if (i < s.size() && s[i] == '+') ++i;
  for (; i < s.size() && digit(s[i]); ++i) ++digits;
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && digit(s[i]); ++i) ++digits;
  if (digits == 0) return false;
  std::string_view rest = s.substr(i);
  if (rest.empty()) return true;
  if (rest.size() == 1 && std::string_view("numkMGTPE").find(rest[0]) != std::string_view::npos) return true;
  if (rest.size() == 2 && rest[1] == 'i' && std::string_view("KMGTPE").find(rest[0]) != std::string_view::npos)
    return true;
  if (rest[0] != 'e' && rest[0] != 'E') return false;
  size_t j = 1;
  if (j < rest.size() && (rest[j] == '+' || rest[j] == '-')) ++j;
  if (j == rest.size()) return false;
  return std::all_of(rest.begin() + static_cast<long>(j), rest.end(), digit);
}

// RFC 3339 as metav1.Time reads it: 2006-01-02T15:04:05Z, with optional fraction and offset.
bool is_timestamp(std::string_view s) {
  auto num = [&](size_t at, size_t n, int max) {
    if (at + n > s.size()) return false;
    int value = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!digit(s[i])) return false;
      value = value * 10 + (s[i] - '0');
    }
    return value <= max;
  };
  if (s.size() < 20 || !num(0, 4, 9999) || s[4] != '-' || !num(5, 2, 12) || s[7] != '-' || !num(8, 2, 31) ||
      (s[10] != 'T' && s[10] != 't') || !num(11, 2, 23) || s[13] != ':' || !num(14, 2, 59) || s[16] != ':' ||
      !num(17, 2, 60))
    return false;
  size_t i = 19;
  if (s[i] == '.') {
    const size_t start = ++i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == s.size();
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    return i + 6 == s.size() && num(i + 1, 2, 23) && s[i + 3] == ':' && num(i + 4, 2, 59);
  return false;
}

std::string words(Type t) {
  switch (t) {
    case Type::String: return "a string";
    case Type::Int:
    case Type::Int64: return "an integer";
    case Type::Bool: return "true or false";
    case Type::IntOrString: return "an integer or a string";
    case Type::Quantity: return "a quantity such as 500m, 0.5, 128Mi or 1Gi";
    case Type::Timestamp: return "a time such as \"2006-01-02T15:04:05Z\" (RFC 3339)";
    case Type::StringList: return "a list of strings";
    case Type::Int64List: return "a list of integers";
    case Type::StringMap: return "an object of strings";
    case Type::QuantityMap: return "an object of quantities";
    case Type::Object: return "an object";
    case Type::ObjectList: return "a list of objects";
    case Type::IntOrStringList: return "a count or a list of names";
    case Type::Unsupported: break;
  }
  return "absent";
}

// `"A", "B", "C"`, sorted, as apimachinery lists supported values.
std::string quoted_list(const std::vector<std::string_view>& values) {
  std::vector<std::string_view> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (auto v : sorted) out += (out.empty() ? "\"" : ", \"") + std::string(v) + "\"";
  return out;
}

// Where a problem is: "spec.ports[0].port", and the same as JSON pointer tokens.
struct Where {
  std::string text;
  std::vector<std::string> at;

  void field(std::string_view name) {
    text += text.empty() ? std::string(name) : "." + std::string(name);
    at.emplace_back(name);
  }
  // An index ("0") or a map key ("run"), both written in brackets.
  void item(std::string_view key) {
    text += "[" + std::string(key) + "]";
    at.emplace_back(key);
  }
};

// Where a value being checked is: a link to its parent's Path, which lives on the walker's stack
// as long as the value's check does. Every value of every write gets one, and only a problem
// needs its text (where()), so a sound object costs no strings here.
struct Path {
  static constexpr size_t kNoIndex = SIZE_MAX;
  const Path* parent = nullptr;  // nullptr: the object itself
  std::string_view name;         // a field's name or a map key
  size_t index = kNoIndex;       // a list's index
  bool bracket = false;          // an index or a map key

  Path field(std::string_view n) const { return Path{this, n, kNoIndex, false}; }
  Path item(std::string_view key) const { return Path{this, key, kNoIndex, true}; }
  Path index_at(size_t i) const { return Path{this, {}, i, true}; }

  Where where() const {
    std::vector<const Path*> chain;
    for (const Path* p = this; p->parent; p = p->parent) chain.push_back(p);
    Where w;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Path& p = **it;
      const std::string part = p.index != kNoIndex ? std::to_string(p.index) : std::string(p.name);
      if (p.bracket) w.item(part);
      else w.field(part);
    }
    return w;
  }
};

// A hook's relative path ("ports[1].nodePort") from `base`, and the value it names in `object`
// (nullptr when absent).
std::pair<Where, const json*> follow(const Path& base, const json& object, const std::string& rel) {
  Where w = base.where();
  const json* v = &object;
  for (size_t i = 0; i < rel.size();) {
    if (rel[i] == '.') {
      ++i;
      continue;
    }
    const bool bracket = rel[i] == '[';
    const size_t end = bracket ? rel.find(']', i) : rel.find_first_of(".[", i);
    const std::string part = bracket ? rel.substr(i + 1, end - i - 1) : rel.substr(i, end - i);
    if (bracket) w.item(part);
    else w.field(part);
    if (v && v->is_object() && v->contains(part)) {
      v = &(*v)[part];
    } else if (auto n = parse_number<size_t>(part); v && v->is_array() && bracket && n && *n < v->size()) {
      v = &(*v)[*n];
    } else {
      v = nullptr;
    }
    i = end == std::string::npos ? rel.size() : end + (bracket ? 1 : 0);
  }
  return {w, v};
}

class Walker {
 public:
  explicit Walker(Mode mode) : mode_(mode) {}

  std::vector<Issue> issues;

  // Returns whether the object and everything in it checked out.
  bool object(json& o, const ObjectSchema& s, const Path& path) {
    const size_t before = issues.size();
    std::vector<std::string> dropped;  // erased once the loop is done with the iterators
    for (auto it = o.begin(); it != o.end(); ++it) {
      const std::string& k = it.key();
      const Path p = path.field(k);
      const Field* f = find(s, k);
      if (!f) {
        if (s.open) continue;
        const Where w = p.where();
        Issue& i = add(w, "unknown field \"" + w.text + "\"", Issue::Cause::Unknown);
        i.at_key = true;
        if (mode_ == Mode::File) i.expected = field_names(s);
        continue;
      }
      const InFile in_file = mode_ == Mode::File ? f->in_file : InFile::Accept;
      if (in_file == InFile::Drop) {
        dropped.push_back(k);
        continue;
      }
      if (f->type == Type::Unsupported || in_file == InFile::Unsupported) {
        add(p, "Forbidden: not supported yet" + (f->note.empty() ? "" : " (" + std::string(f->note) + ")")).at_key =
            true;
        continue;
      }
      json& v = it.value();
      // `field:` alone in YAML means absent, as in Kubernetes; so does a null time (kubectl sends
      // `creationTimestamp: null`). Elsewhere the API takes null for the wrong type it is.
      if (v.is_null() && (mode_ == Mode::File || f->type == Type::Timestamp)) {
        dropped.push_back(k);
        continue;
      }
      field(v, *f, p);
    }
    for (const auto& k : dropped) o.erase(k);
    for (const Field& f : s.fields) {
      if (!f.required || !visible(f) || o.contains(f.name)) continue;
      if (!f.unless.empty() && o.contains(f.unless)) continue;
      const std::string why =
          f.unless.empty() ? "" : ": " + std::string(f.name) + " or " + std::string(f.unless) + " is required";
      add(path.field(f.name), "Required value" + why, Issue::Cause::Missing).scope = path.where().at;
    }
    if (issues.size() != before) return false;
    if (!s.finish) return true;
    auto problem = s.finish(o);
    if (!problem) return true;
    add_problem(o, path, *problem);
    return false;
  }

  bool type_error(const json& v, Type wanted, const Path& p) {
    add(p, "Invalid value: " + show(v) + ": must be " + words(wanted), Issue::Cause::Type).wanted = wanted;
    return false;
  }

 private:
  bool visible(const Field& f) const { return mode_ == Mode::Api || f.in_file != InFile::Unknown; }

  const Field* find(const ObjectSchema& s, const std::string& name) const {
    for (const Field& f : s.fields)
      if (f.name == name) return visible(f) ? &f : nullptr;
    return nullptr;
  }

  std::string field_names(const ObjectSchema& s) const {
    std::vector<std::string_view> names;
    for (const Field& f : s.fields)
      if (visible(f)) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
  }

  Issue& add(const Path& p, std::string detail, Issue::Cause cause = Issue::Cause::Value) {
    return add(p.where(), std::move(detail), cause);
  }
  Issue& add(Where w, std::string detail, Issue::Cause cause = Issue::Cause::Value) {
    Issue& i = issues.emplace_back();
    i.field = std::move(w.text);
    i.at = std::move(w.at);
    i.detail = std::move(detail);
    i.cause = cause;
    return i;
  }

  void add_problem(const json& o, const Path& path, const Problem& problem) {
    auto [p, v] = follow(path, o, problem.path);
    const std::string value = problem.value ? show(*problem.value) : show(v ? *v : json());
    const std::string more = problem.message.empty() ? "" : ": " + problem.message;
    std::string detail;
    switch (problem.type) {
      case ErrorType::Invalid: detail = "Invalid value: " + value + more; break;
      case ErrorType::Required: detail = "Required value" + more; break;
      case ErrorType::NotSupported: detail = "Unsupported value: " + value + ": supported values: " + problem.message; break;
      case ErrorType::Forbidden: detail = "Forbidden: " + problem.message; break;
      case ErrorType::Duplicate: detail = "Duplicate value: " + value + more; break;
      case ErrorType::TooLong: detail = "Too long: " + problem.message; break;
      case ErrorType::NotFound: detail = "Not found: " + value; break;
    }
    add(std::move(p), detail).scope = path.where().at;
  }

  bool field(json& v, const Field& f, const Path& p) {
    switch (f.type) {
      case Type::Object:
        if (!v.is_object()) return type_error(v, f.type, p);
        return object(v, *f.object, p);
      case Type::ObjectList:
      case Type::Int64List:
      case Type::StringList: {
        if (!v.is_array()) return type_error(v, f.type, p);
        bool ok = true;
        for (size_t i = 0; i < v.size(); ++i) {
          if (f.type == Type::StringList) ok = scalar(v[i], f, Type::String, p.index_at(i)) && ok;
          else if (f.type == Type::Int64List) ok = scalar(v[i], f, Type::Int64, p.index_at(i)) && ok;
          else if (!v[i].is_object()) ok = type_error(v[i], Type::Object, p.index_at(i));
          else ok = object(v[i], *f.object, p.index_at(i)) && ok;
        }
        return ok;
      }
      case Type::StringMap:
      case Type::QuantityMap: {
        if (!v.is_object()) return type_error(v, f.type, p);
        bool ok = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
          const Path kp = p.item(it.key());
          if (f.key_check)
            if (std::string problem = f.key_check(json(it.key())); !problem.empty()) {
              add(kp, "Invalid value: " + dump_string(it.key()) + ": " + problem).at_key = true;
              ok = false;
              continue;
            }
          ok = scalar(it.value(), f, f.type == Type::StringMap ? Type::String : Type::Quantity, kp) && ok;
        }
        return ok;
      }
      case Type::IntOrStringList:
        if (v.is_array()) return field(v, Field{.name = f.name, .type = Type::StringList, .check = f.check}, p);
        if (!v.is_number()) return type_error(v, f.type, p);
        return scalar(v, f, Type::Int, p);
      default:
        return scalar(v, f, f.type, p);
    }
  }

  // One value of type `type`, then the field's enum and check.
  bool scalar(json& v, const Field& f, Type type, const Path& p) {
    if (!convert(v, type, p)) return false;
    if (!f.values.empty() &&
        (!v.is_string() || std::find(f.values.begin(), f.values.end(), v.get_ref<const std::string&>()) == f.values.end())) {
      add(p, "Unsupported value: " + show(v) + ": supported values: " + quoted_list(f.values));
      return false;
    }
    if (f.check)
      if (std::string problem = f.check(v); !problem.empty()) {
        add(p, "Invalid value: " + show(v) + ": " + problem);
        return false;
      }
    return true;
  }

  bool convert(json& v, Type type, const Path& p) {
    switch (type) {
      case Type::String:
        if (v.is_string()) return true;
        break;
      case Type::Bool:
        if (v.is_boolean()) return true;
        break;
      case Type::IntOrString:
        if (v.is_string()) return true;
        [[fallthrough]];
      case Type::Int:
      case Type::Int64:
        if (v.is_number_integer()) return in_range(v, type == Type::Int64, p);
        break;
      case Type::Quantity:
        // A number is a quantity too; the API writes it back as a string ("0.5").
        if (v.is_number()) {
          if (std::string text = v.dump(); is_quantity(text)) {
            v = std::move(text);
            return true;
          }
        }
        if (v.is_string() && is_quantity(v.get_ref<const std::string&>())) return true;
        break;
      case Type::Timestamp:
        if (v.is_string() && is_timestamp(v.get_ref<const std::string&>())) return true;
        break;
      default:
        break;
    }
    return type_error(v, type, p);
  }

  // Most Kubernetes integers are int32; a bigger number would wrap where it is used.
  bool in_range(const json& v, bool wide, const Path& p) {
    const int64_t max = wide ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int32_t>::max();
    const int64_t min = wide ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int32_t>::min();
    if (v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(max) : v.get<int64_t>() <= max) {
      if (v.is_number_unsigned() || v.get<int64_t>() >= min) return true;
      add(p, "Invalid value: " + show(v) + ": must be no less than " + std::to_string(min));
      return false;
    }
    add(p, "Invalid value: " + show(v) + ": must be no more than " + std::to_string(max));
    return false;
  }

  Mode mode_;
};

}  // namespace

std::string show(const json& value) {
  std::string out;
  render(value, out, 0);
  return out;
}

std::vector<Issue> walk(json& object, const ObjectSchema& schema, Mode mode) {
  Walker w(mode);
  if (object.is_object()) w.object(object, schema, Path{});
  else w.type_error(object, Type::Object, Path{});
  return std::move(w.issues);
}

}  // namespace lab::api::schema
