// Option parsing shared by the CLI verbs (Boost.Program_options).
// kubectl-style: flags anywhere, positional arguments in order. Every verb also takes kubectl's
// global --request-timeout, and none takes an empty --lab.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "lab/base/parse.h"
#include "lab/base/result.h"
#include "lab/server/http.h"

namespace lab::cli {

namespace po = boost::program_options;

// Without --request-timeout, how long a command waits for a lab's daemon to answer (kubectl
// waits for ever; a stopped daemon must not hang every command). Streams (get -w, logs -f) wait
// this long for their first answer, then as long as they run.
inline constexpr std::chrono::seconds kDefaultRequestTimeout{30};

// kubectl's --request-timeout (client-go's ParseTimeout): a whole number of seconds ("5"), or a
// Go duration ("1m30s", "1.5s", "300ms"); "0" is no timeout. Negative values are refused.
inline Result<std::chrono::milliseconds> parse_request_timeout(std::string_view s) {
  auto invalid = [] {
    return fail("invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                "followed by a corresponding time unit (e.g. 1s | 2m | 3h)");
  };
  constexpr int64_t kMaxSeconds = int64_t{1} << 31;  // some 68 years: "for ever" enough
  if (auto secs = parse_number<int64_t>(s, 0, kMaxSeconds)) return std::chrono::seconds(*secs);
  // Go's time.ParseDuration: [+]{decimal number, unit}..., units ns us µs ms s m h.
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return invalid();
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"\u00b5s", 1e-3}, {"\u03bcs", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
  double total_ms = 0;
  while (!s.empty()) {
    size_t i = 0, digits = 0;
    double value = 0, scale = 1;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) value = value * 10 + (s[i] - '0');
    if (i < s.size() && s[i] == '.')
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) value += (s[i] - '0') * (scale /= 10);
    if (digits == 0) return invalid();
    s.remove_prefix(i);
    // The longest unit that matches: "ms" before "m", "s".
    const std::pair<std::string_view, double>* unit = nullptr;
    for (const auto& u : kUnits)
      if (s.starts_with(u.first) && (!unit || u.first.size() > unit->first.size())) unit = &u;
    if (!unit) return invalid();
    s.remove_prefix(unit->first.size());
    total_ms += value * unit->second;
  }
  if (!(total_ms <= static_cast<double>(kMaxSeconds) * 1000)) return invalid();
  // Rounded up: a timeout of 500us is a timeout, not none.
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(total_ms)));
}

// Sets this process's client timeouts from --request-timeout (absent: the default, for answers).
inline void apply_request_timeout(const po::variables_map& vm) {
  if (!vm.count("request-timeout")) {
    server::set_client_timeout(kDefaultRequestTimeout, /*whole_stream=*/false);
    return;
  }
  auto timeout = parse_request_timeout(vm["request-timeout"].as<std::string>());
  if (!timeout) throw po::error(timeout.error().what());
  server::set_client_timeout(*timeout, /*whole_stream=*/true);
}

inline po::variables_map parse(const std::vector<std::string>& args, const po::options_description& opts,
                               const po::positional_options_description& pos) {
  po::options_description all;
  all.add(opts);
  all.add_options()("request-timeout", po::value<std::string>());
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  // `--lab ''` is a slip (an unset shell variable), not "the only lab": `lab down --lab "$L"`
  // must not delete whichever lab happens to run.
  if (vm.count("lab") && vm["lab"].value().type() == typeid(std::string) && vm["lab"].as<std::string>().empty())
    throw po::error("--lab must name a lab, it is empty (lab ls lists the running labs)");
  apply_request_timeout(vm);
  return vm;
}

// A string option's value, "" when absent.
inline std::string arg(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::string>() : "";
}

}  // namespace lab::cli
