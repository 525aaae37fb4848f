// What the table files share, not for use outside lab/api/schema*: the value checks, small
// helpers for hooks, and the tables that more than one kind uses (metadata, selectors, pod
// templates, conditions).
#pragma once

#include "lab/api/schema.h"

namespace lab::api::schema {

using nlohmann::json;

// ---- value checks (schema_checks.cc): "" = fine, else the detail of `Invalid value` ----

std::string dns_subdomain(const json& v);   // object names
std::string dns_label(const json& v);       // namespaces, container names
std::string dns1035_label(const json& v);   // Service names: start with a letter
std::string optional_dns_label(const json& v);      // "" or a label (EndpointSlice port names)
std::string optional_dns_subdomain(const json& v);  // "" or a subdomain (endpoint nodeName)
std::string label_value(const json& v);
std::string label_key(const json& v);       // also annotation keys, finalizers: [prefix/]name
std::string non_negative(const json& v);
std::string positive(const json& v);
std::string port_number(const json& v);     // 1-65535
std::string node_port(const json& v);       // 0-65535, 0 = allocate one
std::string endpoint_port(const json& v);   // 0-65535, 0 = not resolved
std::string port_name(const json& v);       // IANA_SVC_NAME
std::string port_or_name(const json& v);
std::string int_or_percent(const json& v);
std::string env_name(const json& v);
std::string resource_name(const json& v);
std::string image(const json& v);
std::string cidr(const json& v);
std::string ip_range(const json& v);
std::string ipv4_address(const json& v);
std::string cluster_ip(const json& v);      // an address, "None" or "" (allocate one)
std::string external_ip(const json& v);     // an address that is not unspecified, loopback or link-local
std::string source_range(const json& v);    // an IPv4 CIDR, spaces around and host bits allowed
std::string service_type(const json& v);
std::string external_name(const json& v);   // a DNS-1123 subdomain, optionally with a trailing dot
std::string ip_family(const json& v);       // IPv6: lab is IPv4-only
std::string affinity_timeout(const json& v);
std::string app_protocol(const json& v);
std::string lab_name(const json& v);
std::string node_count_or_name(const json& v);

// The detail for a malformed name with the rule it breaks, as Kubernetes words it.
std::string dns1123_subdomain_rule();

// ---- helpers for hooks ----

inline void set_default(json& o, const char* key, json value) {
  if (!o.contains(key)) o[key] = std::move(value);
}

// ---- tables shared across kinds ----

extern const ObjectSchema kObjectMeta;     // namespaced objects, names DNS subdomains
extern const ObjectSchema kServiceMeta;    // names DNS-1035 labels
extern const ObjectSchema kClusterMeta;    // cluster-scoped objects (Node): no namespace
extern const ObjectSchema kTemplateMeta;   // a pod template's metadata
extern const ObjectSchema kLabelSelector;
extern const ObjectSchema kPodTemplate;
extern const ObjectSchema kObjectReference;  // involvedObject, targetRef
extern const ObjectSchema kCondition;        // status.conditions[*]: type, status, reason, ...
extern const ObjectSchema kOpenObject;       // any object, unchecked (fieldsV1, hints)
extern const ObjectSchema kSecurityContext;     // a container's securityContext (schema_security.cc)
extern const ObjectSchema kPodSecurityContext;  // a pod's

// A Kubernetes document: apiVersion, kind, metadata, spec and status (dropped from files).
ObjectSchema document(const ObjectSchema& meta, const ObjectSchema& spec, const ObjectSchema& status);

// "run=my-nginx,tier=web" for messages ("none" when empty).
std::string label_list(const json& labels);

// A workload's selector against its template's labels, and the pods' restartPolicy: the rules
// Deployment and ReplicaSet share.
std::optional<Problem> check_selector_and_template(const json& spec, const char* kind);

}  // namespace lab::api::schema
