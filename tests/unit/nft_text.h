// Reading nft ruleset text in the proxy's unit tests: its lines without the indentation, and
// whether a line is there (as a gtest assertion that prints the text when it is not).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

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

}  // namespace lab::testing
