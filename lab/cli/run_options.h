// `lab run`'s flags and the Pod it creates, as kubectl run builds it (pure: unit-tested).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/base/result.h"

namespace lab::cli {

struct RunOptions {
  std::string name, image, ns = "default", lab;
  bool stdin = false, tty = false, remove = false, command = false;
  std::string restart = "Always";
  std::vector<std::pair<std::string, std::string>> env;     // --env K=V, in order
  std::vector<std::pair<std::string, std::string>> labels;  // --labels; default run=NAME
  std::optional<int> port;
  std::vector<std::string> args;  // after `--`: args, or the command with --command
  std::optional<std::string> request_timeout;
};

// Parses the words after `run`, with kubectl's checks and wording (the first line of each
// error is kubectl's).
Result<RunOptions> parse_run_args(const std::vector<std::string>& words);

// The Pod kubectl run posts: labels run=NAME unless --labels, one container named NAME,
// stdin/stdinOnce with -i, tty with -t, restartPolicy from --restart.
nlohmann::json run_pod_object(const RunOptions& o);

}  // namespace lab::cli
