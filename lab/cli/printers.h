// Output formats of `lab get`, as kubectl prints them: tables (with -o wide, --no-headers),
// yaml, json, name, custom-columns and jsonpath. Pure functions of the API's JSON.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::cli {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

// kubectl's AGE column (k8s.io/apimachinery duration.HumanDuration): "45s", "3m12s", "2d5h"...
std::string human_duration(std::chrono::seconds d);
// Age of an RFC 3339 timestamp ("2026-11-26T09:40:00Z") at `now`; "<unknown>" if unparsable.
std::string age_of(const std::string& rfc3339, Clock::time_point now);
// The instant an RFC 3339 timestamp names; nullopt if it is not one.
std::optional<Clock::time_point> parse_time(const std::string& rfc3339);
// metav1.LabelSelectorAsSelector(sel).String(): "app=web,tier in (a,b)"; "" for an empty selector.
std::string label_selector_string(const Json& selector);

// Columns left-aligned, separated by 3 spaces, like kubectl's tabwriter. Rows include the header
// when one is wanted.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

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
// LoadBalancer's ingress IPs (cut to 16 characters unless wide) or <pending>, else <none>;
// PORT(S) reads "80/TCP" or "8080:31704/TCP" (port:nodePort/protocol).
std::string services_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get endpointslices`: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, with -o wide the same. PORTS and
// ENDPOINTS show three items then "+ N more...", and <unset> for none.
std::string endpointslices_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get secrets`: NAME TYPE DATA AGE (DATA: the number of keys); -o wide adds nothing.
std::string secrets_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// `kubectl get configmaps`: NAME DATA AGE (DATA: keys of data and binaryData); -o wide adds nothing.
std::string configmaps_table(const Json& list, bool wide, bool headers, Clock::time_point now);
// labels.FormatLabels: "app=web,tier=db" sorted by key; "<none>" for an empty or missing map.
std::string format_labels(const Json& labels);
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
