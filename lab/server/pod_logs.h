// pods/{name}/log's pure parts: the query kubectl sends (follow, previous, tailLines, limitBytes),
// where a tail starts in a log file, and when a followed container's log has ended (the kubelet
// ends `logs -f` when the container it follows exits: shared/reference/kubectl.md §5.16).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lab/base/result.h"

namespace lab::server {

struct LogOptions {
  bool follow = false;
  bool previous = false;
  std::optional<int64_t> tail_lines;   // the last N lines only
  std::optional<int64_t> limit_bytes;  // stop after N bytes
};

// The query's options; a malformed or negative number is a 422 naming the field, as the apiserver's
// PodLogOptions validation words it.
Result<LogOptions> log_options(const std::map<std::string, std::string>& query);

// The offset in the file open on fd where its last n lines start (a last line without a newline
// counts as a line); 0 when it has n lines or fewer. Reads backwards, at most what the tail needs.
Result<off_t> tail_offset(int fd, int64_t n);

// Whether the container's run has ended as the pod's status says (state.terminated).
bool container_terminated(const nlohmann::json& pod, const std::string& container);

// Whether the log file open on fd is still the container's current log at path: a restart moves
// it to .previous and starts a new one, so the run being followed has ended.
bool log_replaced(int fd, const std::string& path);

}  // namespace lab::server
