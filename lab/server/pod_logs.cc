#include "lab/server/pod_logs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "lab/api/json_access.h"
#include "lab/base/parse.h"

namespace lab::server {

namespace {

Result<std::optional<int64_t>> non_negative(const std::map<std::string, std::string>& query, const std::string& key) {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return std::optional<int64_t>();
  auto n = parse_number<int64_t>(it->second);
  if (!n) return fail_api(Reason::BadRequest, "couldn't parse '" + key + "': " + n.error().message);
  if (*n < 0)
    return fail_api(Reason::Invalid, "PodLogOptions \"\" is invalid: " + key + ": Invalid value: " + it->second +
                                         ": must be greater than or equal to 0");
  return std::optional<int64_t>(*n);
}

bool flag(const std::map<std::string, std::string>& query, const std::string& key) {
  auto it = query.find(key);
  return it != query.end() && (it->second == "true" || it->second == "1");
}

}  // namespace

Result<LogOptions> log_options(const std::map<std::string, std::string>& query) {
  LogOptions o;
  o.follow = flag(query, "follow");
  o.previous = flag(query, "previous");
  auto tail = non_negative(query, "tailLines");
  if (!tail) return std::unexpected(tail.error());
  auto limit = non_negative(query, "limitBytes");
  if (!limit) return std::unexpected(limit.error());
  o.tail_lines = *tail;
  o.limit_bytes = *limit;
  if (o.limit_bytes && *o.limit_bytes == 0)
    return fail_api(Reason::Invalid, "PodLogOptions \"\" is invalid: limitBytes: Invalid value: 0: must be greater than 0");
  return o;
}

Result<off_t> tail_offset(int fd, int64_t n) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return fail_errno("stat the log");
  off_t end = st.st_size;
  if (n == 0) return end;
  std::vector<char> buf(65536);
  int64_t newlines = 0;
  off_t pos = end;
  bool last = true;  // the file's last byte: a newline there ends the last line, it starts none
  while (pos > 0) {
    off_t len = std::min<off_t>(pos, static_cast<off_t>(buf.size()));
    pos -= len;
    ssize_t got = ::pread(fd, buf.data(), static_cast<size_t>(len), pos);
    if (got != len) return fail_errno("read the log");
    for (off_t i = len - 1; i >= 0; --i) {
      if (buf[static_cast<size_t>(i)] != '\n') {
        last = false;
        continue;
      }
      if (last) {
        last = false;
        continue;
      }
      if (++newlines == n) return pos + i + 1;
    }
  }
  return 0;
}

bool container_terminated(const nlohmann::json& pod, const std::string& container) {
  const auto& statuses = api::member(api::member(pod, "status"), "containerStatuses");
  if (!statuses.is_array()) return false;
  for (const auto& s : statuses)
    if (s.is_object() && api::string_at(s, "name") == container)
      return api::member(api::member(s, "state"), "terminated").is_object();
  return false;
}

bool log_replaced(int fd, const std::string& path) {
  struct stat open{}, now{};
  if (::fstat(fd, &open) != 0) return true;
  if (::stat(path.c_str(), &now) != 0) return true;
  return open.st_ino != now.st_ino || open.st_dev != now.st_dev;
}

}  // namespace lab::server
