// Label selector parsing and matching (k8s.io/apimachinery/pkg/labels semantics, the common
// subset): equality, inequality, set membership and existence, all ANDed.
#include "lab/api/labels.h"

#include <algorithm>
#include <cctype>

namespace lab::api {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::vector<std::string> split_values(const std::string& inner) {
  std::vector<std::string> vals;
  size_t start = 0;
  for (;;) {
    size_t comma = inner.find(',', start);
    vals.push_back(trim(inner.substr(start, comma == std::string::npos ? std::string::npos
                                                                       : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return vals;
}

}  // namespace

Result<Selector> Selector::parse(const std::string& text) {
  Selector sel;
  if (trim(text).empty()) return sel;
  for (const auto& raw : split_terms(text)) {
    std::string term = trim(raw);
    if (term.empty()) return fail("unable to parse requirement: empty term in selector \"" + text + "\"");
    Requirement r;
    size_t pos;
    if (term[0] == '!') {
      r.key = trim(term.substr(1));
      r.op = Requirement::Op::DoesNotExist;
    } else if ((pos = term.find("!=")) != std::string::npos) {
      r.key = trim(term.substr(0, pos));
      r.op = Requirement::Op::NotEquals;
      r.values = {trim(term.substr(pos + 2))};
    } else if ((pos = term.find("==")) != std::string::npos) {
      r.key = trim(term.substr(0, pos));
      r.op = Requirement::Op::Equals;
      r.values = {trim(term.substr(pos + 2))};
    } else if ((pos = term.find('=')) != std::string::npos) {
      r.key = trim(term.substr(0, pos));
      r.op = Requirement::Op::Equals;
      r.values = {trim(term.substr(pos + 1))};
    } else if ((pos = term.find(" notin ")) != std::string::npos ||
               (pos = term.find(" in ")) != std::string::npos) {
      bool notin = term.compare(pos, 7, " notin ") == 0;
      r.key = trim(term.substr(0, pos));
      r.op = notin ? Requirement::Op::NotIn : Requirement::Op::In;
      std::string rest = trim(term.substr(pos + (notin ? 7 : 4)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
        return fail("unable to parse requirement: expected a list of values in parentheses in \"" +
                    term + "\"");
      r.values = split_values(rest.substr(1, rest.size() - 2));
    } else {
      r.key = term;
      r.op = Requirement::Op::Exists;
    }
    if (r.key.empty() || r.key.find(' ') != std::string::npos)
      return fail("unable to parse requirement: invalid label key in \"" + term + "\"");
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

Selector Selector::from_match_labels(const nlohmann::json& match_labels) {
  Selector sel;
  if (!match_labels.is_object()) return sel;
  // Validation makes every value a string; one that is not (an object stored before validation
  // existed) selects nothing rather than throwing in a controller's thread.
  for (auto it = match_labels.begin(); it != match_labels.end(); ++it)
    sel.reqs_.push_back({it.key(), Requirement::Op::Equals,
                         {it.value().is_string() ? it.value().get<std::string>() : std::string("\x01")}});
  return sel;
}

bool Selector::matches(const nlohmann::json& labels) const {
  for (const auto& r : reqs_) {
    auto found = labels.is_object() ? labels.find(r.key) : labels.end();
    bool has = labels.is_object() && found != labels.end() && found->is_string();
    std::string value = has ? found->get<std::string>() : "";
    bool in = std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case Requirement::Op::Equals:
      case Requirement::Op::In:
        if (!has || !in) return false;
        break;
      case Requirement::Op::NotEquals:
      case Requirement::Op::NotIn:
        if (has && in) return false;
        break;
      case Requirement::Op::Exists:
        if (!has) return false;
        break;
      case Requirement::Op::DoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace lab::api
