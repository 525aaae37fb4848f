// -o jsonpath and -o custom-columns: a port of client-go's util/jsonpath parser and evaluator, so
// templates, error texts and the printing of results (space-joined, JSON for maps) match kubectl.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <optional>
#include <regex>
#include <string_view>

#include "lab/cli/printers.h"

namespace lab::cli {
namespace {

struct Param {
  long long value = 0;
  bool known = false, derived = false;
};

struct Node {
  enum Kind { List, Text, Field, Array, Filter, Wildcard, Recursive, Union, Identifier, Int, Float, Bool };
  Kind kind = Text;
  std::string text{};                    // Text, Field and Identifier value; Filter operator
  Param params[3] = {};                  // Array: start, end, step
  std::vector<std::vector<Node>> lists{};  // List: {children}; Union: alternatives; Filter: {left, right}
  long long i = 0;
  double f = 0;
  bool b = false;
};
using Nodes = std::vector<Node>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) {
  return c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_terminator(char c) { return std::string_view(" \t\r\n.,[]$@{}").find(c) != std::string_view::npos; }

// strconv.Quote, for the template echoed back in errors.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out += "0123456789abcdef"[c >> 4];
          out += "0123456789abcdef"[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

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
    if (std::regex_match(text, int_re)) cur.push_back({.kind = Node::Int, .i = std::stoll(text)});
    else if (std::regex_match(text, float_re)) cur.push_back({.kind = Node::Float, .f = std::stod(text)});
    else return fail("cannot parse number " + text);
    return {};
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
        if (v == "-") return fail("array index " + v + " is not a number");
        a.params[i] = {.value = std::stoll(v), .known = true};
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

using Values = std::vector<const Json*>;

// A range over a null item gives client-go an invalid reflect.Value, which prints "<no value>".
const Json kNoValue;

bool is_ident(const Node& n, std::string_view name) {
  return n.kind == Node::List &&
         std::any_of(n.lists[0].begin(), n.lists[0].end(),
                     [&](const Node& c) { return c.kind == Node::Identifier && c.text == name; });
}

// reflect.Type names client-go puts in its errors.
std::string go_type(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object: return "map[string]interface {}";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "bool";
    case Json::value_t::number_float: return "float64";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "int64";
    default: return "interface {}";
  }
}

// text/template's eq/lt family: same basic kinds only.
Result<bool> compare(const Json& l, const Json& r, const std::string& op) {
  auto kind = [](const Json& v) {
    return v.is_boolean() ? 'b' : v.is_number_integer() ? 'i' : v.is_number_float() ? 'f' : v.is_string() ? 's' : 0;
  };
  char kl = kind(l), kr = kind(r);
  if (!kl || !kr) return fail("invalid type for comparison");
  if (kl != kr) return fail("incompatible types for comparison");
  bool eq = l == r;
  if (op == "==") return eq;
  if (op == "!=") return !eq;
  if (kl == 'b') return fail("invalid type for comparison");
  bool lt = kl == 's' ? l.get<std::string>() < r.get<std::string>() : l.get<double>() < r.get<double>();
  if (kl == 'i') lt = l.is_number_unsigned() || r.is_number_unsigned() ? l.get<double>() < r.get<double>()
                                                                        : l.get<long long>() < r.get<long long>();
  if (op == "<") return lt;
  if (op == ">") return !lt && !eq;
  if (op == "<=") return lt || eq;
  if (op == ">=") return !lt;
  return fail("unrecognized filter operator " + op);
}

class Evaluator {
 public:
  explicit Evaluator(bool allow_missing) : allow_missing_(allow_missing) {}

  // One group of values per {...} executed, as client-go's FindResults.
  Result<std::vector<Values>> run(const Nodes& root, const Json& data) {
    std::vector<Values> groups;
    LAB_TRY(exec(root, 0, root.size(), &data, groups));
    return groups;
  }

 private:
  bool allow_missing_;
  std::deque<Json> arena_;  // values the template makes (text, numbers, string bytes)

  const Json* make(Json v) { return &arena_.emplace_back(std::move(v)); }

  Result<void> exec(const Nodes& root, size_t begin, size_t end, const Json* cur, std::vector<Values>& groups) {
    for (size_t i = begin; i < end; ++i) {
      const Node& n = root[i];
      if (is_ident(n, "range")) {
        size_t stop = i + 1;
        for (int depth = 0; stop < end; ++stop) {
          if (is_ident(root[stop], "range")) ++depth;
          else if (is_ident(root[stop], "end") && depth-- == 0) break;
        }
        auto items = walk({cur}, n);
        if (!items) return std::unexpected(items.error());
        for (const Json* item : *items) LAB_TRY(exec(root, i + 1, stop, item->is_null() ? &kNoValue : item, groups));
        i = stop;
        continue;
      }
      if (is_ident(n, "end")) return fail("not in range, nothing to end");
      auto values = walk({cur}, n);
      if (!values) return std::unexpected(values.error());
      groups.push_back(std::move(*values));
    }
    return {};
  }

  Result<Values> list(Values in, const Nodes& nodes) {
    for (const Node& n : nodes) {
      auto next = walk(in, n);
      if (!next) return next;
      in = std::move(*next);
    }
    return in;
  }

  // The children `..` and `*` descend into; a string's are its bytes, as reflect indexes them.
  Values children(const Json& v) {
    Values out;
    if (v.is_object() || v.is_array())
      for (const auto& c : v) out.push_back(&c);
    else if (v.is_string())
      for (unsigned char c : v.get_ref<const std::string&>()) out.push_back(make(static_cast<unsigned>(c)));
    return out;
  }

  Result<Values> walk(const Values& in, const Node& n) {
    Values out;
    switch (n.kind) {
      case Node::List: return list(in, n.lists[0]);
      case Node::Text: return Values{make(n.text)};
      case Node::Int:
      case Node::Float:
      case Node::Bool: {
        const Json* lit = make(n.kind == Node::Int ? Json(n.i) : n.kind == Node::Float ? Json(n.f) : Json(n.b));
        return Values(in.size(), lit);
      }
      case Node::Identifier:
        if (n.text == "range") return in;
        if (n.text == "end") return Values{};
        return fail("unrecognized identifier " + n.text);
      case Node::Field: {
        if (in.empty()) return out;
        for (const Json* v : in) {
          if (!v->is_object()) continue;
          if (auto it = v->find(n.text); it != v->end()) out.push_back(&*it);
        }
        if (out.empty() && !allow_missing_) return fail(n.text + " is not found");
        return out;
      }
      case Node::Array: {
        for (const Json* v : in) {
          if (v->is_null()) continue;
          if (!v->is_array()) return fail(go_type(*v) + " is not array or slice");
          long long len = v->size();
          Param p[3] = {n.params[0], n.params[1], n.params[2]};
          if (!p[0].known) p[0].value = 0;
          if (p[0].value < 0) p[0].value += len;
          if (!p[1].known) p[1].value = len;
          if (p[1].value < 0 || (p[1].value == 0 && p[1].derived)) p[1].value += len;
          if (p[1].value == p[0].value) return out;  // client-go stops here too
          auto bounds = [&](long long idx) {
            return fail("array index out of bounds: index " + std::to_string(idx) + ", length " +
                        std::to_string(len));
          };
          if (p[0].value >= len || p[0].value < 0) return bounds(p[0].value);
          if (p[1].value > len || p[1].value < 0) return bounds(p[1].value - 1);
          if (p[0].value > p[1].value)
            return fail("starting index " + std::to_string(p[0].value) + " is greater than ending index " +
                        std::to_string(p[1].value));
          long long step = 1;
          if (p[2].known) {
            if (p[2].value <= 0) return fail("step must be > 0");
            step = p[2].value;
          }
          for (long long i = p[0].value; i < p[1].value; i += step) out.push_back(&(*v)[i]);
        }
        return out;
      }
      case Node::Filter: {
        for (const Json* v : in) {
          if (!v->is_array()) return fail(go_format(*v) + " is not array or slice and cannot be filtered");
          for (const Json& item : *v) {
            auto lefts = list({&item}, n.lists[0]);
            if (n.text == "exists") {
              if (lefts && !lefts->empty()) out.push_back(&item);
              continue;
            }
            if (!lefts) return lefts;
            if (lefts->empty()) continue;
            if (lefts->size() > 1) return fail("can only compare one element at a time");
            auto rights = list({&item}, n.lists[1]);
            if (!rights) return rights;
            if (rights->empty()) continue;
            if (rights->size() > 1) return fail("can only compare one element at a time");
            auto pass = compare(*(*lefts)[0], *(*rights)[0], n.text);
            if (!pass) return std::unexpected(pass.error());
            if (*pass) out.push_back(&item);
          }
        }
        return out;
      }
      case Node::Wildcard:
        for (const Json* v : in) {
          Values c = children(*v);
          out.insert(out.end(), c.begin(), c.end());
        }
        return out;
      case Node::Recursive:
        for (const Json* v : in) {
          Values c = children(*v);
          if (c.empty()) continue;
          out.push_back(v);
          auto deeper = walk(c, n);
          if (!deeper) return deeper;
          out.insert(out.end(), deeper->begin(), deeper->end());
        }
        return out;
      case Node::Union:
        for (const Nodes& alt : n.lists) {
          auto part = list(in, alt);
          if (!part) return part;
          out.insert(out.end(), part->begin(), part->end());
        }
        return out;
    }
    return out;
  }
};

Result<Nodes> parse_template(const std::string& templ) { return Parser(templ).parse(); }

// kubectl's RelaxedJSONPathExpression: "a.b", ".a.b", "{a.b}" and "{.a.b}" all mean "{.a.b}".
Result<std::string> relaxed(const std::string& expr) {
  if (expr.empty()) return expr;
  static const std::regex re(R"(^\{\.?([^{}]+)\}$|^\.?([^{}]+)$)");
  std::smatch m;
  if (!std::regex_match(expr, m, re))
    return fail("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or "
                "'{.name1.name2}'");
  return "{." + (m[1].matched ? m[1].str() : m[2].str()) + "}";
}

}  // namespace

Result<std::string> jsonpath(const Json& obj, const std::string& templ) { return jsonpath(obj, templ, false); }

Result<std::string> jsonpath(const Json& obj, const std::string& templ, bool allow_missing_keys) {
  auto root = parse_template(templ);
  if (!root) return fail("error parsing jsonpath " + templ + ", " + root.error().message);
  Evaluator eval(allow_missing_keys);
  auto groups = eval.run(*root, obj);
  if (!groups)
    return fail("error executing jsonpath " + go_quote(templ) +
                ": Error executing template: " + groups.error().message);
  std::string out;
  for (const Values& group : *groups)
    for (size_t i = 0; i < group.size(); ++i) {
      const Json& v = *group[i];
      if (&v == &kNoValue) out += "<no value>";
      else out += v.is_object() || v.is_array() ? go_json(v, -1) : v.is_null() ? "null" : go_format(v);
      if (i + 1 < group.size()) out += ' ';
    }
  return out;
}

Result<std::string> custom_columns(const Json& list, const std::string& spec, bool headers) {
  if (spec.empty()) return fail("custom-columns format specified but no custom columns given");
  std::vector<std::string> names;
  std::vector<Nodes> templates;
  size_t from = 0;
  for (;;) {
    size_t comma = std::min(spec.find(',', from), spec.size());
    std::string part = spec.substr(from, comma - from);
    size_t colon = part.find(':');
    if (colon == std::string::npos)
      return fail("unexpected custom-columns spec: " + part + ", expected <header>:<json-path-expr>");
    auto expr = relaxed(part.substr(colon + 1));
    if (!expr) return std::unexpected(expr.error());
    auto nodes = parse_template(*expr);
    if (!nodes) return std::unexpected(nodes.error());
    names.push_back(part.substr(0, colon));
    templates.push_back(std::move(*nodes));
    if (comma == spec.size()) break;
    from = comma + 1;
  }

  const Json* items = nullptr;
  if (list.is_object() && list.contains("items") && list["items"].is_array()) items = &list["items"];
  if (items && items->empty()) return std::string();
  std::vector<std::vector<std::string>> rows;
  if (headers) rows.push_back(names);
  auto row_of = [&](const Json& obj) -> Result<void> {
    std::vector<std::string> row;
    for (const Nodes& t : templates) {
      Evaluator eval(true);  // kubectl's custom columns always allow missing keys
      auto groups = eval.run(t, obj);
      if (!groups) return std::unexpected(groups.error());
      std::vector<std::string> cells;
      if (groups->empty() || (*groups)[0].empty()) cells.push_back("<none>");
      for (const Values& g : *groups)
        for (const Json* v : g) cells.push_back(go_format(*v));
      std::string cell;
      for (size_t i = 0; i < cells.size(); ++i) cell += (i ? "," : "") + cells[i];
      row.push_back(cell);
    }
    rows.push_back(std::move(row));
    return {};
  };
  if (items) {
    for (const Json& item : *items) LAB_TRY(row_of(item));
  } else {
    LAB_TRY(row_of(list));
  }
  return format_table(rows);
}

}  // namespace lab::cli
