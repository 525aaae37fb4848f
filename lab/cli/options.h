// Option parsing shared by the CLI verbs (Boost.Program_options).
// kubectl-style: flags anywhere, positional arguments in order.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace lab::cli {

namespace po = boost::program_options;

inline po::variables_map parse(const std::vector<std::string>& args, const po::options_description& opts,
                               const po::positional_options_description& pos) {
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  return vm;
}

// A string option's value, "" when absent.
inline std::string arg(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::string>() : "";
}

}  // namespace lab::cli
