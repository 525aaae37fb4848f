// The parser half of the client-go util/jsonpath port: templates ("{.items[*].metadata.name}",
// ranges, filters, unions) become Nodes with client-go's parse error texts. Split out of
// jsonpath.cc, which evaluates the Nodes and prints the results.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <regex>
#include <string_view>

#include "lab/base/parse.h"
#include "lab/cli/jsonpath_parse.h"

namespace lab::cli::jsonpath_detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) {
  return c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_terminator(char c) { return std::string_view(" \t\r\n.,[]$@{}").find(c) != std::string_view::npos; }

}  // namespace

namespace {

void append_utf8(std::string& out, char32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// jsonpath.UnquoteExtend: Go string-literal escapes inside '...' or "...".
std::optional<std::string> unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return std::nullopt;
  char quote = s.front();
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == quote) return std::nullopt;
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    char c = s[i];
    static const std::string_view simple = "a\ab\bf\fn\nr\rt\tv\v\\\\";
    if (size_t k = simple.find(c); k != std::string_view::npos && k % 2 == 0) {
      out += simple[k + 1];
    } else if (c == quote) {
      out += c;
    } else if (c == 'x' || c == 'u' || c == 'U' || (c >= '0' && c <= '7')) {
      int n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 3, base = c >= '0' && c <= '7' ? 8 : 16;
      size_t from = base == 8 ? i : i + 1;
      if (from + n > s.size()) return std::nullopt;
      char32_t r = 0;
      for (int k = 0; k < n; ++k) {
        char d = s[from + k];
        int v = is_digit(d)                ? d - '0'
                : (d >= 'a' && d <= 'f') ? d - 'a' + 10
                : (d >= 'A' && d <= 'F') ? d - 'A' + 10
                                         : 99;
        if (v >= base) return std::nullopt;
        r = r * base + v;
      }
      if (c == 'x' || base == 8) {
        if (r > 0xFF) return std::nullopt;
        out += static_cast<char>(r);  // a byte, as in Go
      } else {
        if (r > 0x10FFFF) return std::nullopt;
        append_utf8(out, r);
      }
      i = from + n - 1;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  // The template: text outside braces, and a List node per {...}.
  Result<Nodes> parse() {
    Nodes root;
    while (pos_ < in_.size()) {
      size_t brace = std::min(in_.find('{', pos_), in_.size());
      if (brace > pos_) root.push_back({.kind = Node::Text, .text = std::string(in_.substr(pos_, brace - pos_))});
      if (brace == in_.size()) break;
      pos_ = brace + 1;
      Node list{.kind = Node::List, .lists = {{}}};
      LAB_TRY(action(list.lists[0]));
      root.push_back(std::move(list));
    }
    return root;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;

  // Expressions nested in [] and filters are parsed as their own "{...}", as client-go does.
  static Result<Nodes> sub(const std::string& text) {
    auto root = Parser("{" + text + "}").parse();
    if (!root) return std::unexpected(root.error());
    if (root->empty() || (*root)[0].kind != Node::List) return Nodes{};
    return std::move((*root)[0].lists[0]);
  }

  Result<void> action(Nodes& cur) {
    for (;;) {
      std::string_view rest = in_.substr(pos_);
      if (rest.starts_with("}")) {
        ++pos_;
        return {};
      }
      if (rest.starts_with("[?(")) {
        LAB_TRY(filter(cur));
        continue;
      }
      if (rest.starts_with("..")) {
        if (!cur.empty() && cur.back().kind == Node::Recursive) return fail("invalid multiple recursive descent");
        pos_ += 2;
        cur.push_back({.kind = Node::Recursive});
        if (pos_ < in_.size() && is_alnum(in_[pos_])) field(cur);
        continue;
      }
      if (rest.empty() || rest[0] == '\r' || rest[0] == '\n') return fail("unclosed action");
      char r = in_[pos_++];
      if (r == ' ' || r == '@' || r == '$') continue;  // '@' and '$' are the current object
      if (r == '[') {
        LAB_TRY(array(cur));
      } else if (r == '"' || r == '\'') {
        LAB_TRY(quote(cur, r));
      } else if (r == '.') {
        field(cur);
      } else if (r == '+' || r == '-' || is_digit(r)) {
        --pos_;
        LAB_TRY(number(cur));
      } else if (is_alnum(r)) {
        --pos_;
        identifier(cur);
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "%04X", static_cast<unsigned char>(r));
        return fail(std::string("unrecognized character in action: U+") + hex + " '" + r + "'");
      }
    }
  }

  std::string scan_word(bool escapes) {
    size_t start = pos_;
    while (pos_ < in_.size() && !is_terminator(in_[pos_])) pos_ += escapes && in_[pos_] == '\\' ? 2 : 1;
    pos_ = std::min(pos_, in_.size());
    return std::string(in_.substr(start, pos_ - start));
  }

  void field(Nodes& cur) {
    std::string name = scan_word(true);
    if (name == "*") return cur.push_back({.kind = Node::Wildcard});
    std::erase(name, '\\');  // "\." keeps a dot inside a key: {.metadata.labels.app\.kubernetes\.io/name}
    cur.push_back({.kind = Node::Field, .text = name});
  }

  void identifier(Nodes& cur) {
    std::string word = scan_word(false);
    if (word == "true" || word == "false") return cur.push_back({.kind = Node::Bool, .b = word == "true"});
    cur.push_back({.kind = Node::Identifier, .text = word});
  }

  Result<void> number(Nodes& cur) {
    size_t start = pos_;
    if (in_[pos_] == '+' || in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() && (is_digit(in_[pos_]) || in_[pos_] == '.')) ++pos_;
    std::string text(in_.substr(start, pos_ - start));
    static const std::regex int_re(R"(^[-+]?[0-9]+$)"), float_re(R"(^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)$)");
    // strconv.Atoi, then strconv.ParseFloat: an integer too large for int64 is read as a float.
    if (std::regex_match(text, int_re)) {
      if (auto n = parse_number<long long>(text)) {
        cur.push_back({.kind = Node::Int, .i = *n});
        return {};
      }
    }
    if (std::regex_match(text, float_re)) {
      constexpr double kMax = std::numeric_limits<double>::max();
      if (auto x = parse_number<double>(text, -kMax, kMax)) {
        cur.push_back({.kind = Node::Float, .f = *x});
        return {};
      }
    }
    return fail("cannot parse number " + text);
  }

  Result<void> quote(Nodes& cur, char q) {
    size_t start = pos_ - 1;
    for (;;) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return fail("unterminated quoted string");
      char r = in_[pos_++];
      if (r == q && in_[pos_ - 2] != '\\') break;
    }
    std::string_view literal = in_.substr(start, pos_ - start);
    auto text = unquote(literal);
    if (!text) return fail("unquote string " + std::string(literal) + " error invalid syntax");
    cur.push_back({.kind = Node::Text, .text = *text});
    return {};
  }

  Result<void> array(Nodes& cur) {
    size_t close = in_.find_first_of("]\n", pos_);
    if (close == std::string_view::npos || in_[close] == '\n') return fail("unterminated array");
    std::string text(in_.substr(pos_, close - pos_));
    pos_ = close + 1;
    if (text == "*") text = ":";

    if (text.find(',') != std::string::npos) {
      Node u{.kind = Node::Union};
      size_t from = 0;
      for (;;) {
        size_t comma = std::min(text.find(',', from), text.size());
        std::string part = text.substr(from, comma - from);
        part.erase(0, part.find_first_not_of(' '));
        part.erase(part.find_last_not_of(' ') + 1);
        auto alt = sub("[" + part + "]");
        if (!alt) return std::unexpected(alt.error());
        u.lists.push_back(std::move(*alt));
        if (comma == text.size()) break;
        from = comma + 1;
      }
      cur.push_back(std::move(u));
      return {};
    }

    // ['key'] names a key literally, dots and all.
    if (text.size() >= 2 && (text[0] == '\'' || text[0] == '"') && text.back() == text[0] &&
        text.find(text[0], 1) == text.size() - 1) {
      cur.push_back({.kind = Node::Field, .text = text.substr(1, text.size() - 2)});
      return {};
    }

    static const std::regex slice(R"(^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, slice)) return fail("invalid array index " + text);
    Node a{.kind = Node::Array};
    for (int i = 0; i < 3; ++i) {
      std::string v = m[i + 1].str();
      if (!v.empty()) {
        if (i > 0) v.erase(0, 1);
        if (i > 0 && v.empty()) continue;  // "[1:]": end unknown
        auto index = parse_number<long long>(v);
        if (!index) return fail("array index " + v + " is not a number");
        a.params[i] = {.value = *index, .known = true};
      } else if (i == 1) {
        a.params[1] = {.value = a.params[0].value + 1, .known = true, .derived = true};  // "[n]"
      }
    }
    cur.push_back(std::move(a));
    return {};
  }

  Result<void> filter(Nodes& cur) {
    pos_ += 3;
    size_t start = pos_;
    bool begin = false, end = false;
    char pair = 0;
    for (;;) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return fail("unterminated filter");
      char r = in_[pos_++];
      if (r == '"' || r == '\'') {
        if (!begin) {
          begin = true, pair = r;
          continue;
        }
        if (in_[pos_ - 2] != '\\' && r == pair) end = true;
      } else if (r == ')' && begin == end) {
        break;
      }
    }
    if (pos_ >= in_.size() || in_[pos_++] != ']') return fail("unclosed array expect ]");
    std::string text(in_.substr(start, pos_ - start - 2));
    static const std::regex cmp(R"(^([^!<>=]+)([!<>=]+)(.+?)$)");
    std::smatch m;
    Node f{.kind = Node::Filter, .text = "exists"};
    auto left = sub(std::regex_match(text, m, cmp) ? m[1].str() : text);
    if (!left) return std::unexpected(left.error());
    f.lists.push_back(std::move(*left));
    if (!m.empty()) {
      auto right = sub(m[3].str());
      if (!right) return std::unexpected(right.error());
      f.lists.push_back(std::move(*right));
      f.text = m[2].str();
    }
    cur.push_back(std::move(f));
    return {};
  }
};

}  // namespace

Result<Nodes> parse_template(const std::string& templ) { return Parser(templ).parse(); }

}  // namespace lab::cli::jsonpath_detail
