// Server-side printing: the meta.k8s.io Table the API answers for `Accept: ...;as=Table` (what
// every human-readable `kubectl get` asks for), with the columns and cells of Kubernetes' printers
// (pkg/printers/internalversion). Pure functions of the stored JSON and the time, so the API server
// (lab/server) and `lab get` (lab/cli) print the same, and unit tests reach every cell rule.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

using Clock = std::chrono::system_clock;

// apimachinery's duration.HumanDuration: "45s", "3m12s", "2d5h"...
std::string human_duration(std::chrono::seconds d);
// The age of an RFC 3339 timestamp at `now`; "<unknown>" when it is not one.
std::string age_of(const std::string& rfc3339, Clock::time_point now);
// metav1.LabelSelectorAsSelector(sel).String(): "app=web,tier in (a,b)"; "" for an empty selector.
std::string label_selector_string(const nlohmann::json& selector);
// labels.FormatLabels: "app=web,tier=db" sorted by key; "<none>" for an empty or missing map.
std::string format_labels(const nlohmann::json& labels);

// One column of a Table (metav1.TableColumnDefinition). Priority 1 columns are the `-o wide` ones.
struct TableColumn {
  std::string name;  // "Name", "Nominated Node"
  std::string type;  // "string", "integer", "date"
  std::string format;  // "name" for the object's name column
  std::string description;
  int priority = 0;
};

// The columns Kubernetes' printer has for a kind; Name and Created At (the apiserver's default
// convertor) for a kind without one.
const std::vector<TableColumn>& table_columns(const std::string& kind);

// One object's cells, in table_columns(kind) order: strings, and integers where Kubernetes' printer
// puts int64s. wide = printers.GenerateOptions.Wide: the API server always renders wide (all
// cells); without it the priority-1 cells are left out and a LoadBalancer's ingress list is cut to
// 16 characters, as the printer does for a client-side non-wide table.
nlohmann::json table_cells(const std::string& kind, const nlohmann::json& obj, bool wide, Clock::time_point now);

// What rows[].object holds (the TableOptions includeObject parameter).
enum class IncludeObject { None, Metadata, Object };
// "" (the default: Metadata), "None", "Metadata", "Object"; anything else is a 400.
Result<IncludeObject> parse_include_object(std::string_view value);

struct TableOptions {
  std::string version = "v1";  // meta.k8s.io/<version>: "v1" or "v1beta1"
  IncludeObject include = IncludeObject::Metadata;
  bool wide = true;
};

// A Table of `items` (objects of `kind`): columnDefinitions, one row per item, rows[].object as
// PartialObjectMetadata (or the object, or nothing), metadata.resourceVersion = resource_version.
nlohmann::json make_table(const std::string& kind, const nlohmann::json& items, const std::string& resource_version,
                          const TableOptions& opts, Clock::time_point now);
// The same of objects held elsewhere (the store's shared copies), read in place.
nlohmann::json make_table(const std::string& kind, const std::vector<const nlohmann::json*>& items,
                          const std::string& resource_version, const TableOptions& opts, Clock::time_point now);
// The one-row Table of one object, its own resourceVersion in the Table's metadata (the apiserver
// fills a single object's Table from the object's metadata).
nlohmann::json make_object_table(const std::string& kind, const nlohmann::json& obj, const TableOptions& opts,
                                 Clock::time_point now);

// What a GET's Accept header asks the API server to answer: plain JSON, or a Table (of which
// meta.k8s.io version). The first media type the server can produce wins, as the apiserver's
// negotiation picks it; nullopt when there is none (the apiserver's 406 NotAcceptable). An empty
// or missing Accept is JSON.
struct ResponseFormat {
  bool table = false;
  std::string table_version;  // "v1" or "v1beta1" when table
};
std::optional<ResponseFormat> negotiate_format(std::string_view accept);
// The Accept kubectl sends for a human-readable get (Table v1, then v1beta1, then JSON).
inline constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

}  // namespace lab::api
