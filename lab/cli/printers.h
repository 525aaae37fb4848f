// Output formats of `lab get`, as kubectl prints them: tables (with -o wide, --no-headers),
// yaml, json, name, custom-columns and jsonpath. Pure functions of the API's JSON.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/api/table.h"
#include "lab/base/result.h"

namespace lab::cli {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

// kubectl's AGE column (k8s.io/apimachinery duration.HumanDuration): "45s", "3m12s", "2d5h"...,
// and the age of an RFC 3339 timestamp at `now` ("<unknown>" if unparsable): the API's printer's.
using api::age_of;
using api::human_duration;
// The instant an RFC 3339 timestamp names; nullopt if it is not one.
std::optional<Clock::time_point> parse_time(const std::string& rfc3339);
// metav1.LabelSelectorAsSelector(sel).String(): "app=web,tier in (a,b)"; "" for an empty selector.
using api::label_selector_string;

// Columns left-aligned, separated by 3 spaces, like kubectl's tabwriter. Rows include the header
// when one is wanted.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// How kubectl prints a server's Table (k8s.io/cli-runtime printers.HumanReadablePrinter): column
// names upper-cased, priority-1 columns only when wide, a NAMESPACE column first for
// --all-namespaces and a LABELS column last for --show-labels (both from rows[].object.metadata),
// a string cell cut at its first line break ("..."), other cells as Go's %v prints them.
struct TablePrintOptions {
  bool wide = false;
  bool headers = true;
  bool namespace_column = false;
  bool show_labels = false;
};
// The whole Table, laid out as format_table does; "" when it has no rows (kubectl says "No
// resources found" instead).
std::string print_table(const Json& table, const TablePrintOptions& opts);
// `get -w`: every Table printed on its own (each event lines up alone, as kubectl flushes its
// tabwriter per event), the header only when the columns differ from the last ones printed; a
// Table without columnDefinitions (a watch event) reuses the last ones.
class TablePrinter {
 public:
  explicit TablePrinter(TablePrintOptions opts) : opts_(opts) {}
  std::string print(Json table);

 private:
  TablePrintOptions opts_;
  Json last_columns_;
};

// The tables below are the API's printer (lab/api/table.h) run here on a list's items, laid out by
// print_table: what `lab up` prints, and what the server's Tables look like in `lab get`.
// `kubectl get pods`: NAME READY STATUS RESTARTS AGE [IP NODE NOMINATED NODE READINESS GATES].
std::string pods_table(const Json& pod_list, bool wide, bool headers, Clock::time_point now);
// `kubectl get nodes`: NAME STATUS ROLES AGE VERSION [INTERNAL-IP EXTERNAL-IP OS-IMAGE
// KERNEL-VERSION CONTAINER-RUNTIME].
std::string nodes_table(const Json& node_list, bool wide, bool headers, Clock::time_point now);
// `kubectl get deployments`: NAME READY UP-TO-DATE AVAILABLE AGE [CONTAINERS IMAGES SELECTOR].
std::string deployments_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get replicasets`: NAME DESIRED CURRENT READY AGE [CONTAINERS IMAGES SELECTOR].
std::string replicasets_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get services`: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE [SELECTOR]. EXTERNAL-IP is a
// LoadBalancer's ingress IPs (cut to 16 characters unless wide: the client-side printer's rule, which
// a server's Table, always rendered wide, never applies) or <pending>, else <none>;
// PORT(S) reads "80/TCP" or "8080:31704/TCP" (port:nodePort/protocol).
std::string services_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get endpointslices`: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, with -o wide the same. PORTS and
// ENDPOINTS show three items then "+ N more...", and <unset> for none.
std::string endpointslices_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get secrets`: NAME TYPE DATA AGE (DATA: the number of keys); -o wide adds nothing.
std::string secrets_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get configmaps`: NAME DATA AGE (DATA: keys of data and binaryData); -o wide adds nothing.
std::string configmaps_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// Any kind, by its Kind ("Pod", "Namespace", ...): the kind's columns, or NAME CREATED AT for a
// kind Kubernetes has no printer for.
std::string kind_table(const std::string& kind, const Json& list, bool wide, bool headers, Clock::time_point now);
// labels.FormatLabels: "app=web,tier=db" sorted by key; "<none>" for an empty or missing map.
using api::format_labels;
// `kubectl get events`: LAST SEEN TYPE REASON OBJECT MESSAGE [with -o wide: SUBOBJECT SOURCE between
// OBJECT and MESSAGE, then FIRST SEEN COUNT NAME]. Rows keep the list's order, as kubectl does.
// LAST SEEN is the last time alone; the "5s (x3 over 20s)" form is describe's (event_interval).
std::string events_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// The Age cell of describe's Events table: "20s", or "5s (x3 over 20s)" for a repeated event.
std::string event_interval(const Json& event, Clock::time_point now);
// The tables print nothing for an empty list; kubectl says this on stderr instead:
// "No resources found in default namespace.\n", or "No resources found\n" for ns "" (cluster-scoped
// kinds, --all-namespaces).
std::string no_resources_message(const std::string& ns);

// -o yaml / -o json of a list or object (kubectl prints a List for several items).
std::string to_yaml(const Json& j);
std::string to_json_text(const Json& j);  // 4-space indent, like kubectl
// Go's encoding/json text of j (sorted keys, <>& escaped as \u003c \u003e \u0026); indent -1 = compact.
std::string go_json(const Json& j, int indent);
// -o name: "pod/my-nginx-abc".
std::string names(const Json& list);

// -o custom-columns=NAME:.metadata.name,IP:.status.podIP ; values printed as Go's fmt %v does
// (a list of maps prints "[map[ip:10.244.1.5]]"), missing values "<none>".
Result<std::string> custom_columns(const Json& list, const std::string& spec, bool headers);
// -o jsonpath='{.items[*].metadata.name}' (kubectl's JSONPath subset: fields, [n], [*], ranges
// of text and {} expressions).
// A missing field is an error ("x is not found").
Result<std::string> jsonpath(const Json& obj, const std::string& templ);
// kubectl's --allow-missing-template-keys (true by default in kubectl): missing fields print nothing.
Result<std::string> jsonpath(const Json& obj, const std::string& templ, bool allow_missing_keys);
// Go's %v of a JSON value.
std::string go_format(const Json& v);

}  // namespace lab::cli
