// The shared pieces of kubectl describe declared in describe_util.h: JSON access by dotted path,
// RFC 1123 times, the multi-line metadata fields and the Events table. Split out of describe.cc;
// the per-kind describers are in describe_pods.cc, describe_workloads.cc and describe_services.cc.
#include "lab/cli/describe_util.h"

#include <algorithm>
#include <ctime>

namespace lab::cli::describe_detail {

const Json* at(const Json& j, std::string_view path) {
  const Json* cur = &j;
  while (!path.empty()) {
    size_t dot = path.find('.');
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(std::string(path.substr(0, dot)));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    path = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  }
  return cur;
}

std::string str(const Json& j, std::string_view path) {
  const Json* v = at(j, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

long long num(const Json& j, std::string_view path, long long def) {
  const Json* v = at(j, path);
  return v && v->is_number() ? v->get<long long>() : def;
}

bool flag(const Json& j, std::string_view path) {
  const Json* v = at(j, path);
  return v && v->is_boolean() && v->get<bool>();
}

const Json& arr(const Json& j, std::string_view path) {
  static const Json empty = Json::array();
  const Json* v = at(j, path);
  return v && v->is_array() ? *v : empty;
}

const Json& obj(const Json& j, std::string_view path) {
  static const Json empty = Json::object();
  const Json* v = at(j, path);
  return v && v->is_object() ? *v : empty;
}

std::string scalar(const Json* v) { return v ? go_format(*v) : ""; }

const Json& items_of(const Json& list) { return list.is_array() ? list : arr(list, "items"); }

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

std::string rfc1123z(const std::string& rfc3339) {
  auto t = parse_time(rfc3339);
  if (!t) return "Mon, 01 Jan 0001 00:00:00 +0000";  // Go's zero time
  std::time_t tt = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(*t));
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

void describe_metadata(Writer& w, const Json& o) {
  w(0, "Name:\t" + str(o, "metadata.name") + "\n");
  w(0, "Namespace:\t" + str(o, "metadata.namespace") + "\n");
  labels_multiline(w, "Labels", obj(o, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(o, "metadata.annotations"));
}

void labels_multiline(Writer& w, const std::string& title, const Json& labels) {
  w(0, title + ":\t");
  if (!labels.is_object() || labels.empty()) return w(0, "<none>\n");
  bool first = true;
  for (const auto& [k, v] : labels.items()) {  // nlohmann keeps keys sorted, as kubectl sorts them
    if (!first) w(0, "\t");
    first = false;
    w(0, k + "=" + scalar(&v) + "\n");
  }
}

// printAnnotationsMultiline: long or multi-line values go below their key, cut at 140 columns.
void annotations_multiline(Writer& w, const std::string& title, const Json& annotations) {
  constexpr size_t kMaxLen = 140;
  w(0, title + ":\t");
  std::vector<std::pair<std::string, std::string>> kept;
  if (annotations.is_object())
    for (const auto& [k, v] : annotations.items())
      if (k != "kubectl.kubernetes.io/last-applied-configuration") kept.emplace_back(k, scalar(&v));
  if (kept.empty()) return w(0, "<none>\n");
  for (size_t i = 0; i < kept.size(); ++i) {
    auto& [key, value] = kept[i];
    if (i) w(0, "\t");
    if (value.ends_with('\n')) value.pop_back();
    if (value.size() + key.size() + 2 > kMaxLen || value.find('\n') != std::string::npos) {
      w(0, key + ":\n");
      size_t pos = 0;
      while (true) {
        size_t nl = value.find('\n', pos);
        std::string line = value.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.size() > kMaxLen - 2) line = line.substr(0, kMaxLen - 2) + "...";
        w(0, "\t  " + line + "\n");
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    } else {
      w(0, key + ": " + value + "\n");
    }
  }
}

void tolerations_multiline(Writer& w, const std::string& title, const Json& tolerations) {
  w(0, title + ":\t");
  if (tolerations.empty()) return w(0, "<none>\n");
  std::vector<const Json*> sorted;
  for (const auto& t : tolerations) sorted.push_back(&t);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Json* a, const Json* b) { return str(*a, "key") < str(*b, "key"); });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const Json& t = *sorted[i];
    std::string key = str(t, "key"), value = str(t, "value"), effect = str(t, "effect"), line;
    if (i) w(0, "\t");
    line = key;
    if (!value.empty()) line += "=" + value;
    if (!effect.empty()) line += ":" + effect;
    // An Exists toleration without key and effect tolerates everything.
    if (str(t, "operator") == "Exists" && value.empty())
      line += key.empty() && effect.empty() ? "op=Exists" : " op=Exists";
    if (at(t, "tolerationSeconds")) line += " for " + std::to_string(num(t, "tolerationSeconds")) + "s";
    w(0, line + "\n");
  }
}

void describe_events(Writer& w, const Json& events, Clock::time_point now) {
  const Json& list = items_of(events);
  if (list.empty()) return w(0, "Events:\t<none>\n");
  w.tw.flush();  // the table lines up on its own, not with the fields above it
  std::vector<const Json*> sorted;
  for (const auto& e : list) sorted.push_back(&e);
  auto last = [](const Json* e) { return parse_time(str(*e, "lastTimestamp")).value_or(Clock::time_point::min()); };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Json* a, const Json* b) { return last(a) < last(b); });
  w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
  w(1, "----\t------\t----\t----\t-------\n");
  for (const Json* e : sorted) {
    std::string from =
        str(*e, "source.component").empty() ? str(*e, "reportingController") : str(*e, "source.component");
    std::string message = str(*e, "message");
    size_t b = message.find_first_not_of(" \t\r\n"), end = message.find_last_not_of(" \t\r\n");
    message = b == std::string::npos ? "" : message.substr(b, end - b + 1);
    w(1, str(*e, "type") + "\t" + str(*e, "reason") + "\t" + event_interval(*e, now) + "\t" + from + "\t" + message +
             "\n");
  }
}

}  // namespace lab::cli::describe_detail
