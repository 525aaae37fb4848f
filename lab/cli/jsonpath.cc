// -o jsonpath and -o custom-columns: a port of client-go's util/jsonpath parser and evaluator, so
// templates, error texts and the printing of results (space-joined, JSON for maps) match kubectl.
// The parser is in jsonpath_parse.cc; this file holds the evaluator and the two output formats.
#include <algorithm>
#include <deque>
#include <regex>
#include <string_view>

#include "lab/cli/jsonpath_parse.h"
#include "lab/cli/printers.h"

namespace lab::cli {

using namespace jsonpath_detail;

namespace {

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
