// The formatting every printer shares: timestamps, the table layout of `kubectl get`, and the "No
// resources found" message. Ages, selectors and label maps as text are the API's printer's
// (lab/api/table_format.cc).
#include <algorithm>
#include <optional>
#include <string_view>

#include "lab/base/clock.h"
#include "lab/cli/printers.h"
#include "lab/cli/printers_util.h"

namespace lab::cli {

using namespace printers_detail;

namespace {

size_t display_width(std::string_view s) {
  // tabwriter counts runes, not bytes.
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], display_width(row[i]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      // kubectl's tabwriter: padding 3, minimum cell width 6.
      if (i + 1 < row.size()) line.append(std::max<size_t>(width[i] + 3, 6) - display_width(row[i]), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::optional<Clock::time_point> parse_time(const std::string& rfc3339) { return lab::parse_rfc3339(rfc3339); }

std::string no_resources_message(const std::string& ns) {
  if (ns.empty()) return "No resources found\n";
  return "No resources found in " + ns + " namespace.\n";
}

}  // namespace lab::cli
