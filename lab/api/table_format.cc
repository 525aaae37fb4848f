// The parts of server-side printing every kind shares: ages (HumanDuration), selectors and label
// maps as text, the Table document itself (columns, rows, rows[].object), the default columns of a
// kind without a printer, and the Accept negotiation that decides whether a GET answers a Table.
// The per-kind columns and cells are in table_workloads.cc and table_network.cc.
#include <algorithm>
#include <cctype>

#include "lab/api/resources.h"
#include "lab/api/table.h"
#include "lab/api/table_util.h"
#include "lab/base/clock.h"

namespace lab::api {

using namespace table_detail;

namespace table_detail {
const char* const kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended for "
    "creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const char* const kAgeDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It "
    "is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
    "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
}  // namespace table_detail

namespace {

// The apiserver's defaultTableConvertor: what a kind without a printer gets.
const std::vector<TableColumn>& default_columns() {
  static const std::vector<TableColumn> cols = {
      {"Name", "string", "name", kNameDescription, 0},
      {"Created At", "date", "", kAgeDescription, 0},
  };
  return cols;
}

Json default_cells(const Json& obj, bool, Clock::time_point) {
  auto t = parse_rfc3339(str(obj, {"metadata", "creationTimestamp"}));
  return Json::array({str(obj, {"metadata", "name"}), t ? rfc3339(Clock::to_time_t(*t)) : ""});
}

const KindPrinter* printer_of(const std::string& kind) {
  for (const auto* set : {&workload_printers(), &network_printers()})
    for (const auto& p : *set)
      if (kind == p.kind) return &p;
  return nullptr;
}

Json column_json(const TableColumn& c) {
  return {{"name", c.name}, {"type", c.type}, {"format", c.format}, {"description", c.description},
          {"priority", c.priority}};
}

// kubectl's printer marks finished pods' rows (printPod's podSuccessConditions/podFailedConditions).
Json row_conditions(const std::string& kind, const Json& obj) {
  if (kind != "Pod") return nullptr;
  const std::string phase = str(obj, {"status", "phase"});
  if (phase == "Succeeded")
    return Json::array({{{"type", "Completed"}, {"status", "True"}, {"reason", "Succeeded"},
                         {"message", "The pod has completed successfully."}}});
  if (phase == "Failed")
    return Json::array(
        {{{"type", "Completed"}, {"status", "True"}, {"reason", "Failed"}, {"message", "The pod failed."}}});
  return nullptr;
}

Json row_object(const std::string& kind, const Json& obj, const TableOptions& opts) {
  switch (opts.include) {
    case IncludeObject::None: return nullptr;
    case IncludeObject::Object: {
      Json full = obj;
      if (full.is_object()) {
        if (auto type = find_resource_by_kind(kind)) {
          full["kind"] = kind;
          full["apiVersion"] = type->api_version();
        }
      }
      return full;
    }
    case IncludeObject::Metadata: break;
  }
  const Json* meta = get(obj, {"metadata"});
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/" + opts.version},
          {"metadata", meta && meta->is_object() ? *meta : Json::object()}};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

struct MediaRange {
  std::string type, subtype;
  std::vector<std::pair<std::string, std::string>> params;  // without q
  double q = 1.0;
  std::string param(const char* key) const {
    for (const auto& [k, v] : params)
      if (k == key) return v;
    return "";
  }
};

std::optional<MediaRange> parse_media_range(std::string_view clause) {
  auto parts = split(clause, ';');
  std::string media = lower(trim(parts[0]));
  size_t slash = media.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == media.size()) return std::nullopt;
  MediaRange m{media.substr(0, slash), media.substr(slash + 1), {}, 1.0};
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string p = trim(parts[i]);
    size_t eq = p.find('=');
    if (eq == std::string::npos) continue;
    std::string key = lower(trim(std::string_view(p).substr(0, eq)));
    std::string value = trim(std::string_view(p).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (key == "q") {
      // A weight that does not parse counts as 1, as goautoneg reads it; only q=0 refuses a type.
      char* end = nullptr;
      double q = std::strtod(value.c_str(), &end);
      if (end && *end == '\0' && !value.empty()) m.q = q;
      continue;
    }
    m.params.emplace_back(key, value);
  }
  return m;
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

std::string age_of(const std::string& rfc3339_text, Clock::time_point now) {
  auto t = parse_rfc3339(rfc3339_text);
  if (!t) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

// Requirements sorted by key, as the selector's String() prints them.
std::string label_selector_string(const Json& sel) {
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

std::string format_labels(const Json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())  // nlohmann keeps keys sorted, as FormatLabels sorts them
      parts.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  return or_none(join(parts, ","));
}

const std::vector<TableColumn>& table_columns(const std::string& kind) {
  const KindPrinter* p = printer_of(kind);
  return p ? *p->columns : default_columns();
}

Json table_cells(const std::string& kind, const Json& obj, bool wide, Clock::time_point now) {
  const KindPrinter* p = printer_of(kind);
  return p ? p->cells(obj, wide, now) : default_cells(obj, wide, now);
}

Result<IncludeObject> parse_include_object(std::string_view value) {
  if (value.empty() || value == "Metadata") return IncludeObject::Metadata;
  if (value == "None") return IncludeObject::None;
  if (value == "Object") return IncludeObject::Object;
  return fail_api(Reason::BadRequest, "includeObject: Unsupported value: \"" + std::string(value) +
                                          "\": supported values: \"Metadata\", \"None\", \"Object\"");
}

Json make_table(const std::string& kind, const std::vector<const Json*>& items, const std::string& resource_version,
                const TableOptions& opts, Clock::time_point now) {
  Json columns = Json::array();
  for (const auto& c : table_columns(kind))
    if (opts.wide || c.priority == 0) columns.push_back(column_json(c));
  Json rows = Json::array();
  for (const Json* obj : items) {
    Json row = {{"cells", table_cells(kind, *obj, opts.wide, now)}, {"object", row_object(kind, *obj, opts)}};
    if (Json conditions = row_conditions(kind, *obj); !conditions.is_null()) row["conditions"] = std::move(conditions);
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/" + opts.version},
          {"metadata", {{"resourceVersion", resource_version}}},
          {"columnDefinitions", std::move(columns)},
          {"rows", std::move(rows)}};
}

Json make_table(const std::string& kind, const Json& items, const std::string& resource_version,
                const TableOptions& opts, Clock::time_point now) {
  std::vector<const Json*> objects;
  if (items.is_array())
    for (const auto& obj : items) objects.push_back(&obj);
  return make_table(kind, objects, resource_version, opts, now);
}

Json make_object_table(const std::string& kind, const Json& obj, const TableOptions& opts, Clock::time_point now) {
  return make_table(kind, std::vector<const Json*>{&obj}, str(obj, {"metadata", "resourceVersion"}), opts, now);
}

std::optional<ResponseFormat> negotiate_format(std::string_view accept) {
  if (trim(accept).empty()) return ResponseFormat{};
  std::vector<MediaRange> ranges;
  for (auto clause : split(accept, ','))
    if (auto m = parse_media_range(clause); m && m->q > 0) ranges.push_back(std::move(*m));
  // goautoneg's order: heavier first, then concrete types before wildcards; ties keep their order.
  auto rank = [](const MediaRange& m) { return (m.type == "*" ? 2 : 0) + (m.subtype == "*" ? 1 : 0); };
  std::stable_sort(ranges.begin(), ranges.end(), [&](const MediaRange& a, const MediaRange& b) {
    if (a.q != b.q) return a.q > b.q;
    return rank(a) < rank(b);
  });
  for (const auto& m : ranges) {
    bool json = (m.type == "application" && (m.subtype == "json" || m.subtype == "*")) || m.type == "*";
    if (!json) continue;  // protobuf, yaml, cbor: not served here
    const std::string as = m.param("as");
    if (as.empty()) {
      if (!m.param("g").empty() || !m.param("v").empty()) continue;  // a group/version without a kind
      return ResponseFormat{};
    }
    const std::string v = m.param("v");
    if (as == "Table" && m.param("g") == "meta.k8s.io" && (v == "v1" || v == "v1beta1"))
      return ResponseFormat{true, v};
  }
  return std::nullopt;
}

}  // namespace lab::api
