// Figures of a benchmark's runs: median, minimum and maximum (shared by the bench programs).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace lab::bench {

struct Stats {
  double median = 0, min = 0, max = 0;
};

inline Stats stats(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  if (xs.empty()) return {};
  return {xs[xs.size() / 2], xs.front(), xs.back()};
}

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace lab::bench
