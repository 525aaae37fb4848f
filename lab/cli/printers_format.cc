// The formatting every printer shares: timestamps and kubectl's AGE (human_duration), label
// selectors and label maps as text, the table layout of `kubectl get`, and the "No resources found"
// message. Split out of printers.cc, which keeps the table columns of each kind.
#include <algorithm>
#include <optional>
#include <string_view>

#include "lab/base/clock.h"
#include "lab/cli/printers.h"
#include "lab/cli/printers_util.h"

namespace lab::cli {

using namespace printers_detail;

namespace {

// metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key.
std::string selector_string(const Json& sel) {
  std::vector<std::pair<std::string, std::string>> reqs;
  if (const Json* ml = get(sel, {"matchLabels"}); ml && ml->is_object())
    for (const auto& [k, v] : ml->items())
      reqs.emplace_back(k, k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  for (const auto& e : arr(sel, {"matchExpressions"})) {
    std::string key = str(e, {"key"}), op = str(e, {"operator"});
    std::vector<std::string> vals;
    for (const auto& v : arr(e, {"values"}))
      if (v.is_string()) vals.push_back(v.get<std::string>());
    std::sort(vals.begin(), vals.end());
    if (op == "In") reqs.emplace_back(key, key + " in (" + join(vals, ",") + ")");
    else if (op == "NotIn") reqs.emplace_back(key, key + " notin (" + join(vals, ",") + ")");
    else if (op == "Exists") reqs.emplace_back(key, key);
    else if (op == "DoesNotExist") reqs.emplace_back(key, "!" + key);
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (auto& r : reqs) parts.push_back(r.second);
  return join(parts, ",");
}

size_t display_width(std::string_view s) {
  // tabwriter counts runes, not bytes.
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace

std::string human_duration(std::chrono::seconds d) {
  long long seconds = d.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  long long minutes = seconds / 60;
  if (minutes < 10) {
    long long s = seconds % 60;
    return std::to_string(minutes) + "m" + (s ? std::to_string(s) + "s" : "");
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  long long hours = seconds / 3600;
  if (hours < 8) {
    long long m = minutes % 60;
    return std::to_string(hours) + "h" + (m ? std::to_string(m) + "m" : "");
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    long long h = hours % 24;
    return std::to_string(hours / 24) + "d" + (h ? std::to_string(h) + "h" : "");
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    long long dy = hours / 24 % 365;
    return std::to_string(hours / 24 / 365) + "y" + (dy ? std::to_string(dy) + "d" : "");
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::string age_of(const std::string& rfc3339, Clock::time_point now) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

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

std::string format_labels(const Json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())  // nlohmann keeps keys sorted, as FormatLabels sorts them
      parts.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  return or_none(join(parts, ","));
}

std::optional<Clock::time_point> parse_time(const std::string& rfc3339) { return lab::parse_rfc3339(rfc3339); }

std::string label_selector_string(const Json& selector) { return selector_string(selector); }

std::string no_resources_message(const std::string& ns) {
  if (ns.empty()) return "No resources found\n";
  return "No resources found in " + ns + " namespace.\n";
}

}  // namespace lab::cli
