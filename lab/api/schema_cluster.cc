// Tables for the objects the system writes about the cluster itself: Nodes (lab/node/kubelet.cc's
// node_objects) and Events (lab/api/event_object.cc), shaped as core/v1 has them.
#include "lab/api/schema_rules.h"

namespace lab::api::schema {

namespace {

using enum Type;

// ---- Event ----

// ValidateEvent: an event lives in the namespace of the object it is about.
std::optional<Problem> finish_event(json& ev) {
  const json& involved = ev["involvedObject"];
  const json& ns = ev["metadata"]["namespace"];
  if (involved.contains("namespace") && involved["namespace"] != "" && involved["namespace"] != ns)
    return Problem{"involvedObject.namespace", "does not match event.namespace"};
  return std::nullopt;
}

const ObjectSchema kEventSource{{
    {.name = "component", .type = String},
    {.name = "host", .type = String},
}};

const ObjectSchema kEventSeries{{
    {.name = "count", .type = Int, .check = non_negative},
    {.name = "lastObservedTime", .type = Timestamp},
}, nullptr, true};

// ---- Node ----

const ObjectSchema kTaint{{
    {.name = "key", .type = String, .required = true, .check = label_key},
    {.name = "value", .type = String, .check = label_value},
    {.name = "effect", .type = String, .required = true, .values = {"NoSchedule", "PreferNoSchedule", "NoExecute"}},
    {.name = "timeAdded", .type = Timestamp},
}};

const ObjectSchema kNodeSpec{{
    {.name = "podCIDR", .type = String, .check = cidr},
    {.name = "podCIDRs", .type = StringList, .check = cidr},
    {.name = "unschedulable", .type = Bool},
    {.name = "taints", .type = ObjectList, .object = &kTaint},
    {.name = "providerID", .type = String},
}};

const ObjectSchema kNodeAddress{{
    {.name = "type", .type = String, .required = true,
     .values = {"Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"}},
    {.name = "address", .type = String, .required = true},
}};

const ObjectSchema kNodeInfo{{
    {.name = "kubeletVersion", .type = String},
    {.name = "kubeProxyVersion", .type = String},
    {.name = "osImage", .type = String},
    {.name = "kernelVersion", .type = String},
    {.name = "containerRuntimeVersion", .type = String},
    {.name = "operatingSystem", .type = String},
    {.name = "architecture", .type = String},
    {.name = "machineID", .type = String},
    {.name = "systemUUID", .type = String},
    {.name = "bootID", .type = String},
}, nullptr, true};

const ObjectSchema kNodeStatus{{
    {.name = "addresses", .type = ObjectList, .object = &kNodeAddress},
    {.name = "conditions", .type = ObjectList, .object = &kCondition},
    {.name = "nodeInfo", .type = Object, .object = &kNodeInfo},
    {.name = "capacity", .type = QuantityMap},
    {.name = "allocatable", .type = QuantityMap},
    {.name = "phase", .type = String},
}, nullptr, true};

}  // namespace

const ObjectSchema kEventDocument{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "metadata", .type = Object, .object = &kObjectMeta, .required = true},
    {.name = "involvedObject", .type = Object, .object = &kObjectReference, .required = true},
    {.name = "reason", .type = String},
    {.name = "message", .type = String},
    {.name = "type", .type = String, .values = {"Normal", "Warning"}},
    {.name = "count", .type = Int, .check = non_negative},
    {.name = "firstTimestamp", .type = Timestamp},
    {.name = "lastTimestamp", .type = Timestamp},
    {.name = "eventTime", .type = Timestamp},
    {.name = "source", .type = Object, .object = &kEventSource},
    {.name = "series", .type = Object, .object = &kEventSeries},
    {.name = "action", .type = String},
    {.name = "related", .type = Object, .object = &kObjectReference},
    {.name = "reportingComponent", .type = String},
    {.name = "reportingInstance", .type = String},
}, finish_event};

const ObjectSchema kNodeDocument = document(kClusterMeta, kNodeSpec, kNodeStatus);

}  // namespace lab::api::schema
