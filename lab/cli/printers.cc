// kubectl's tables: a server's Table laid out as kubectl's HumanReadablePrinter does (print_table,
// TablePrinter for watches), and the per-kind tables of a list, which run the API's printer
// (lab/api/table.h) here. describe's event interval lives here too.
#include "lab/cli/printers.h"

#include <algorithm>
#include <cctype>

#include "lab/cli/printers_util.h"

namespace lab::cli {

using namespace printers_detail;

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// printRows: a string is cut at its first newline, carriage return or form feed (tabwriter would
// break the line there); anything else prints as fmt.Sprint does.
std::string cell_text(const Json& cell) {
  if (!cell.is_string()) return go_format(cell);
  const std::string& s = cell.get_ref<const std::string&>();
  size_t cut = s.find_first_of("\f\n\r");
  return cut == std::string::npos ? s : s.substr(0, cut) + "...";
}

}  // namespace

std::string print_table(const Json& table, const TablePrintOptions& opts) {
  const Json& rows = arr(table, {"rows"});
  if (rows.empty()) return "";
  const Json& columns = arr(table, {"columnDefinitions"});
  std::vector<bool> shown;
  std::vector<std::string> header;
  if (opts.namespace_column) header.push_back("NAMESPACE");
  for (const auto& c : columns) {
    shown.push_back(opts.wide || num(c, {"priority"}) == 0);
    if (shown.back()) header.push_back(upper(str(c, {"name"})));
  }
  if (opts.show_labels) header.push_back("LABELS");
  std::vector<std::vector<std::string>> lines;
  if (opts.headers) lines.push_back(std::move(header));
  for (const auto& row : rows) {
    std::vector<std::string> line;
    if (opts.namespace_column) line.push_back(str(row, {"object", "metadata", "namespace"}));
    const Json& cells = arr(row, {"cells"});
    for (size_t i = 0; i < cells.size() && i < shown.size(); ++i)
      if (shown[i]) line.push_back(cell_text(cells[i]));
    if (opts.show_labels) {
      const Json* labels = get(row, {"object", "metadata", "labels"});
      line.push_back(format_labels(labels ? *labels : Json::object()));
    }
    lines.push_back(std::move(line));
  }
  return format_table(lines);
}

std::string TablePrinter::print(Json table) {
  TablePrintOptions opts = opts_;
  const Json& columns = arr(table, {"columnDefinitions"});
  if (columns.empty() || columns == last_columns_) opts.headers = false;
  if (columns.empty()) table["columnDefinitions"] = last_columns_;
  else last_columns_ = columns;
  std::string out = print_table(table, opts);
  // A header printed with no rows would be lost: kubectl prints it with the first row instead.
  if (out.empty() && opts.headers) last_columns_ = Json();
  return out;
}

std::string kind_table(const std::string& kind, const Json& list, bool wide, bool headers, Clock::time_point now) {
  const Json* items = get(list, {"items"});
  api::TableOptions topts;
  topts.wide = wide;
  Json table = api::make_table(kind, items ? *items : Json::array(), "", topts, now);
  return print_table(table, {.wide = wide, .headers = headers});
}

std::string pods_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("Pod", list, wide, headers, now);
}
std::string nodes_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("Node", list, wide, headers, now);
}
std::string deployments_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("Deployment", list, wide, headers, now);
}
std::string replicasets_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("ReplicaSet", list, wide, headers, now);
}
std::string services_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("Service", list, wide, headers, now);
}
std::string endpointslices_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("EndpointSlice", list, wide, headers, now);
}
std::string events_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("Event", list, wide, headers, now);
}
std::string secrets_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("Secret", list, wide, headers, now);
}
std::string configmaps_table(const Json& list, bool wide, bool headers, Clock::time_point now) {
  return kind_table("ConfigMap", list, wide, headers, now);
}

// DescribeEvents' interval: eventTime (else firstTimestamp) is the first sighting.
std::string event_interval(const Json& e, Clock::time_point now) {
  std::string first = str(e, {"eventTime"}).empty() ? age_of(str(e, {"firstTimestamp"}), now)
                                                    : age_of(str(e, {"eventTime"}), now);
  if (get(e, {"series"}))
    return age_of(str(e, {"series", "lastObservedTime"}), now) + " (x" +
           std::to_string(num(e, {"series", "count"})) + " over " + first + ")";
  if (num(e, {"count"}) > 1)
    return age_of(str(e, {"lastTimestamp"}), now) + " (x" + std::to_string(num(e, {"count"})) + " over " + first +
           ")";
  return first;
}

}  // namespace lab::cli
