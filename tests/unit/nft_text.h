// Reading nft ruleset text in the proxy's unit tests: its lines without the indentation, and
// whether a line is there (as a gtest assertion that prints the text when it is not); and the
// node those tests program.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "lab/proxy/rules.h"

namespace lab::testing {

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    size_t b = l.find_first_not_of('\t');
    out.push_back(b == std::string::npos ? "" : l.substr(b));
  }
  return out;
}

inline bool has_line(const std::string& text, const std::string& line) {
  auto ls = lines_of(text);
  return std::find(ls.begin(), ls.end(), line) != ls.end();
}

inline ::testing::AssertionResult HasLine(const std::string& text, const std::string& line) {
  if (has_line(text, line)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "missing line:\n  " << line << "\nin:\n" << text;
}

// A node at 172.18.0.2 in the default lab ranges (pods 10.244.0.0/16, services 10.96.0.0/12).
inline lab::proxy::NodeView view(std::vector<lab::proxy::ServicePort> ports) {
  lab::proxy::NodeView v;
  v.node_ips = {"172.18.0.2"};
  v.pod_cidr = "10.244.0.0/16";
  v.service_cidr = "10.96.0.0/12";
  v.ports = std::move(ports);
  return v;
}

// The full ruleset of v, failing the test (and giving "") when it cannot be made.
inline std::string full(const lab::proxy::NodeView& v) {
  auto t = lab::proxy::full_ruleset(v);
  EXPECT_TRUE(t) << (t ? "" : t.error().what());
  return t.value_or("");
}

}  // namespace lab::testing
