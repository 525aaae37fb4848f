// Namespaces: a name that is a DNS-1123 label (it becomes a DNS zone: svc.NS.svc.cluster.local),
// spec.finalizers defaulting to ["kubernetes"], status.phase Active, and the immutable label
// kubernetes.io/metadata.name that the API server sets on every namespace (1.21+).
#include "lab/api/schema_namespace.h"

#include "lab/api/schema_rules.h"

namespace lab::api::schema {

namespace {

using enum Type;

const ObjectSchema kNamespaceSpec{{
    {.name = "finalizers", .type = StringList, .check = label_key},
}};

const ObjectSchema kNamespaceStatus{{
    {.name = "phase", .type = String, .values = {"Active", "Terminating"}},
    {.name = "conditions", .type = ObjectList, .object = &kCondition},
}, nullptr, true};

std::optional<Problem> finish_namespace(json& ns) {
  const std::string name = ns["metadata"].value("name", "");
  // generateName leaves the name to the server; it is a label all the same once made.
  if (!name.empty()) {
    if (std::string problem = dns_label(json(name)); !problem.empty()) return Problem{"metadata.name", problem};
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
  }
  if (!ns.contains("spec") || !ns["spec"].is_object()) ns["spec"] = json::object();
  set_default(ns["spec"], "finalizers", json::array({"kubernetes"}));
  if (!ns.contains("status") || !ns["status"].is_object()) ns["status"] = json::object();
  set_default(ns["status"], "phase", "Active");
  return std::nullopt;
}

}  // namespace

const ObjectSchema kNamespaceDocument{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "metadata", .type = Object, .object = &kClusterMeta, .required = true},
    {.name = "spec", .type = Object, .object = &kNamespaceSpec},
    {.name = "status", .type = Object, .object = &kNamespaceStatus, .in_file = InFile::Drop},
}, finish_namespace};

}  // namespace lab::api::schema
