// go-yaml v2's encoder and libyaml's scalar analysis, as far as a kubeconfig needs them.
#include "lab/cli/kubeconfig_yaml.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"  // yaml-cpp 0.7 with GCC 12, as in scenario.cc
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <regex>

namespace lab::cli {
namespace {

// go-yaml v2's resolve(): whether a plain scalar would read back as something other than a string.
bool resolves_to_non_string(const std::string& s) {
  static const char* const kSpecial[] = {
      "",     "~",     "null",  "Null",  "NULL",  "y",     "Y",     "yes",  "Yes",   "YES",   "on",    "On",
      "ON",   "true",  "True",  "TRUE",  "n",     "N",     "no",    "No",   "NO",    "off",   "Off",   "OFF",
      "false", "False", "FALSE", ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf", ".INF",  "+.inf", "+.Inf", "+.INF",
      "-.inf", "-.Inf", "-.INF", "<<"};
  for (const char* k : kSpecial)
    if (s == k) return true;
  if (s.empty() || std::string_view("+-.0123456789").find(s[0]) == std::string_view::npos) return false;
  static const std::regex kInt("[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  // isBase60Float: go-yaml quotes these (YAML 1.1 would read 1:20 as a number).
  static const std::regex kBase60("[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?");
  return std::regex_match(s, kInt) || std::regex_match(s, kFloat) || std::regex_match(s, kBase60);
}

enum class Style { Plain, Single, Double, Literal };

bool printable(unsigned char c) { return c == '\n' || (c >= 0x20 && c != 0x7f); }  // >= 0x80: UTF-8, printable

// libyaml's yaml_emitter_analyze_scalar + select_scalar_style for a block context.
Style scalar_style(const std::string& s, bool is_string) {
  if (!is_string) return Style::Plain;
  if (resolves_to_non_string(s)) return Style::Double;
  if (s.find('\n') != std::string::npos) {
    bool special = false;
    for (unsigned char c : s) special |= !printable(c);
    return special ? Style::Double : Style::Literal;
  }
  bool indicators = false, special = false, leading_space = false, trailing_space = false;
  if (s.starts_with("---") || s.starts_with("...")) indicators = true;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool followed_by_blank = i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t';
    const bool preceded_by_blank = i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t';
    if (i == 0) {
      if (std::string_view("#,[]{}&*!|>'\"%@`").find(c) != std::string_view::npos) indicators = true;
      if ((c == '?' || c == ':' || c == '-') && followed_by_blank) indicators = true;
    } else {
      if (c == ':' && followed_by_blank) indicators = true;
      if (c == '#' && preceded_by_blank) indicators = true;
    }
    if (!printable(static_cast<unsigned char>(c))) special = true;
    if (c == ' ') {
      if (i == 0) leading_space = true;
      if (i + 1 == s.size()) trailing_space = true;
    }
  }
  if (special) return Style::Double;
  if (indicators || leading_space || trailing_space) return Style::Single;
  return Style::Plain;
}

std::string quote_double(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\v': out += "\\v"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case 0x1b: out += "\\e"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string scalar_text(const std::string& s, bool is_string, int indent) {
  switch (scalar_style(s, is_string)) {
    case Style::Plain: return s;
    case Style::Double: return quote_double(s);
    case Style::Single: {
      std::string out = "'";
      for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    }
    case Style::Literal: {
      size_t trailing = 0;
      while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
      std::string out = trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
      const std::string pad(static_cast<size_t>(indent), ' ');
      std::string body = s.substr(0, s.size() - trailing);
      size_t start = 0;
      for (;;) {
        size_t nl = body.find('\n', start);
        std::string line = body.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        out += "\n" + (line.empty() ? std::string() : pad + line);
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
      for (size_t i = 1; i < trailing; ++i) out += "\n";
      return out;
    }
  }
  return s;
}

// A value after "key:" or "- ": inline for scalars and empty collections.
std::string inline_value(const YamlValue& v, int indent) {
  switch (v.kind) {
    case YamlValue::Kind::Null: return "null";
    case YamlValue::Kind::Scalar: return scalar_text(v.text, v.is_string, indent);
    case YamlValue::Kind::Map: return "{}";
    case YamlValue::Kind::Seq: return "[]";
  }
  return "null";
}

void emit_map(std::string& out, const YamlValue& m, int indent, bool first_inline);
void emit_seq(std::string& out, const YamlValue& s, int indent, bool first_inline);

void emit_map(std::string& out, const YamlValue& m, int indent, bool first_inline) {
  std::vector<const std::pair<std::string, YamlValue>*> entries;
  for (const auto& e : m.map) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
  const std::string pad(static_cast<size_t>(indent), ' ');
  bool first = true;
  for (const auto* e : entries) {
    if (!(first && first_inline)) out += pad;
    first = false;
    out += scalar_text(e->first, true, indent) + ":";
    const YamlValue& v = e->second;
    if (v.kind == YamlValue::Kind::Map && !v.map.empty()) {
      out += "\n";
      emit_map(out, v, indent + 2, false);
    } else if (v.kind == YamlValue::Kind::Seq && !v.items.empty()) {
      out += "\n";
      emit_seq(out, v, indent, false);  // go-yaml: a block sequence at its key's indentation
    } else {
      out += " " + inline_value(v, indent + 2) + "\n";
    }
  }
}

void emit_seq(std::string& out, const YamlValue& s, int indent, bool first_inline) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  bool first = true;
  for (const auto& item : s.items) {
    if (!(first && first_inline)) out += pad;
    first = false;
    out += "-";
    if (item.kind == YamlValue::Kind::Map && !item.map.empty()) {
      out += " ";
      emit_map(out, item, indent + 2, true);
    } else if (item.kind == YamlValue::Kind::Seq && !item.items.empty()) {
      out += " ";
      emit_seq(out, item, indent + 2, true);
    } else {
      out += " " + inline_value(item, indent + 2) + "\n";
    }
  }
}

Result<YamlValue> from_node(const YAML::Node& n) {
  YamlValue v;
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return v;
    case YAML::NodeType::Scalar:
      v.kind = YamlValue::Kind::Scalar;
      v.text = n.Scalar();
      // Quoted ("!") is a string whatever it says; plain ("?") is one unless it reads as a bool,
      // number or null.
      v.is_string = n.Tag() == "!" || !resolves_to_non_string(v.text);
      return v;
    case YAML::NodeType::Sequence:
      v.kind = YamlValue::Kind::Seq;
      for (const auto& item : n) {
        auto c = from_node(item);
        if (!c) return c;
        v.items.push_back(std::move(*c));
      }
      return v;
    case YAML::NodeType::Map:
      v.kind = YamlValue::Kind::Map;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar())
          return fail("line " + std::to_string(kv.first.Mark().line + 1) + ": a mapping key must be a string");
        auto c = from_node(kv.second);
        if (!c) return c;
        v.map.emplace_back(kv.first.Scalar(), std::move(*c));
      }
      return v;
  }
  return v;
}

}  // namespace

YamlValue* YamlValue::find(const std::string& key) {
  for (auto& [k, v] : map)
    if (k == key) return &v;
  return nullptr;
}
const YamlValue* YamlValue::find(const std::string& key) const {
  for (const auto& [k, v] : map)
    if (k == key) return &v;
  return nullptr;
}
YamlValue& YamlValue::at(const std::string& key) {
  if (auto* v = find(key)) return *v;
  map.emplace_back(key, YamlValue());
  return map.back().second;
}
void YamlValue::erase(const std::string& key) {
  std::erase_if(map, [&](const auto& e) { return e.first == key; });
}

Result<YamlValue> parse_yaml(const std::string& text) {
  try {
    YAML::Node n = YAML::Load(text);
    if (!n || n.IsNull()) return YamlValue::mapping();
    return from_node(n);
  } catch (const YAML::Exception& e) {
    return fail("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

std::string emit_yaml(const YamlValue& doc) {
  std::string out;
  if (doc.kind == YamlValue::Kind::Map && !doc.map.empty()) emit_map(out, doc, 0, false);
  else if (doc.kind == YamlValue::Kind::Seq && !doc.items.empty()) emit_seq(out, doc, 0, false);
  else out = inline_value(doc, 0) + "\n";
  return out;
}

}  // namespace lab::cli
