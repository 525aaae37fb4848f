// Go's ways of printing values, which kubectl's output formats inherit: fmt's %v (go_format, for
// custom-columns and describe), encoding/json (-o json), and -o name. Split out of printers.cc.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "lab/cli/printers.h"
#include "lab/cli/printers_util.h"

namespace lab::cli {

using namespace printers_detail;

namespace {

// Shortest digits of v that read back exactly, as (digits, decimal exponent of the first digit).
std::pair<std::string, int> shortest_digits(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  (void)ec;
  std::string_view s(buf, end - buf);
  size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e))
    if (c >= '0' && c <= '9') digits += c;
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  return {digits, exp};
}

// strconv.FormatFloat(v, 'g', -1, 64), which is also fmt's %v: with shortest precision Go picks
// the exponent form when the exponent is < -4 or >= 6 (fmt.Print(1e6) gives "1e+06").
std::string go_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  auto [digits, exp] = shortest_digits(std::fabs(v));
  std::string out = std::signbit(v) ? "-" : "";
  if (exp < -4 || exp >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::string e = std::to_string(std::abs(exp));
    return out + "e" + (exp < 0 ? "-" : "+") + (e.size() < 2 ? "0" : "") + e;
  }
  int dp = exp + 1;
  if (dp <= 0) return out + "0." + std::string(-dp, '0') + digits;
  if (dp >= static_cast<int>(digits.size())) return out + digits + std::string(dp - digits.size(), '0');
  return out + digits.substr(0, dp) + "." + digits.substr(dp);
}

void go_format_to(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::null: out += "<nil>"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<long long>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<unsigned long long>()); break;
    case Json::value_t::number_float: out += go_float(v.get<double>()); break;
    case Json::value_t::string: out += v.get_ref<const std::string&>(); break;
    case Json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ' ';
        go_format_to(v[i], out);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += "map[";
      bool first = true;
      for (const auto& [k, item] : v.items()) {  // nlohmann keeps keys sorted, as fmt sorts map keys
        if (!first) out += ' ';
        first = false;
        out += k + ":";
        go_format_to(item, out);
      }
      out += ']';
      break;
    }
    default: break;
  }
}

// encoding/json's string escaping: HTML-safe, and U+2028/U+2029 escaped for JavaScript.
void go_json_string(const std::string& s, std::string& out) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<': case '>': case '&': out += std::string("\\u00") + hex[c >> 4] + hex[c & 0xF]; break;
      default:
        if (c < 0x20) {
          out += std::string("\\u00") + hex[c >> 4] + hex[c & 0xF];
        } else if (c == 0xE2 && i + 2 < s.size() && s[i + 1] == '\x80' &&
                   (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
          out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// encoding/json's float64: %f-like, exponent form outside [1e-6, 1e21) with "e-7" not "e-07".
std::string go_json_float(double v) {
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::string s = go_float(v);  // exponent form already for these magnitudes
    size_t e = s.find("e-0");
    if (e != std::string::npos && e + 4 == s.size()) s.erase(e + 2, 1);
    return s;
  }
  auto [digits, exp] = shortest_digits(a);
  std::string out = std::signbit(v) ? "-" : "";
  int dp = exp + 1;
  if (dp <= 0) return out + "0." + std::string(-dp, '0') + digits;
  if (dp >= static_cast<int>(digits.size())) return out + digits + std::string(dp - digits.size(), '0');
  return out + digits.substr(0, dp) + "." + digits.substr(dp);
}

// json.MarshalIndent(v, "", spaces) for indent >= 0, json.Marshal for indent < 0.
void go_json_to(const Json& v, int indent, int depth, std::string& out) {
  auto newline = [&](int d) {
    if (indent >= 0) out += "\n" + std::string(static_cast<size_t>(indent) * d, ' ');
  };
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<long long>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<unsigned long long>()); break;
    case Json::value_t::number_float: out += go_json_float(v.get<double>()); break;
    case Json::value_t::string: go_json_string(v.get_ref<const std::string&>(), out); break;
    case Json::value_t::array:
    case Json::value_t::object: {
      bool obj = v.is_object();
      out += obj ? '{' : '[';
      if (v.empty()) {
        out += obj ? '}' : ']';
        break;
      }
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        if (obj) {
          go_json_string(it.key(), out);
          out += indent >= 0 ? ": " : ":";
        }
        go_json_to(*it, indent, depth + 1, out);
      }
      newline(depth);
      out += obj ? '}' : ']';
      break;
    }
    default: break;
  }
}

}  // namespace

std::string go_json(const Json& j, int indent) {
  std::string out;
  go_json_to(j, indent, 0, out);
  return out;
}

std::string to_json_text(const Json& j) { return go_json(j, 4) + "\n"; }

std::string names(const Json& list) {
  auto line = [](const Json& obj, const std::string& kind, const std::string& api_version) {
    std::string k = str(obj, {"kind"}).empty() ? kind : str(obj, {"kind"});
    std::string av = str(obj, {"apiVersion"}).empty() ? api_version : str(obj, {"apiVersion"});
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t slash = av.find('/');
    std::string group = slash == std::string::npos ? "" : av.substr(0, slash);
    std::string name = str(obj, {"metadata", "name"});
    return k + (group.empty() ? "" : "." + group) + "/" + (name.empty() ? "<unknown>" : name) + "\n";
  };
  const Json* items = get(list, {"items"});
  if (!items || !items->is_array()) return line(list, "", "");
  std::string list_kind = str(list, {"kind"});
  if (list_kind.ends_with("List")) list_kind.resize(list_kind.size() - 4);
  std::string out;
  for (const auto& item : *items) out += line(item, list_kind, str(list, {"apiVersion"}));
  return out;
}

std::string go_format(const Json& v) {
  std::string out;
  go_format_to(v, out);
  return out;
}

}  // namespace lab::cli
