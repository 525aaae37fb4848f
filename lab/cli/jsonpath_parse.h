// The parsed form of a client-go JSONPath template, shared by its parser (jsonpath_parse.cc) and
// the evaluator behind -o jsonpath and -o custom-columns (jsonpath.cc). Internal to lab/cli.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lab/api/go_quote.h"
#include "lab/base/result.h"

namespace lab::cli::jsonpath_detail {

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

// jsonpath.Parse: the template's nodes, or client-go's parse error text.
Result<Nodes> parse_template(const std::string& templ);
// strconv.Quote, for the template echoed back in errors.
using api::go_quote;

}  // namespace lab::cli::jsonpath_detail
