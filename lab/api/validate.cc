// validate_object: an API object of any served kind against its schema table (types, enums,
// checks, unknown fields, defaults), then what an update may not change, as kube-apiserver's
// strategies (ValidateXUpdate) refuse it.
#include "lab/api/validate.h"

#include <algorithm>

#include "lab/api/resources.h"
#include "lab/api/schema.h"
#include "lab/api/schema_config.h"
#include "lab/api/schema_lease.h"
#include "lab/api/schema_namespace.h"
#include "lab/api/schema_serviceaccount.h"
#include "lab/base/parse.h"

namespace lab::api {

namespace {

using nlohmann::json;
using schema::show;

// Kubernetes' objects nest some fifteen levels; far deeper is an attack on whoever recurses next
// (nlohmann's dump, comparison and copy all do).
constexpr int kMaxDepth = 64;

struct KindSchema {
  std::string_view kind;
  const schema::ObjectSchema* document;
};

// Every kind of lab/api/resources.cc (tests/unit/validate_test.cc checks that none is missing).
const KindSchema kSchemas[] = {
    {"Pod", &schema::kPodDocument},
    {"Node", &schema::kNodeDocument},
    {"Deployment", &schema::kDeploymentDocument},
    {"ReplicaSet", &schema::kReplicaSetDocument},
    {"Event", &schema::kEventDocument},
    {"Service", &schema::kServiceDocument},
    {"EndpointSlice", &schema::kEndpointSliceDocument},
    {"Endpoints", &schema::kEndpointsDocument},
    {"Secret", &schema::kSecretDocument},
    {"ConfigMap", &schema::kConfigMapDocument},
    {"Namespace", &schema::kNamespaceDocument},
    {"ServiceAccount", &schema::kServiceAccountDocument},
    {"Lease", &schema::kLeaseDocument},
};

const json* member(const json* o, const char* key) {
  if (!o || !o->is_object()) return nullptr;
  auto it = o->find(key);
  return it == o->end() ? nullptr : &*it;
}
json* member(json* o, const char* key) {
  if (!o || !o->is_object()) return nullptr;
  auto it = o->find(key);
  return it == o->end() ? nullptr : &*it;
}

std::string string_at(const json* o, const char* key) {
  const json* v = member(o, key);
  return v && v->is_string() ? v->get<std::string>() : "";
}

// Whether some value nests deeper than limit. Iterative, for the same reason as kMaxDepth.
bool deeper_than(const json& root, int limit) {
  std::vector<std::pair<const json*, int>> todo{{&root, 0}};
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    if (depth >= limit) return true;
    for (const json& child : *v) todo.emplace_back(&child, depth + 1);
  }
  return false;
}

// The field under which some value nests too deep ("status.deep"), once deeper_than said so.
std::string deep_path(const json& root, int limit) {
  const json* v = &root;
  std::string path;
  for (int depth = 1; v->is_object(); ++depth) {
    const json* next = nullptr;
    for (auto it = v->begin(); it != v->end() && !next; ++it)
      if (deeper_than(it.value(), limit - depth)) {
        path += (path.empty() ? "" : ".") + it.key();
        next = &it.value();
      }
    if (!next) break;
    v = next;
  }
  return path;
}

std::string supported_kinds() {
  std::vector<std::string_view> kinds;
  for (const KindSchema& k : kSchemas) kinds.push_back(k.kind);
  std::sort(kinds.begin(), kinds.end());
  std::string out;
  for (auto k : kinds) out += (out.empty() ? "\"" : ", \"") + std::string(k) + "\"";
  return out;
}

bool needs_node_ports(const std::string& type) { return type == "NodePort" || type == "LoadBalancer"; }

// The Service strategy's dropTypeDependentFields: moving away from a type drops what only that
// type uses (node ports, externalTrafficPolicy, the load balancer's fields), when the update left
// them as they were, so that `patch -p '{"spec":{"type":"ClusterIP"}}'` works as in Kubernetes.
void drop_type_dependent_fields(json& obj, const json& old) {
  json* spec = member(&obj, "spec");
  const json* was = member(&old, "spec");
  if (!spec || !spec->is_object() || !was || !was->is_object()) return;
  // A Service that stops needing a healthCheckNodePort (LoadBalancer with externalTrafficPolicy
  // Local), by its type or by its policy, drops the one it had when the update left it as it was.
  auto needs_health_check = [](const json* s) {
    const json* t = member(s, "type");
    const json* policy = member(s, "externalTrafficPolicy");
    return t && *t == "LoadBalancer" && policy && *policy == "Local";
  };
  if (needs_health_check(was) && !needs_health_check(spec)) {
    const json* a = member(spec, "healthCheckNodePort");
    const json* b = member(was, "healthCheckNodePort");
    if (a && b && *a == *b) spec->erase("healthCheckNodePort");
  }
  const json* type = member(spec, "type");
  const json* old_type = member(was, "type");
  if (!type || !type->is_string() || !old_type || !old_type->is_string() || *type == *old_type) return;
  const std::string now = type->get<std::string>(), before = old_type->get<std::string>();
  auto unchanged = [&](const char* f) {
    const json* a = member(spec, f);
    const json* b = member(was, f);
    return a && b && *a == *b;
  };
  if (needs_node_ports(before) && !needs_node_ports(now)) {
    json* ports = member(spec, "ports");
    const json* old_ports = member(was, "ports");
    bool same = ports && old_ports && ports->is_array() && old_ports->is_array() && ports->size() == old_ports->size();
    for (size_t i = 0; same && i < ports->size(); ++i) {
      const json* np = member(&(*ports)[i], "nodePort");
      same = !np || (member(&(*old_ports)[i], "nodePort") && *np == *member(&(*old_ports)[i], "nodePort"));
    }
    if (same)
      for (json& p : *ports)
        if (p.is_object()) p.erase("nodePort");
    if (unchanged("externalTrafficPolicy")) spec->erase("externalTrafficPolicy");
  }
  if (before == "LoadBalancer" && now != "LoadBalancer")
    for (const char* f : {"allocateLoadBalancerNodePorts", "loadBalancerIP", "loadBalancerClass"})
      if (unchanged(f)) spec->erase(f);
}

FieldError immutable(const std::string& field, const json& value) {
  return {field, "Invalid value: " + show(value) + ": field is immutable"};
}

// ValidatePodUpdate: a pod's spec is fixed once created, but for its containers' images.
bool pod_spec_changed(const json& obj, const json& old) {
  json was = old;  // defaulted as the new one was, so that defaults added since do not count
  (void)schema::walk(was, schema::kPodDocument, schema::Mode::Api);
  json now_spec = *member(&obj, "spec"), was_spec = was.value("spec", json());
  json* a = member(&now_spec, "containers");
  json* b = member(&was_spec, "containers");
  if (a && b && a->is_array() && b->is_array())
    for (size_t i = 0; i < std::min(a->size(), b->size()); ++i)
      if ((*a)[i].is_object() && (*b)[i].is_object()) (*a)[i]["image"] = (*b)[i]["image"] = "";
  return now_spec != was_spec;
}

void check_update(const json& obj, const json& old, const std::string& kind, bool valid, std::vector<FieldError>& out) {
  const json* meta = member(&obj, "metadata");
  const json* old_meta = member(&old, "metadata");
  for (const char* f : {"name", "namespace", "uid"}) {
    const json* now = member(meta, f);
    const json* was = member(old_meta, f);
    if (now && was && now->is_string() && was->is_string() && *now != *was)
      out.push_back(immutable("metadata." + std::string(f), *now));
  }
  const json* spec = member(&obj, "spec");
  const json* was = member(&old, "spec");
  if ((kind == "Deployment" || kind == "ReplicaSet") && member(spec, "selector") && member(was, "selector") &&
      *member(spec, "selector") != *member(was, "selector"))
    out.push_back(immutable("spec.selector", *member(spec, "selector")));
  if (kind == "Service") {
    // "" asks the allocator to keep what the Service holds; only another address is a change.
    const std::string now = string_at(spec, "clusterIP"), before = string_at(was, "clusterIP");
    if (!now.empty() && !before.empty() && now != before) out.push_back(immutable("spec.clusterIP", now));
    // A LoadBalancer's class is its implementation's for as long as it stays a LoadBalancer.
    const json* cls = member(spec, "loadBalancerClass");
    const json* old_cls = member(was, "loadBalancerClass");
    if (string_at(spec, "type") == "LoadBalancer" && string_at(was, "type") == "LoadBalancer" &&
        (cls ? *cls : json()) != (old_cls ? *old_cls : json()))
      out.push_back({"spec.loadBalancerClass", "Invalid value: " + show(cls ? *cls : json()) + ": may not change once set"});
  }
  if (kind == "EndpointSlice" && member(&obj, "addressType") && member(&old, "addressType") &&
      *member(&obj, "addressType") != *member(&old, "addressType"))
    out.push_back(immutable("addressType", *member(&obj, "addressType")));
  if ((kind == "Secret" || kind == "ConfigMap") && valid)
    for (auto& e : config_update_errors(kind, obj, old)) out.push_back(std::move(e));
  if (kind == "Pod" && valid && pod_spec_changed(obj, old))
    out.push_back({"spec",
                   "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                   "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                   "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                   "was previously negative)"});
}

// Removes the member that the path's tokens (JSON pointer tokens: keys, array indices) name.
void erase_at(json& obj, const std::vector<std::string>& at) {
  json* o = &obj;
  for (size_t k = 0; k + 1 < at.size(); ++k) {
    if (o->is_object()) {
      auto it = o->find(at[k]);
      if (it == o->end()) return;
      o = &*it;
    } else if (o->is_array()) {
      auto index = parse_int(at[k], 0);
      if (!index || static_cast<size_t>(*index) >= o->size()) return;
      o = &(*o)[static_cast<size_t>(*index)];
    } else {
      return;
    }
  }
  if (!at.empty() && o->is_object()) o->erase(at.back());
}

Validation validate(json& obj, const json* old, bool drop_unknown) {
  Validation out;
  auto refuse = [&](std::string field, std::string detail) {
    out.errors.push_back({std::move(field), std::move(detail), true});
    out.bad_request = true;
    return out;
  };
  if (!obj.is_object()) return refuse("", "Invalid value: " + show(obj) + ": must be an object");
  if (deeper_than(obj, kMaxDepth))
    return refuse(deep_path(obj, kMaxDepth),
                  "Invalid value: \"...\": must nest no deeper than " + std::to_string(kMaxDepth) + " levels");
  const json* kind = member(&obj, "kind");
  if (!kind) return refuse("kind", "Required value");
  const KindSchema* found = nullptr;
  for (const KindSchema& k : kSchemas)
    if (kind->is_string() && k.kind == kind->get_ref<const std::string&>()) found = &k;
  auto type = found ? find_resource_by_kind(std::string(found->kind)) : std::nullopt;
  if (!type) return refuse("kind", "Unsupported value: " + show(*kind) + ": supported values: " + supported_kinds());
  const json* api_version = member(&obj, "apiVersion");
  if (!api_version) return refuse("apiVersion", "Required value");
  if (*api_version != type->api_version())
    return refuse("apiVersion", "Unsupported value: " + show(*api_version) + ": supported values: \"" +
                                    type->api_version() + "\"");
  if (const json* meta = member(&obj, "metadata"); meta && !meta->is_object())
    return refuse("metadata", "Invalid value: " + show(*meta) + ": must be an object");

  const bool update = old && old->is_object();
  if (update && type->kind == "Service") drop_type_dependent_fields(obj, *old);
  auto issues = schema::walk(obj, *found->document, schema::Mode::Api);
  const auto unknown = [](const schema::Issue& i) { return i.cause == schema::Issue::Cause::Unknown; };
  if (drop_unknown && std::any_of(issues.begin(), issues.end(), unknown)) {
    for (const auto& i : issues)
      if (unknown(i)) {
        erase_at(obj, i.at);
        out.dropped.push_back(i.detail);
      }
    issues = schema::walk(obj, *found->document, schema::Mode::Api);  // again without them: defaults fill in
  }
  for (auto& i : issues) {
    const bool unknown = i.cause == schema::Issue::Cause::Unknown;
    out.bad_request = out.bad_request || unknown;
    out.errors.push_back({std::move(i.field), std::move(i.detail), unknown});
  }
  if (update) check_update(obj, *old, type->kind, issues.empty(), out.errors);
  return out;
}

void add_unique(std::vector<std::string>& list, std::string line) {
  if (std::find(list.begin(), list.end(), line) == list.end()) list.push_back(std::move(line));
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

Validation validate_object(json& obj, const json* old, bool drop_unknown) {
  try {
    return validate(obj, old, drop_unknown);
  } catch (const std::exception& e) {  // a hook's assumption broken: still an answer, not a crash
    return Validation{{{"", std::string("Internal error: ") + e.what()}}, false, {}};
  }
}

std::string invalid_message(const json& obj, const std::vector<FieldError>& errors) {
  const std::string kind = string_at(&obj, "kind");
  const std::string name = string_at(member(&obj, "metadata"), "name");
  auto type = find_resource_by_kind(kind);
  std::vector<std::string> unknown, undecodable, invalid;
  for (const FieldError& e : errors) {
    std::string line = e.field.empty() ? e.detail : e.field + ": " + e.detail;
    if (!e.decoding) add_unique(invalid, std::move(line));
    else if (e.detail.starts_with("unknown field \"")) add_unique(unknown, e.detail);
    else add_unique(undecodable, std::move(line));
  }
  if (!undecodable.empty()) {
    const std::string what = type ? kind + " in version \"" + type->version + "\" cannot be handled as a " + kind
                                  : std::string("the object cannot be decoded");
    return what + ": " + join(undecodable, "; ");
  }
  if (!unknown.empty()) return "strict decoding error: " + join(unknown, ", ");
  const std::string qualified = type && !type->group.empty() ? kind + "." + type->group : kind;
  const std::string body = invalid.size() == 1 ? invalid[0] : "[" + join(invalid, ", ") + "]";
  return qualified + " \"" + name + "\" is invalid: " + body;
}

}  // namespace lab::api
