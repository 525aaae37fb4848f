// -o yaml as kubectl writes it: sigs.k8s.io/yaml over go-yaml v2, block style, indentless lists.
// Quoting, line folding at 80 columns and key order follow go-yaml's encoder and emitter rules.
#include <algorithm>
#include <charconv>
#include <regex>
#include <set>
#include <string_view>

#include "lab/cli/printers.h"

namespace lab::cli {
namespace {

constexpr int kBestWidth = 80;  // go-yaml folds long scalars at spaces past this column

bool is_digit(char c) { return c >= '0' && c <= '9'; }
// unicode.IsLetter, closely enough for keys: ASCII, Latin and CJK letters yes, symbols and emoji no.
bool is_letter(char32_t r) {
  return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= 0xC0 && r < 0x2000 && r != 0xD7 && r != 0xF7) ||
         (r >= 0x3040 && r <= 0x9FFF) || (r >= 0xAC00 && r <= 0xD7A3);
}

// Would go-yaml read this plain scalar back as something other than a string (resolve())?
bool resolves_to_non_string(const std::string& s) {
  static const std::set<std::string> special = {
      "y",     "Y",     "yes",   "Yes",  "YES",  "true",  "True",  "TRUE",  "on",   "On",   "ON",
      "n",     "N",     "no",    "No",   "NO",   "false", "False", "FALSE", "off",  "Off",  "OFF",
      "~",     "null",  "Null",  "NULL", ".nan", ".NaN",  ".NAN",  ".inf",  ".Inf", ".INF", "+.inf",
      "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"};
  static const std::regex yaml_float(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  // The layouts go-yaml tries: date, RFC 3339 with zone, and "date time" without one.
  static const std::regex timestamp(
      R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})"
      R"((([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2}))|)"
      R"(( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?))?$)");
  static const std::regex go_int(R"(^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$)");
  static const std::regex base60(R"(^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$)");
  if (s.empty() || special.contains(s)) return true;
  char c = s[0];
  if (c == '.') return std::regex_match(s, yaml_float);
  if (c != '+' && c != '-' && !is_digit(c)) return false;
  if (std::regex_match(s, timestamp) || std::regex_match(s, base60)) return true;
  std::string plain;
  std::copy_if(s.begin(), s.end(), std::back_inserter(plain), [](char ch) { return ch != '_'; });
  if (std::regex_match(plain, yaml_float)) return true;
  if (!std::regex_match(plain, go_int)) return false;
  // strconv.ParseInt/ParseUint: an out-of-range 0x/0o/0b literal stays a string.
  size_t at = plain[0] == '+' || plain[0] == '-' ? 1 : 0;
  int base = 8;
  if (plain.size() > at + 1 && plain[at] == '0' &&
      std::string_view("xXoObB").find(plain[at + 1]) != std::string_view::npos) {
    base = plain[at + 1] == 'x' || plain[at + 1] == 'X' ? 16 : plain[at + 1] == 'b' || plain[at + 1] == 'B' ? 2 : 8;
    at += 2;
  }
  unsigned long long mag = 0;
  auto [end, ec] = std::from_chars(plain.data() + at, plain.data() + plain.size(), mag, base);
  (void)end;
  if (ec != std::errc()) return false;
  constexpr unsigned long long kMaxInt = 1ULL << 63;
  return plain[0] == '-' ? mag <= kMaxInt : plain[0] == '+' ? mag < kMaxInt : true;
}

// An integer literal too wide for int64/uint64 reads back as a float.
bool resolves_to_big_int(const std::string& digits) {
  unsigned long long u;
  long long i;
  const char* end = digits.data() + digits.size();
  return std::from_chars(digits.data(), end, i).ec != std::errc() &&
         std::from_chars(digits.data(), end, u).ec != std::errc();
}

// One decoded UTF-8 rune; invalid bytes come back as themselves.
char32_t rune_at(std::string_view s, size_t i, size_t& width) {
  auto b = static_cast<unsigned char>(s[i]);
  width = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
  if (i + width > s.size()) width = 1;
  if (width == 1) return b;
  char32_t r = b & (0xFF >> (width + 1));
  for (size_t k = 1; k < width; ++k) r = (r << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return r;
}

bool printable(char32_t r) {
  return r == 0x0A || (r >= 0x20 && r <= 0x7E) || (r >= 0xA0 && r <= 0xD7FF) ||
         (r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF);
}
bool line_break(char32_t r) { return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029; }

// go-yaml's keyList.Less: letters sort after other runes, digit runs compare as numbers.
bool key_less(const std::string& as, const std::string& bs) {
  auto runes = [](const std::string& s) {
    std::u32string out;
    for (size_t i = 0, w = 1; i < s.size(); i += w) out += rune_at(s, i, w);
    return out;
  };
  std::u32string a = runes(as), b = runes(bs);
  auto digit = [](char32_t r) { return r >= '0' && r <= '9'; };
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    bool al = is_letter(a[i]), bl = is_letter(b[i]);
    if (al && bl) return a[i] < b[i];
    if (al || bl) return bl;
    long long an = 0, bn = 0;
    if (a[i] == '0' || b[i] == '0') {
      for (size_t j = i; j-- > 0 && digit(a[j]);)
        if (a[j] != '0') {
          an = bn = 1;
          break;
        }
    }
    size_t ai = i, bi = i;
    for (; ai < a.size() && digit(a[ai]); ++ai) an = an * 10 + (a[ai] - '0');
    for (; bi < b.size() && digit(b[bi]); ++bi) bn = bn * 10 + (b[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return a[i] < b[i];
  }
  return a.size() < b.size();
}

enum class Style { Plain, Single, Double, Literal };

// yaml_emitter_analyze_scalar + select_scalar_style for the block context we always write in.
Style choose_style(const std::string& s, bool key) {
  if (resolves_to_non_string(s)) return Style::Double;
  bool block_indicators = s.starts_with("---") || s.starts_with("..."), breaks = false, special = false,
       leading_space = false, trailing_space = false, space_break = false, break_space = false,
       prev_space = false, prev_break = false, preceded_by_ws = true;
  for (size_t i = 0, w = 1; i < s.size(); i += w) {
    char32_t r = rune_at(s, i, w);
    bool followed_by_ws = i + w >= s.size() || s[i + w] == ' ' || s[i + w] == '\t';
    if (i == 0) {
      if (std::string_view("#,[]{}&*!|>'\"%@`").find(s[0]) != std::string_view::npos) block_indicators = true;
      if ((r == '?' || r == ':' || r == '-') && followed_by_ws) block_indicators = true;
    } else if ((r == ':' && followed_by_ws) || (r == '#' && preceded_by_ws)) {
      block_indicators = true;
    }
    // go-yaml v2 counts a tab as unprintable: such strings end up double-quoted.
    if (!printable(r) || (r != '\n' && line_break(r))) special = true;
    if (r == ' ') {
      if (i == 0) leading_space = true;
      if (i + w == s.size()) trailing_space = true;
      if (prev_break) break_space = true;
      prev_space = true, prev_break = false;
    } else if (line_break(r)) {
      breaks = true;
      if (prev_space) space_break = true;
      prev_space = false, prev_break = true;
    } else {
      prev_space = prev_break = false;
    }
    preceded_by_ws = r == ' ' || r == '\t' || line_break(r);
  }
  bool leading_break = !s.empty() && s[0] == '\n', trailing_break = !s.empty() && s.back() == '\n';
  bool plain_ok = !(leading_space || leading_break || trailing_space || trailing_break || break_space ||
                    space_break || special || breaks || block_indicators);
  bool single_ok = !(break_space || space_break || special);
  bool block_ok = !(trailing_space || space_break || special);
  if (s.find('\n') != std::string::npos) return block_ok && !key ? Style::Literal : Style::Double;
  if (plain_ok) return Style::Plain;
  return single_ok ? Style::Single : Style::Double;
}

class Emitter {
 public:
  std::string out;

  void document(const Json& v) {
    if (v.is_object() && !v.empty()) mapping(v, 0, false);
    else if (v.is_array() && !v.empty()) sequence(v, 0, false);
    else scalar(v, 0, false);
    if (out.empty() || out.back() != '\n') out += '\n';
  }

 private:
  int column_ = 0;

  void put(std::string_view s) {
    for (size_t i = 0, w = 1; i < s.size(); i += w) {
      rune_at(s, i, w);
      column_ = s[i] == '\n' ? 0 : column_ + 1;
    }
    out += s;
  }
  void newline_indent(int indent) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out.append(indent, ' ');
    column_ = indent;
  }

  // v comes right after "key:" (after_dash false) or "-" on a line whose block sits at `indent`.
  void child(const Json& v, int indent, bool after_dash) {
    if (v.is_object() && !v.empty()) {
      if (after_dash) put(" ");
      mapping(v, indent + 2, after_dash);
    } else if (v.is_array() && !v.empty()) {
      if (after_dash) put(" ");
      sequence(v, after_dash ? indent + 2 : indent, after_dash);  // lists under a key are not indented
    } else {
      put(" ");
      scalar(v, indent + 2, false);
    }
  }

  void mapping(const Json& m, int indent, bool inline_first) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : m.items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end(), key_less);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i > 0 || !inline_first) newline_indent(indent);
      const std::string& k = keys[i];
      if (k.size() > 128 || std::any_of(k.begin(), k.end(), [](char c) { return c == '\n' || c == '\r'; })) {
        // Not a simple key for go-yaml: "? key" then ": value" on a line of its own.
        put("?");
        child(Json(k), indent, true);
        newline_indent(indent);
        put(":");
        child(m[k], indent, true);  // after ": " a block value starts on the same line, as after "- "
        continue;
      }
      string(k, indent + 2, true);
      put(":");
      child(m[k], indent, false);
    }
  }

  void sequence(const Json& a, int indent, bool inline_first) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (i > 0 || !inline_first) newline_indent(indent);
      put("-");
      child(a[i], indent, true);
    }
  }

  void scalar(const Json& v, int indent, bool key) {
    if (v.is_string()) return string(v.get_ref<const std::string&>(), indent, key);
    if (v.is_object()) return put("{}");
    if (v.is_array()) return put("[]");
    if (v.is_number_float()) {
      // kubectl turns objects into JSON before YAML, so 2.0 is written "2" and comes back an int.
      std::string text = go_json(v, -1);
      bool integral = text.find_first_of(".eE") == std::string::npos;
      return put(integral && !resolves_to_big_int(text) ? text : go_format(v));
    }
    put(v.is_null() ? "null" : go_format(v));
  }

  void string(const std::string& s, int indent, bool key) {
    switch (choose_style(s, key)) {
      case Style::Plain: return plain(s, indent, !key);
      case Style::Single: return single(s, indent, !key);
      case Style::Double: return dbl(s, indent, !key);
      case Style::Literal: return literal(s, indent);
    }
  }

  bool fold_here(std::string_view s, size_t i, bool allow_breaks, bool spaces) const {
    return allow_breaks && !spaces && column_ > kBestWidth && i + 1 < s.size() && s[i + 1] != ' ';
  }

  void plain(std::string_view s, int indent, bool allow_breaks) {
    bool spaces = false;
    for (size_t i = 0, w = 1; i < s.size(); i += w) {
      rune_at(s, i, w);
      if (s[i] == ' ' && fold_here(s, i, allow_breaks, spaces)) newline_indent(indent);
      else put(s.substr(i, w));
      spaces = s[i] == ' ';
    }
  }

  void single(std::string_view s, int indent, bool allow_breaks) {
    put("'");
    bool spaces = false;
    for (size_t i = 0, w = 1; i < s.size(); i += w) {
      rune_at(s, i, w);
      if (s[i] == ' ' && i > 0 && fold_here(s, i, allow_breaks, spaces)) newline_indent(indent);
      else put(s[i] == '\'' ? "''" : s.substr(i, w));
      spaces = s[i] == ' ';
    }
    put("'");
  }

  void dbl(std::string_view s, int indent, bool allow_breaks) {
    put("\"");
    bool spaces = false;
    for (size_t i = 0, w = 1; i < s.size(); i += w) {
      char32_t r = rune_at(s, i, w);
      if (!printable(r) || line_break(r) || r == '"' || r == '\\') {
        static const std::pair<char32_t, const char*> named[] = {
            {0x00, "0"}, {0x07, "a"}, {0x08, "b"},  {0x09, "t"},   {0x0A, "n"},    {0x0B, "v"},
            {0x0C, "f"}, {0x0D, "r"}, {0x1B, "e"},  {0x22, "\""},  {0x5C, "\\"},   {0x85, "N"},
            {0xA0, "_"}, {0x2028, "L"}, {0x2029, "P"}};
        auto it = std::find_if(std::begin(named), std::end(named), [&](auto& p) { return p.first == r; });
        if (it != std::end(named)) {
          put(std::string("\\") + it->second);
        } else {
          int digits = r <= 0xFF ? 2 : r <= 0xFFFF ? 4 : 8;
          std::string esc = std::string("\\") + (digits == 2 ? 'x' : digits == 4 ? 'u' : 'U');
          for (int k = (digits - 1) * 4; k >= 0; k -= 4) esc += "0123456789ABCDEF"[(r >> k) & 0xF];
          put(esc);
        }
        spaces = false;
      } else if (s[i] == ' ') {
        if (allow_breaks && !spaces && column_ > kBestWidth && i > 0 && i + 1 < s.size()) {
          newline_indent(indent);
          if (s[i + 1] == ' ') put("\\");  // else the reader would eat the next space as indentation
        } else {
          put(" ");
        }
        spaces = true;
      } else {
        put(s.substr(i, w));
        spaces = false;
      }
    }
    put("\"");
  }

  void literal(std::string_view s, int indent) {
    put("|");
    if (s[0] == ' ' || s[0] == '\n') put("2");  // indentation indicator (best_indent)
    if (s.back() != '\n') put("-");
    else if (s.size() == 1 || s[s.size() - 2] == '\n') put("+");
    out += '\n';  // the content starts below the header, so a leading break is a blank line
    column_ = 0;
    bool breaks = true;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') {
        out += '\n';
        column_ = 0;
        breaks = true;
        continue;
      }
      if (breaks) {
        out.append(indent, ' ');
        column_ = indent;
      }
      size_t w;
      rune_at(s, i, w);
      put(s.substr(i, w));
      i += w - 1;
      breaks = false;
    }
  }
};

}  // namespace

std::string to_yaml(const Json& j) {
  Emitter e;
  e.document(j);
  return e.out;
}

}  // namespace lab::cli
