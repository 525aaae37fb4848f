// Event objects: named by what correlates them, shaped as core/v1 Event.
#include "lab/api/event_object.h"

#include <cstdio>

#include "lab/api/json_access.h"
#include "lab/base/clock.h"
#include "lab/base/hash.h"

namespace lab::api {

using Json = nlohmann::json;

std::string event_name(const Json& object, const std::string& reason, const std::string& message) {
  const Json& meta = object["metadata"];
  uint64_t h = fnv1a64(string_at(meta, "uid") + "\x1f");
  h = fnv1a64(reason + "\x1f", h);
  h = fnv1a64(message + "\x1f", h);
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(h));
  return string_at(meta, "name") + "." + suffix;
}

Json make_event(const Json& object, const std::string& type, const std::string& reason,
                const std::string& message, const EventSource& source) {
  const Json& meta = object["metadata"];
  std::string ns = string_at(meta, "namespace");
  if (ns.empty()) ns = "default";
  std::string now = now_rfc3339();
  Json src = {{"component", source.component}};
  if (!source.host.empty()) src["host"] = source.host;
  std::string api_version = string_at(object, "apiVersion");
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"name", event_name(object, reason, message)}, {"namespace", ns}}},
          {"involvedObject",
           {{"kind", string_at(object, "kind")},
            {"apiVersion", api_version.empty() ? "v1" : api_version},
            {"name", string_at(meta, "name")},
            {"namespace", ns},
            {"uid", string_at(meta, "uid")}}},
          {"reason", reason},
          {"message", message},
          {"type", type},
          {"count", 1},
          {"firstTimestamp", now},
          {"lastTimestamp", now},
          {"source", src},
          {"reportingComponent", source.component}};
}

}  // namespace lab::api
