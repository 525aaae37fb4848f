// Tables for Services (the fields of core/v1 ServiceSpec that lab's proxy implements, with the API
// server's defaults and ValidateService's rules) and EndpointSlices (as the controller writes them).
#include <map>

#include "lab/api/json_access.h"
#include "lab/api/schema_rules.h"
#include "lab/api/source_ranges.h"

namespace lab::api::schema {

namespace {

using enum Type;

// The API server's defaults for one Service port. nodePort 0 means "allocate one", as if absent.
std::optional<Problem> finish_service_port(json& p) {
  set_default(p, "protocol", "TCP");
  set_default(p, "targetPort", p["port"]);
  if (p.contains("nodePort") && p["nodePort"] == 0) p.erase("nodePort");
  return std::nullopt;
}

// validateServiceExternalTrafficFieldsValue; the range is the allocator's to check (its error
// is the API server's, lab/store/service_alloc.cc). Beyond a port number it could not be one.
std::string health_check_node_port(const json& v) {
  const int64_t n = v.get<int64_t>();
  if (n < 0) return "HealthCheckNodePort must be not less than 0";
  if (n > 65535) return "must be between 0 and 65535, inclusive";
  return "";
}

std::string port_key(const json& p) {
  return std::to_string(p["port"].get<int64_t>()) + "/" + p["protocol"].get<std::string>();
}

// ValidateService's rules across ports: names (required once there are two ports, since endpoints
// and SRV records are matched by name), unique names, unique port/protocol and nodePort/protocol.
std::optional<Problem> check_service_ports(const json& ports, bool node_ports_allowed, const std::string& type) {
  if (ports.empty()) return Problem{"ports", "must have at least one port", ErrorType::Required};
  std::map<std::string, size_t> names, keys, node_ports;
  for (size_t i = 0; i < ports.size(); ++i) {
    const json& p = ports[i];
    const std::string at = "ports[" + std::to_string(i) + "]";
    auto also = [](size_t first) { return "also in ports[" + std::to_string(first) + "]"; };
    if (!p.contains("name")) {
      if (ports.size() > 1)
        return Problem{at + ".name", "when the Service has more than one port", ErrorType::Required};
    } else if (auto [it, fresh] = names.emplace(p["name"].get<std::string>(), i); !fresh) {
      return Problem{at + ".name", also(it->second), ErrorType::Duplicate};
    }
    if (auto [it, fresh] = keys.emplace(port_key(p), i); !fresh)
      return Problem{at, port_key(p) + " " + also(it->second), ErrorType::Duplicate};
    if (p.contains("nodePort")) {
      if (!node_ports_allowed)
        return Problem{at + ".nodePort", "may not be used when `type` is '" + type + "'", ErrorType::Forbidden};
      const std::string key = std::to_string(p["nodePort"].get<int64_t>()) + "/" + p["protocol"].get<std::string>();
      if (auto [it, fresh] = node_ports.emplace(key, i); !fresh)
        return Problem{at + ".nodePort", key + " " + also(it->second), ErrorType::Duplicate};
    }
  }
  return std::nullopt;
}

// clusterIP and clusterIPs say the same thing twice (clusterIPs exists for dual-stack); the API
// server fills whichever is missing from the other and insists that they agree.
std::optional<Problem> finish_cluster_ips(json& s, const std::string& type) {
  if (s.contains("clusterIP") && s["clusterIP"] == "") s.erase("clusterIP");
  if (s.contains("clusterIPs") && (s["clusterIPs"].empty() || s["clusterIPs"][0] == "")) s.erase("clusterIPs");
  const bool written = s.contains("clusterIP");
  if (s.contains("clusterIPs")) {
    const json& ips = s["clusterIPs"];
    if (ips.size() > 1) return Problem{"clusterIPs[1]", "lab clusters are IPv4 single-stack: at most one address"};
    if (written && s["clusterIP"] != ips[0])
      return Problem{"clusterIPs[0]", "must match clusterIP " + show(s["clusterIP"])};
    s["clusterIP"] = ips[0];
  } else if (written) {
    s["clusterIPs"] = json::array({s["clusterIP"]});
  }
  if (s.value("clusterIP", "") == "None" && type != "ClusterIP")
    return Problem{written ? "clusterIP" : "clusterIPs[0]", "may not be set to 'None' for " + type + " services"};
  return std::nullopt;
}

// ValidateService's ExternalName case: a CNAME target and nothing of a proxied Service (no
// address, no IP families, no node ports); ports are optional and only documentary.
std::optional<Problem> finish_external_name(json& s) {
  if (s.value("externalName", "").empty()) return Problem{"externalName", "", ErrorType::Required};
  if (s.contains("clusterIP") && s["clusterIP"] == "") s.erase("clusterIP");
  if (s.contains("clusterIPs") && s["clusterIPs"].empty()) s.erase("clusterIPs");
  for (const char* field : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"})
    if (s.contains(field))
      return Problem{field, "may not be set for ExternalName services", ErrorType::Forbidden};
  if (s.contains("ports") && !s["ports"].empty())
    if (auto problem = check_service_ports(s["ports"], false, "ExternalName")) return problem;
  set_default(s, "sessionAffinity", "None");
  return std::nullopt;
}

std::optional<Problem> finish_service_spec(json& s) {
  set_default(s, "type", "ClusterIP");
  const std::string type = s["type"].get<std::string>();
  const bool external = type == "NodePort" || type == "LoadBalancer";  // reachable from outside the cluster
  const bool lb = type == "LoadBalancer";
  // Only a load balancer's clients are filtered; an empty list is no list (ValidateService).
  if (s.contains("loadBalancerSourceRanges") && !s["loadBalancerSourceRanges"].empty() && !lb)
    return Problem{"loadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'", ErrorType::Forbidden};

  if (type == "ExternalName") return finish_external_name(s);
  if (!s.contains("ports")) return Problem{"ports", "", ErrorType::Required};
  if (auto problem = check_service_ports(s["ports"], external, type)) return problem;
  if (auto problem = finish_cluster_ips(s, type)) return problem;

  set_default(s, "sessionAffinity", "None");
  if (s["sessionAffinity"] == "None") {
    if (s.contains("sessionAffinityConfig"))
      return Problem{"sessionAffinityConfig", "must not be set when session affinity is None"};
  } else {  // ClientIP: three hours unless told otherwise
    json& config = s["sessionAffinityConfig"];
    if (config.is_null()) config = json::object();
    if (!config.contains("clientIP")) config["clientIP"] = json::object();
    set_default(config["clientIP"], "timeoutSeconds", 10800);
  }

  if (s.contains("externalTrafficPolicy") && !external)
    return Problem{"externalTrafficPolicy", "may only be set when `type` is 'NodePort' or 'LoadBalancer'"};
  if (external) set_default(s, "externalTrafficPolicy", "Cluster");
  set_default(s, "internalTrafficPolicy", "Cluster");
  // needsHealthCheck: a LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort
  // (the allocator picks one when none is given; 0 asks for that too); nothing else has one.
  if (s.contains("healthCheckNodePort") && s["healthCheckNodePort"] == 0) s.erase("healthCheckNodePort");
  if (s.contains("healthCheckNodePort") && !(lb && s["externalTrafficPolicy"] == "Local"))
    return Problem{"healthCheckNodePort",
                   "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"};

  for (const char* field : {"loadBalancerIP", "allocateLoadBalancerNodePorts", "loadBalancerClass"})
    if (s.contains(field) && !lb)
      return Problem{field, "may only be used when `type` is 'LoadBalancer'", ErrorType::Forbidden};
  if (lb) set_default(s, "allocateLoadBalancerNodePorts", true);

  if (s.value("ipFamilyPolicy", "") == "RequireDualStack")
    return Problem{"ipFamilyPolicy",
                   "RequireDualStack cannot be met: lab clusters are IPv4-only (use SingleStack or PreferDualStack)"};
  set_default(s, "ipFamilyPolicy", "SingleStack");
  if (s.contains("ipFamilies") && s["ipFamilies"].size() > 1)
    return Problem{"ipFamilies[1]", "lab clusters are IPv4-only", ErrorType::Duplicate};
  if (!s.contains("ipFamilies") || s["ipFamilies"].empty()) s["ipFamilies"] = json::array({"IPv4"});
  return std::nullopt;
}

const ObjectSchema kServicePort{{
    {.name = "name", .type = String, .check = dns_label},
    {.name = "protocol", .type = String, .values = {"TCP", "UDP", "SCTP"}},
    {.name = "port", .type = Int, .required = true, .check = port_number},
    {.name = "targetPort", .type = IntOrString, .check = port_or_name},
    {.name = "nodePort", .type = Int, .check = node_port},
    {.name = "appProtocol", .type = String, .check = app_protocol},
}, finish_service_port};

const ObjectSchema kClientIpConfig{{
    {.name = "timeoutSeconds", .type = Int, .check = affinity_timeout},
}};

const ObjectSchema kSessionAffinityConfig{{
    {.name = "clientIP", .type = Object, .object = &kClientIpConfig},
}};

const ObjectSchema kServiceSpec{{
    {.name = "type", .type = String, .values = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
     .check = service_type},
    {.name = "selector", .type = StringMap, .check = label_value, .key_check = label_key},
    {.name = "ports", .type = ObjectList, .object = &kServicePort},  // required but for ExternalName
    {.name = "clusterIP", .type = String, .check = cluster_ip},
    {.name = "clusterIPs", .type = StringList, .check = cluster_ip},
    {.name = "sessionAffinity", .type = String, .values = {"None", "ClientIP"}},
    {.name = "sessionAffinityConfig", .type = Object, .object = &kSessionAffinityConfig},
    {.name = "externalTrafficPolicy", .type = String, .values = {"Cluster", "Local"}},
    {.name = "internalTrafficPolicy", .type = String, .values = {"Cluster", "Local"}},
    {.name = "ipFamilies", .type = StringList, .values = {"IPv4", "IPv6"}, .check = ip_family},
    {.name = "ipFamilyPolicy", .type = String, .values = {"SingleStack", "PreferDualStack", "RequireDualStack"}},
    {.name = "publishNotReadyAddresses", .type = Bool},
    {.name = "loadBalancerIP", .type = String, .check = ipv4_address},  // deprecated in Kubernetes 1.24, still honoured
    {.name = "allocateLoadBalancerNodePorts", .type = Bool},
    {.name = "externalName", .type = String, .check = external_name},
    // Addresses the nodes also accept the Service's traffic for (kube-proxy's external path); routing
    // them to a node is up to whoever owns them, as in Kubernetes: the lab announces none.
    {.name = "externalIPs", .type = StringList, .check = external_ip},
    // Clients allowed through the load balancer's addresses (kube-proxy's firewall); the nodePort
    // and the cluster IP stay open to all, as in Kubernetes.
    {.name = "loadBalancerSourceRanges", .type = StringList, .check = source_range},
    // A class names another load balancer implementation: the lab's own leaves the Service alone.
    {.name = "loadBalancerClass", .type = String, .check = label_key},
    {.name = "healthCheckNodePort", .type = Int, .check = health_check_node_port},
    {.name = "trafficDistribution", .type = Unsupported},
}, finish_service_spec};

// As lab/controllers/service_lb.cc writes it: the pool address and how it is announced.
const ObjectSchema kIngressPort{{
    {.name = "port", .type = Int, .check = port_number},
    {.name = "protocol", .type = String},
    {.name = "error", .type = String},
}, nullptr, true};

const ObjectSchema kIngress{{
    {.name = "ip", .type = String, .check = ipv4_address},
    {.name = "hostname", .type = String},
    {.name = "ipMode", .type = String, .values = {"VIP", "Proxy"}},
    {.name = "ports", .type = ObjectList, .object = &kIngressPort},
}, nullptr, true};

const ObjectSchema kLoadBalancerStatus{{
    {.name = "ingress", .type = ObjectList, .object = &kIngress},
}, nullptr, true};

const ObjectSchema kServiceStatus{{
    {.name = "loadBalancer", .type = Object, .object = &kLoadBalancerStatus},
    {.name = "conditions", .type = ObjectList, .object = &kCondition},
}, nullptr, true};

// ---- EndpointSlice (discovery.k8s.io/v1), as lab/controllers/endpointslice.cc writes it ----

std::optional<Problem> finish_endpoint(json& e) {
  // Kubernetes' limits: at least one address, at most 100.
  if (e["addresses"].empty()) return Problem{"addresses", "must contain at least 1 address", ErrorType::Required};
  if (e["addresses"].size() > 100) return Problem{"addresses", "must have at most 100 items", ErrorType::TooLong};
  return std::nullopt;
}

const ObjectSchema kEndpointConditions{{
    {.name = "ready", .type = Bool},
    {.name = "serving", .type = Bool},
    {.name = "terminating", .type = Bool},
}};

const ObjectSchema kEndpoint{{
    {.name = "addresses", .type = StringList, .required = true, .check = ipv4_address},
    {.name = "conditions", .type = Object, .object = &kEndpointConditions},
    {.name = "hostname", .type = String, .check = dns_label},
    {.name = "targetRef", .type = Object, .object = &kObjectReference},
    {.name = "nodeName", .type = String, .check = optional_dns_subdomain},
    {.name = "zone", .type = String},
    {.name = "hints", .type = Object, .object = &kOpenObject},
    {.name = "deprecatedTopology", .type = StringMap},
}, finish_endpoint};

const ObjectSchema kEndpointPort{{
    {.name = "name", .type = String, .check = optional_dns_label},
    {.name = "protocol", .type = String, .values = {"TCP", "UDP", "SCTP"}},
    {.name = "port", .type = Int, .check = endpoint_port},
    {.name = "appProtocol", .type = String, .check = app_protocol},
}};

// ---- Endpoints (v1), as the endpoints controller writes them or a user does for a Service
// without a selector ----

const ObjectSchema kEndpointAddress{{
    {.name = "ip", .type = String, .required = true, .check = ipv4_address},
    {.name = "hostname", .type = String, .check = dns_label},
    {.name = "nodeName", .type = String, .check = optional_dns_subdomain},
    {.name = "targetRef", .type = Object, .object = &kObjectReference},
}};

const ObjectSchema kEndpointsPort{{
    {.name = "name", .type = String, .check = optional_dns_label},
    {.name = "port", .type = Int, .required = true, .check = port_number},
    {.name = "protocol", .type = String, .values = {"TCP", "UDP", "SCTP"}},
    {.name = "appProtocol", .type = String, .check = app_protocol},
}};

const ObjectSchema kEndpointSubset{{
    {.name = "addresses", .type = ObjectList, .object = &kEndpointAddress},
    {.name = "notReadyAddresses", .type = ObjectList, .object = &kEndpointAddress},
    {.name = "ports", .type = ObjectList, .object = &kEndpointsPort},
}};

// ValidateService's check of the annotation that came before spec.loadBalancerSourceRanges:
// it counts while the field is empty, and then only on a LoadBalancer.
std::optional<Problem> finish_service(json& doc) {
  const json& spec = member(doc, "spec");
  if (!member(spec, "loadBalancerSourceRanges").empty()) return std::nullopt;
  const json& value = member(member(metadata_of(doc), "annotations"), kSourceRangesAnnotation);
  if (value.is_null()) return std::nullopt;
  const std::string at = std::string("metadata.annotations[") + kSourceRangesAnnotation + "]";
  if (string_at(spec, "type") != "LoadBalancer")
    return Problem{at, "may only be used when `type` is 'LoadBalancer'", ErrorType::Forbidden};
  if (!value.is_string() || !parse_source_range_annotation(value.get_ref<const std::string&>()))
    return Problem{at, "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 "};
  return std::nullopt;
}

ObjectSchema service_document() {
  ObjectSchema d = document(kServiceMeta, kServiceSpec, kServiceStatus);
  d.finish = finish_service;
  return d;
}

}  // namespace

const ObjectSchema kServiceDocument = service_document();

const ObjectSchema kEndpointsDocument{{
    {.name = "apiVersion", .type = Type::String, .required = true},
    {.name = "kind", .type = Type::String, .required = true},
    {.name = "metadata", .type = Type::Object, .object = &kObjectMeta, .required = true},
    {.name = "subsets", .type = Type::ObjectList, .object = &kEndpointSubset},
}};

const ObjectSchema kEndpointSliceDocument{{
    {.name = "apiVersion", .type = Type::String, .required = true},
    {.name = "kind", .type = Type::String, .required = true},
    {.name = "metadata", .type = Type::Object, .object = &kObjectMeta, .required = true},
    // IPv6 and FQDN are valid Kubernetes address types that an IPv4-only lab never has.
    {.name = "addressType", .type = Type::String, .required = true, .values = {"IPv4"}},
    {.name = "endpoints", .type = Type::ObjectList, .object = &kEndpoint},
    {.name = "ports", .type = Type::ObjectList, .object = &kEndpointPort},
}};

}  // namespace lab::api::schema
