// Strategic-merge and JSON patches, after apimachinery's strategicpatch and evanphx/json-patch as
// kube-apiserver uses them. The merge strategies are the patchStrategy/patchMergeKey tags of the
// Go types of the kinds the lab serves (k8s.io/api), keyed by field path.
#include "lab/api/strategic_merge.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

namespace lab::api {

using Json = nlohmann::json;

namespace {

// Lists of a PodSpec, relative to the PodSpec, and of a Container, relative to a container.
const std::map<std::string, ListStrategy, std::less<>>& pod_spec_lists() {
  static const std::map<std::string, ListStrategy, std::less<>> lists = {
      {"containers", {true, "name"}},
      {"initContainers", {true, "name"}},
      {"ephemeralContainers", {true, "name"}},
      {"volumes", {true, "name"}},
      {"imagePullSecrets", {true, "name"}},
      {"hostAliases", {true, "ip"}},
      {"topologySpreadConstraints", {true, "topologyKey"}},
      {"resourceClaims", {true, "name"}},
      {"schedulingGates", {true, "name"}},
  };
  return lists;
}

const std::map<std::string, ListStrategy, std::less<>>& container_lists() {
  static const std::map<std::string, ListStrategy, std::less<>> lists = {
      {"ports", {true, "containerPort"}},
      {"env", {true, "name"}},
      {"volumeMounts", {true, "mountPath"}},
      {"volumeDevices", {true, "devicePath"}},
  };
  return lists;
}

// "a.b.c" of the path from index `from` on.
std::string joined(const std::vector<std::string>& path, size_t from) {
  std::string out;
  for (size_t i = from; i < path.size(); ++i) out += (out.empty() ? "" : ".") + path[i];
  return out;
}

// A list inside a PodSpec whose path from the PodSpec starts at `from`.
ListStrategy pod_spec_list(const std::vector<std::string>& path, size_t from) {
  if (path.size() == from + 1) {
    auto it = pod_spec_lists().find(path[from]);
    return it == pod_spec_lists().end() ? ListStrategy{} : it->second;
  }
  if (path.size() == from + 2 && (path[from] == "containers" || path[from] == "initContainers" ||
                                  path[from] == "ephemeralContainers")) {
    auto it = container_lists().find(path[from + 1]);
    return it == container_lists().end() ? ListStrategy{} : it->second;
  }
  return {};
}

}  // namespace

ListStrategy list_strategy(std::string_view kind, const std::vector<std::string>& path) {
  const std::string p = joined(path, 0);
  if (p == "metadata.finalizers") return {true, ""};
  if (p == "metadata.ownerReferences") return {true, "uid"};
  if (kind == "Pod") {
    if (path.size() >= 2 && path[0] == "spec") return pod_spec_list(path, 1);
    if (p == "status.conditions") return {true, "type"};
    if (p == "status.podIPs" || p == "status.hostIPs") return {true, "ip"};
    return {};
  }
  if (kind == "Deployment" || kind == "ReplicaSet") {
    if (path.size() >= 4 && path[0] == "spec" && path[1] == "template" && path[2] == "spec")
      return pod_spec_list(path, 3);
    if (p == "status.conditions") return {true, "type"};
    return {};
  }
  if (kind == "Service") {
    if (p == "spec.ports") return {true, "port"};
    return {};
  }
  if (kind == "Node") {
    if (p == "spec.podCIDRs") return {true, ""};
    if (p == "status.addresses" || p == "status.conditions") return {true, "type"};
    return {};
  }
  if (kind == "Namespace" && p == "status.conditions") return {true, "type"};
  return {};
}

namespace {

constexpr std::string_view kSetOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFrom = "$deleteFromPrimitiveList/";

class Merger {
 public:
  explicit Merger(std::string_view kind) : kind_(kind) {}

  // The merged map, or nullopt when the patch says `$patch: delete`.
  Result<std::optional<Json>> map(const Json& original, const Json& patch, std::vector<std::string>& path) {
    if (!patch.is_object()) return fail_api(Reason::BadRequest, "invalid patch: " + where(path) + "is not an object");
    if (auto d = patch.find("$patch"); d != patch.end()) {
      if (*d == "delete") return std::optional<Json>();
      if (*d == "replace") {
        Json out = patch;
        out.erase("$patch");
        return strip(out, path);
      }
      if (*d != "merge")
        return fail_api(Reason::BadRequest, "unknown patch type: " + d->dump() + " in map: " + patch.dump());
    }
    Json out = original.is_object() ? original : Json::object();
    for (const auto& [key, value] : patch.items()) {
      if (key == "$patch" || key == "$retainKeys" || key.starts_with(kSetOrder)) continue;
      if (key.starts_with(kDeleteFrom)) {
        LAB_TRY(delete_from(out, key.substr(kDeleteFrom.size()), value));
        continue;
      }
      if (value.is_null()) {
        out.erase(key);
        continue;
      }
      path.push_back(key);
      auto merged = field(out.contains(key) ? out[key] : Json(), value, path);
      path.pop_back();
      if (!merged) return std::unexpected(merged.error());
      if (*merged) out[key] = std::move(**merged);
      else out.erase(key);
    }
    for (const auto& [key, value] : patch.items()) {
      if (!key.starts_with(kSetOrder)) continue;
      const std::string list = key.substr(kSetOrder.size());
      if (!value.is_array()) return fail_api(Reason::BadRequest, "invalid patch: " + key + " must be a list");
      if (auto it = out.find(list); it != out.end() && it->is_array()) {
        path.push_back(list);
        *it = reorder(*it, value, list_strategy(kind_, path).key);
        path.pop_back();
      }
    }
    if (auto keep = patch.find("$retainKeys"); keep != patch.end()) {
      if (!keep->is_array() || !std::all_of(keep->begin(), keep->end(), [](const Json& k) { return k.is_string(); }))
        return fail_api(Reason::BadRequest, "invalid patch: $retainKeys must be a list of strings");
      for (auto it = out.begin(); it != out.end();) {
        if (std::find(keep->begin(), keep->end(), it.key()) == keep->end()) it = out.erase(it);
        else ++it;
      }
    }
    return std::optional<Json>(std::move(out));
  }

 private:
  // One field: maps merge, lists by their strategy, anything else is replaced.
  Result<std::optional<Json>> field(const Json& original, const Json& patch, std::vector<std::string>& path) {
    if (patch.is_object()) return map(original.is_object() ? original : Json(), patch, path);
    if (patch.is_array()) {
      auto merged = list(original.is_array() ? original : Json::array(), patch, path);
      if (!merged) return std::unexpected(merged.error());
      return std::optional<Json>(std::move(*merged));
    }
    return std::optional<Json>(patch);
  }

  // A patch value for a field the object lacks: its directives resolved against nothing.
  Result<std::optional<Json>> strip(const Json& patch, std::vector<std::string>& path) {
    Json out = Json::object();
    for (const auto& [key, value] : patch.items()) {
      if (key.starts_with("$")) continue;
      if (value.is_null()) continue;
      path.push_back(key);
      auto merged = field(Json(), value, path);
      path.pop_back();
      if (!merged) return std::unexpected(merged.error());
      if (*merged) out[key] = std::move(**merged);
    }
    return std::optional<Json>(std::move(out));
  }

  Result<Json> list(const Json& original, const Json& patch, std::vector<std::string>& path) {
    // {"$patch": "replace"} as an element: the list is the patch's other elements.
    bool replace = false;
    Json elements = Json::array();
    for (const auto& e : patch) {
      if (e.is_object() && e.contains("$patch") && e.size() == 1) {
        if (e["$patch"] == "replace") replace = true;
        else if (e["$patch"] != "delete" && e["$patch"] != "merge")
          return fail_api(Reason::BadRequest, "unknown patch type: " + e["$patch"].dump() + " in list: " + patch.dump());
        continue;
      }
      elements.push_back(e);
    }
    const ListStrategy s = list_strategy(kind_, path);
    if (!s.merge || replace) {
      Json out = Json::array();
      for (const auto& e : elements) {
        if (!e.is_object()) {
          out.push_back(e);
          continue;
        }
        if (e.value("$patch", Json()) == "delete") continue;
        auto stripped = strip(e, path);
        if (!stripped) return std::unexpected(stripped.error());
        out.push_back(std::move(**stripped));
      }
      return out;
    }
    Json out = original;
    if (s.key.empty()) {  // scalars: a set union, in the original's order then the patch's
      for (const auto& e : elements)
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
      return out;
    }
    for (const auto& e : elements) {
      if (!e.is_object())
        return fail_api(Reason::BadRequest, "invalid patch: " + where(path) + "elements must be objects");
      auto key = e.find(s.key);
      if (key == e.end())
        return fail_api(Reason::BadRequest, "map: " + e.dump() + " does not contain declared merge key: " + s.key);
      auto match = std::find_if(out.begin(), out.end(),
                                [&](const Json& o) { return o.is_object() && o.contains(s.key) && o[s.key] == *key; });
      if (e.value("$patch", Json()) == "delete") {
        out.erase(std::remove_if(out.begin(), out.end(),
                                 [&](const Json& o) { return o.is_object() && o.contains(s.key) && o[s.key] == *key; }),
                  out.end());
        continue;
      }
      auto merged = map(match == out.end() ? Json() : *match, e, path);
      if (!merged) return std::unexpected(merged.error());
      if (!*merged) continue;
      if (match == out.end()) out.push_back(std::move(**merged));
      else *match = std::move(**merged);
    }
    return out;
  }

  static Result<void> delete_from(Json& obj, const std::string& list, const Json& values) {
    if (!values.is_array())
      return fail_api(Reason::BadRequest, "invalid patch: " + std::string(kDeleteFrom) + list + " must be a list");
    auto it = obj.find(list);
    if (it == obj.end() || !it->is_array()) return {};
    Json kept = Json::array();
    for (const auto& v : *it)
      if (std::find(values.begin(), values.end(), v) == values.end()) kept.push_back(v);
    *it = std::move(kept);
    return {};
  }

  // The list in the order $setElementOrder gives; elements it does not name (the server's own)
  // follow in their order.
  static Json reorder(const Json& list, const Json& order, const std::string& key) {
    auto rank = [&](const Json& e) -> size_t {
      for (size_t i = 0; i < order.size(); ++i) {
        if (key.empty() ? order[i] == e
                        : (order[i].is_object() && e.is_object() && order[i].contains(key) && e.contains(key) &&
                           order[i][key] == e[key]))
          return i;
      }
      return order.size();
    };
    std::vector<std::pair<size_t, Json>> ranked;
    for (const auto& e : list) ranked.emplace_back(rank(e), e);
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Json out = Json::array();
    for (auto& [r, e] : ranked) out.push_back(std::move(e));
    return out;
  }

  static std::string where(const std::vector<std::string>& path) {
    return path.empty() ? std::string() : joined(path, 0) + ": ";
  }

  std::string_view kind_;
};

// nlohmann's message without its "[json.exception.type.N] " prefix.
std::string plain(const std::string& what) {
  auto end = what.find("] ");
  return what.starts_with("[json.exception") && end != std::string::npos ? what.substr(end + 2) : what;
}

}  // namespace

Result<Json> strategic_merge(std::string_view kind, const Json& obj, const Json& patch) {
  if (!patch.is_object()) return fail_api(Reason::BadRequest, "the patch is not a JSON object");
  std::vector<std::string> path;
  auto merged = Merger(kind).map(obj, patch, path);
  if (!merged) return std::unexpected(merged.error());
  if (!*merged) return fail_api(Reason::BadRequest, "the patch deletes the whole object");
  return std::move(**merged);
}

Result<Json> json_patch(const Json& obj, const Json& ops) {
  if (!ops.is_array()) return fail_api(Reason::BadRequest, "the JSON patch is not a list of operations");
  static const std::array<std::string_view, 6> known = {"add", "remove", "replace", "move", "copy", "test"};
  for (const auto& op : ops) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("path") || !op["path"].is_string())
      return fail_api(Reason::BadRequest, "the JSON patch has an operation without an op and a path: " + op.dump());
    if (std::find(known.begin(), known.end(), op["op"].get<std::string>()) == known.end())
      return fail_api(Reason::BadRequest, "Unexpected kind: " + op["op"].get<std::string>());
    if ((op["op"] == "move" || op["op"] == "copy") && !(op.contains("from") && op["from"].is_string()))
      return fail_api(Reason::BadRequest, "the JSON patch's " + op["op"].get<std::string>() + " has no from");
    if ((op["op"] == "add" || op["op"] == "replace" || op["op"] == "test") && !op.contains("value"))
      return fail_api(Reason::BadRequest, "the JSON patch's " + op["op"].get<std::string>() + " has no value");
  }
  // nlohmann's patch reports an operation that cannot apply by throwing: caught here, at the
  // library's edge, and turned into the 422 kube-apiserver answers.
  try {
    return obj.patch(ops);
  } catch (const Json::exception& e) {
    return fail_api(Reason::Invalid, "the JSON patch cannot be applied: " + plain(e.what()));
  }
}

}  // namespace lab::api
