// `kubectl get secrets` and `kubectl get configmaps`, as Kubernetes' printers (pkg/printers/internalversion)
// lay them out: NAME TYPE DATA AGE, and NAME DATA AGE, DATA counting keys (data and binaryData).
#include "lab/cli/printers_util.h"

namespace lab::cli {

using namespace printers_detail;

namespace {

size_t keys(const Json& o, const char* field) {
  const Json* v = get(o, {field});
  return v && v->is_object() ? v->size() : 0;
}

std::string rows_of(const Json& list, std::vector<std::string> header, bool headers,
                    std::vector<std::string> (*row)(const Json&, Clock::time_point), Clock::time_point now) {
  const Json& items = arr(list, {"items"});
  if (items.empty()) return "";  // "No resources found" goes to stderr, as kubectl prints it
  std::vector<std::vector<std::string>> rows;
  if (headers) rows.push_back(std::move(header));
  for (const auto& item : items) rows.push_back(row(item, now));
  return format_table(rows);
}

std::vector<std::string> secret_row(const Json& s, Clock::time_point now) {
  return {str(s, {"metadata", "name"}), str(s, {"type"}), std::to_string(keys(s, "data")), age(s, now)};
}

std::vector<std::string> configmap_row(const Json& c, Clock::time_point now) {
  return {str(c, {"metadata", "name"}), std::to_string(keys(c, "data") + keys(c, "binaryData")), age(c, now)};
}

}  // namespace

std::string secrets_table(const Json& list, bool /*wide: no more columns*/, bool headers, Clock::time_point now) {
  return rows_of(list, {"NAME", "TYPE", "DATA", "AGE"}, headers, secret_row, now);
}

std::string configmaps_table(const Json& list, bool /*wide: no more columns*/, bool headers, Clock::time_point now) {
  return rows_of(list, {"NAME", "DATA", "AGE"}, headers, configmap_row, now);
}

}  // namespace lab::cli
