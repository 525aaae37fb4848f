// Label selectors: a port of k8s.io/apimachinery/pkg/labels/selector.go's lexer and recursive
// descent parser, message for message, because kubectl users read these errors and scripts match
// them. A selector that does not parse is an error: the old hand-split parser read "!!!" as
// "no label !!", which matched every object, so `delete -l '!!!'` deleted everything.
#include "lab/api/labels.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "lab/api/go_quote.h"
#include "lab/base/parse.h"

namespace lab::api {
namespace {

using Op = Requirement::Op;

// ---- apimachinery's validation messages (pkg/util/validation) ----

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool qualified_name_part(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
bool dns1123_subdomain(std::string_view s) {
  for (size_t start = 0;;) {
    const size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || !lower_alnum(part.front()) || !lower_alnum(part.back())) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return lower_alnum(c) || c == '-'; })) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

constexpr const char* kQualifiedNameRegexError =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr const char* kSubdomainRegexError =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr const char* kLabelValueRegexError =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

void add(std::string& out, const std::string& problem) { out += (out.empty() ? "" : "; ") + problem; }

// field.Invalid(path, value, detail).Error()
std::string invalid(const std::string& path, std::string_view value, const std::string& detail) {
  return path + ": Invalid value: " + go_quote(value) + ": " + detail;
}

// ---- the lexer ----

enum class Token {
  Error, EndOfString, ClosedPar, Comma, DoesNotExist, DoubleEquals, Equals, GreaterThan, Identifier, In,
  LessThan, NotEquals, NotIn, OpenPar,
};

struct Item {
  Token tok;
  std::string literal;
};

// string2token: the literals that are tokens rather than identifiers.
std::optional<Token> keyword(std::string_view s) {
  static const std::pair<std::string_view, Token> table[] = {
      {")", Token::ClosedPar}, {",", Token::Comma},      {"!", Token::DoesNotExist}, {"==", Token::DoubleEquals},
      {"=", Token::Equals},    {">", Token::GreaterThan}, {"in", Token::In},          {"<", Token::LessThan},
      {"!=", Token::NotEquals}, {"notin", Token::NotIn},  {"(", Token::OpenPar},
  };
  for (const auto& [text, tok] : table)
    if (text == s) return tok;
  return std::nullopt;
}

bool whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool special(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

// Go's lexer stops at a NUL byte as at the end; here a NUL is an ordinary byte, which no key or
// value allows, so "a\0,b" is refused instead of read as "a".
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item lex() {
    while (pos_ < s_.size() && whitespace(s_[pos_])) ++pos_;
    if (pos_ == s_.size()) return {Token::EndOfString, ""};
    return special(s_[pos_]) ? special_symbol() : id_or_keyword();
  }

 private:
  Item id_or_keyword() {
    const size_t start = pos_;
    while (pos_ < s_.size() && !special(s_[pos_]) && !whitespace(s_[pos_])) ++pos_;
    std::string text(s_.substr(start, pos_ - start));
    if (auto tok = keyword(text)) return {*tok, text};
    return {Token::Identifier, text};
  }

  // The longest run of special characters that is a token: "!=" rather than "!" then "=".
  Item special_symbol() {
    std::string buffer;
    std::optional<Item> last;
    while (pos_ < s_.size() && special(s_[pos_])) {
      buffer += s_[pos_++];
      if (auto tok = keyword(buffer)) {
        last = Item{*tok, buffer};
      } else if (last) {
        --pos_;
        break;
      }
    }
    if (!last) return {Token::Error, "error expected: keyword found '" + buffer + "'"};
    return *last;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---- the parser ----

enum class Context { KeyAndOperator, Values };

class Parser {
 public:
  explicit Parser(std::string_view s) {
    Lexer lexer(s);
    for (;;) {
      items_.push_back(lexer.lex());
      if (items_.back().tok == Token::EndOfString) break;
    }
  }

  Result<std::vector<Requirement>> parse() {
    std::vector<Requirement> reqs;
    for (;;) {
      auto [tok, lit] = lookahead(Context::Values);
      switch (tok) {
        case Token::Identifier:
        case Token::DoesNotExist: {
          auto r = requirement();
          if (!r) return bad("unable to parse requirement: " + r.error().message);
          reqs.push_back(std::move(*r));
          auto [t, l] = consume(Context::Values);
          if (t == Token::EndOfString) return reqs;
          if (t != Token::Comma) return bad("found '" + l + "', expected: ',' or 'end of string'");
          auto [t2, l2] = lookahead(Context::Values);
          if (t2 != Token::Identifier && t2 != Token::DoesNotExist)
            return bad("found '" + l2 + "', expected: identifier after ','");
          break;
        }
        case Token::EndOfString:
          return reqs;
        default:
          return bad("found '" + lit + "', expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  static std::unexpected<Error> bad(std::string message) { return fail_api(Reason::BadRequest, std::move(message)); }

  Item lookahead(Context c) const { return in_context(items_[std::min(pos_, items_.size() - 1)], c); }
  Item consume(Context c) {
    Item item = lookahead(c);
    if (pos_ < items_.size() - 1) ++pos_;  // the end of the string stays the end
    return item;
  }
  // Where values are expected, "in" and "notin" are values: "x in (in)".
  static Item in_context(Item item, Context c) {
    if (c == Context::Values && (item.tok == Token::In || item.tok == Token::NotIn)) item.tok = Token::Identifier;
    return item;
  }

  Result<Requirement> requirement() {
    Requirement r;
    bool unary = false;
    Item key = consume(Context::Values);
    if (key.tok == Token::DoesNotExist) {
      r.op = Op::DoesNotExist;
      unary = true;
      key = consume(Context::Values);
    }
    if (key.tok != Token::Identifier) return bad("found '" + key.literal + "', expected: identifier");
    if (std::string problems = qualified_name_problems(key.literal); !problems.empty())
      return bad(invalid("<nil>", key.literal, problems));  // the parser's field path is nil
    r.key = key.literal;
    if (auto [t, l] = lookahead(Context::Values); t == Token::EndOfString || t == Token::Comma) {
      if (!unary) r.op = Op::Exists;
      unary = true;
    }
    if (unary) return r;  // "!key=value" leaves "=value" to the caller, which refuses it

    auto [op_tok, op_lit] = consume(Context::KeyAndOperator);
    switch (op_tok) {
      case Token::In: r.op = Op::In; break;
      case Token::Equals: r.op = Op::Equals; break;
      case Token::DoubleEquals: r.op = Op::DoubleEquals; break;
      case Token::GreaterThan: r.op = Op::GreaterThan; break;
      case Token::LessThan: r.op = Op::LessThan; break;
      case Token::NotIn: r.op = Op::NotIn; break;
      case Token::NotEquals: r.op = Op::NotEquals; break;
      default: return bad("found '" + op_lit + "', expected: in, notin, =, ==, !=, gt, lt");
    }
    auto values = (r.op == Op::In || r.op == Op::NotIn) ? value_set() : exact_value();
    if (!values) return std::unexpected(values.error());
    std::sort(values->begin(), values->end());
    values->erase(std::unique(values->begin(), values->end()), values->end());
    r.values = std::move(*values);
    if (std::string problems = value_problems(r); !problems.empty()) return bad(problems);
    return r;
  }

  // "(" values ")"; "()" is the set holding "".
  Result<std::vector<std::string>> value_set() {
    if (Item open = consume(Context::Values); open.tok != Token::OpenPar)
      return bad("found '" + open.literal + "' expected: '('");
    const Item first = lookahead(Context::Values);
    if (first.tok == Token::ClosedPar) {
      consume(Context::Values);
      return std::vector<std::string>{""};
    }
    if (first.tok != Token::Identifier && first.tok != Token::Comma)
      return bad("found '" + first.literal + "', expected: ',', ')' or identifier");
    auto values = identifiers();
    if (!values) return values;
    // apimachinery names the token that started the list here, not the one it found.
    if (consume(Context::Values).tok != Token::ClosedPar) return bad("found '" + first.literal + "', expected: ')'");
    return values;
  }

  // Comma-separated, possibly empty values: "a,,b", ",a", "a,".
  Result<std::vector<std::string>> identifiers() {
    std::vector<std::string> values;
    for (;;) {
      auto [tok, lit] = consume(Context::Values);
      if (tok == Token::Identifier) {
        values.push_back(lit);
        auto [t2, l2] = lookahead(Context::Values);
        if (t2 == Token::Comma) continue;
        if (t2 == Token::ClosedPar) return values;
        return bad("found '" + l2 + "', expected: ',' or ')'");
      }
      if (tok != Token::Comma) return bad("found '" + lit + "', expected: ',', or identifier");
      if (values.empty()) values.push_back("");  // "(,"
      auto t2 = lookahead(Context::Values).tok;
      if (t2 == Token::ClosedPar) {
        values.push_back("");  // ",)"
        return values;
      }
      if (t2 == Token::Comma) {
        consume(Context::Values);
        values.push_back("");  // ",,"
      }
    }
  }

  // The one value of =, ==, !=, > and <; nothing before ',' or the end is "".
  Result<std::vector<std::string>> exact_value() {
    if (auto t = lookahead(Context::Values).tok; t == Token::EndOfString || t == Token::Comma)
      return std::vector<std::string>{""};
    auto [tok, lit] = consume(Context::Values);
    if (tok == Token::Identifier) return std::vector<std::string>{lit};
    return bad("found '" + lit + "', expected: identifier");
  }

  // NewRequirement's checks of the values, as one aggregate: "msg" or "[msg1, msg2]".
  static std::string value_problems(const Requirement& r) {
    std::vector<std::string> errors;
    auto add_error = [&](std::string e) {
      if (std::find(errors.begin(), errors.end(), e) == errors.end()) errors.push_back(std::move(e));
    };
    for (size_t i = 0; i < r.values.size(); ++i) {
      const std::string at = "values[" + std::to_string(i) + "]";
      if ((r.op == Op::GreaterThan || r.op == Op::LessThan) && !parse_number<int64_t>(r.values[i]))
        add_error(invalid(at, r.values[i], "for 'Gt', 'Lt' operators, the value must be an integer"));
    }
    for (size_t i = 0; i < r.values.size(); ++i)
      if (std::string problems = label_value_problems(r.values[i]); !problems.empty())
        add_error(invalid("values[" + std::to_string(i) + "][" + r.key + "]", r.values[i], problems));
    if (errors.empty()) return "";
    if (errors.size() == 1) return errors[0];
    std::string out;
    for (const auto& e : errors) out += (out.empty() ? "" : ", ") + e;
    return "[" + out + "]";
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

}  // namespace

std::string qualified_name_problems(std::string_view key) {
  std::string out;
  std::string_view name = key;
  const size_t slashes = static_cast<size_t>(std::count(key.begin(), key.end(), '/'));
  if (slashes > 1)
    return std::string("a qualified name ") + kQualifiedNameRegexError +
           " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  if (slashes == 1) {
    const std::string_view prefix = key.substr(0, key.find('/'));
    name = key.substr(key.find('/') + 1);
    if (prefix.empty()) {
      add(out, "prefix part must be non-empty");
    } else {
      if (prefix.size() > 253) add(out, "prefix part must be no more than 253 characters");
      if (!dns1123_subdomain(prefix)) add(out, std::string("prefix part ") + kSubdomainRegexError);
    }
  }
  if (name.empty()) add(out, "name part must be non-empty");
  else if (name.size() > 63) add(out, "name part must be no more than 63 characters");
  if (!qualified_name_part(name)) add(out, std::string("name part ") + kQualifiedNameRegexError);
  return out;
}

std::string label_value_problems(std::string_view value) {
  std::string out;
  if (value.size() > 63) add(out, "must be no more than 63 characters");
  if (!value.empty() && !qualified_name_part(value)) add(out, kLabelValueRegexError);
  return out;
}

Result<Selector> Selector::parse(std::string_view text) {
  auto reqs = Parser(text).parse();
  if (!reqs) return std::unexpected(reqs.error());
  // Sorted by key, as apimachinery keeps them (its String() and so its messages depend on it).
  std::stable_sort(reqs->begin(), reqs->end(), [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  Selector sel;
  sel.reqs_ = std::move(*reqs);
  return sel;
}

Selector Selector::from_match_labels(const nlohmann::json& match_labels) {
  Selector sel;
  if (!match_labels.is_object()) return sel;
  // Validation makes every value a string; one that is not (an object stored before validation
  // existed) selects nothing rather than throwing in a controller's thread.
  for (auto it = match_labels.begin(); it != match_labels.end(); ++it)
    sel.reqs_.push_back({it.key(), Op::Equals,
                         {it.value().is_string() ? it.value().get<std::string>() : std::string("\x01")}});
  return sel;
}

// Requirement.Matches. A label whose value is not a string (stored before validation existed)
// counts as absent.
bool Requirement::matches(const nlohmann::json& labels) const {
  auto found = labels.is_object() ? labels.find(key) : labels.end();
  const bool has = labels.is_object() && found != labels.end() && found->is_string();
  const std::string value = has ? found->get<std::string>() : "";
  const bool in = std::find(values.begin(), values.end(), value) != values.end();
  switch (op) {
    case Op::Equals:
    case Op::DoubleEquals:
    case Op::In: return has && in;
    case Op::NotEquals:
    case Op::NotIn: return !has || !in;
    case Op::Exists: return has;
    case Op::DoesNotExist: return !has;
    case Op::GreaterThan:
    case Op::LessThan: {
      if (!has || values.size() != 1) return false;
      auto mine = parse_number<int64_t>(value), theirs = parse_number<int64_t>(values[0]);
      if (!mine || !theirs) return false;
      return op == Op::GreaterThan ? *mine > *theirs : *mine < *theirs;
    }
  }
  return false;
}

bool Selector::matches(const nlohmann::json& labels) const {
  return std::all_of(reqs_.begin(), reqs_.end(), [&](const Requirement& r) { return r.matches(labels); });
}

}  // namespace lab::api
