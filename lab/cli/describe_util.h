// Pieces of kubectl describe that several kinds share (internal to lab/cli; the entry points are in
// describe.h): JSON access by dotted path, kubectl's PrefixWriter, the multi-line Labels, Annotations
// and Tolerations fields, and the Events table. Split out of describe.cc so each kind family's
// describer (describe_pods.cc, describe_workloads.cc, describe_services.cc) can stay small.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/cli/describe.h"

namespace lab::cli::describe_detail {

// --- JSON access by dotted path ("status.podIP"); missing or mistyped reads as empty. ---

const Json* at(const Json& j, std::string_view path);
std::string str(const Json& j, std::string_view path);
long long num(const Json& j, std::string_view path, long long def = 0);
bool flag(const Json& j, std::string_view path);
const Json& arr(const Json& j, std::string_view path);
const Json& obj(const Json& j, std::string_view path);
// Go's %v of an IntOrString or any scalar ("80", "25%").
std::string scalar(const Json* v);
// The items of a list ({"items": [...]}) or the array itself.
const Json& items_of(const Json& list);
std::string or_none(const std::string& s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// time.RFC1123Z in the local zone: metav1.Time unmarshals to local time, so kubectl prints that.
std::string rfc1123z(const std::string& rfc3339);

// --- kubectl's PrefixWriter: each level indents two spaces. ---

struct Writer {
  TabWriter tw;
  void operator()(int level, const std::string& text) { tw.write(std::string(2 * level, ' ') + text); }
};

// Name, Namespace, Labels and Annotations: the lines most describers start with.
void describe_metadata(Writer& w, const Json& o);
// printLabelsMultilineWithIndent: the first pair shares the title's line, the rest line up under it.
void labels_multiline(Writer& w, const std::string& title, const Json& labels);
// printAnnotationsMultiline: long or multi-line values go below their key, cut at 140 columns.
void annotations_multiline(Writer& w, const std::string& title, const Json& annotations);
void tolerations_multiline(Writer& w, const std::string& title, const Json& tolerations);
// DescribeEvents: the Events table at the bottom of every describer, oldest first.
void describe_events(Writer& w, const Json& events, Clock::time_point now);

// The "Pod Template:" section of workload describers (defined in describe_pods.cc with the
// container and volume sections it shares with describe_pod).
void describe_pod_template(Writer& w, const Json& t);

}  // namespace lab::cli::describe_detail
