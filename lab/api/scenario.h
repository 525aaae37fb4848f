// Scenario files: multi-document YAML with one `Lab` document and ordinary Kubernetes objects.
// Loading validates everything (syntax, kinds, fields, types, names, images) before anything runs.
#pragma once

#include <nlohmann/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

struct SourcePos {
  int line = 0;    // 1-based; 0 = not from a file
  int column = 0;  // 1-based
};

// The Lab document with defaults applied (design.md). *_explicit says the scenario wrote it, so a
// collision is refused rather than moved to the next free range.
struct LabSpec {
  std::string name;                    // metadata.name, "" when absent
  std::vector<std::string> nodes;      // "node-1", "node-2", ... or the listed names
  std::string pod_cidr = "10.244.0.0/16";
  std::string service_cidr = "10.96.0.0/12";
  std::string node_cidr = "172.18.0.0/16";
  std::string lb_pool = "172.18.255.200-172.18.255.250";
  int pod_eviction_timeout_seconds = 20;
  bool node_cidr_explicit = false;
  bool lb_pool_explicit = false;
  SourcePos node_cidr_pos, lb_pool_pos, pod_cidr_pos, service_cidr_pos;  // where they were written
};

struct Scenario {
  std::string file;                    // as given on the command line
  LabSpec lab;
  // Kubernetes objects in file order, as JSON with defaults applied
  // (metadata.namespace "default", container ports' protocol "TCP", replicas 1, ...).
  std::vector<nlohmann::json> objects;
};

// What a scenario's objects are for. `lab up` builds the lab its Lab document describes, so they
// are also checked against it (a clusterIP inside serviceCIDR, a nodeName among the nodes) before
// anything exists; apply, create and delete send them to a lab that already exists, with its own
// ranges, which the server checks.
enum class ScenarioUse { Up, Objects };

// Limits, so that a huge or hostile file is refused at once rather than never finishing.
constexpr size_t kMaxScenarioBytes = 3 * 1024 * 1024;  // the API's limit on a request body
constexpr size_t kMaxScenarioDocuments = 10000;
constexpr size_t kMaxScenarioValues = 500000;  // scalars, lists and mappings; an alias counts at each use

// Errors read "FILE:LINE:COL: KIND NAME: FIELD.PATH: what was expected".
Result<Scenario> load_scenario(const std::string& path, ScenarioUse use = ScenarioUse::Up);
Result<Scenario> parse_scenario(const std::string& text, const std::string& filename,
                                ScenarioUse use = ScenarioUse::Up);

// Why an address range cannot be a lab's (it overlaps 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16,
// 224.0.0.0/4 or 240.0.0.0/4), as the detail of `Invalid value`; "" when it can. first <= last,
// host byte order.
std::string special_range_problem(uint32_t first, uint32_t last);

// The NodePort range of the API server's allocator (--service-node-port-range).
constexpr int kNodePortMin = 30000, kNodePortMax = 32767;

// DNS-1123 checks, as Kubernetes applies them to object names.
bool is_dns1123_subdomain(const std::string& s);  // <= 253, [a-z0-9.-], alnum at both ends
bool is_dns1123_label(const std::string& s);      // <= 63, [a-z0-9-], alnum at both ends

}  // namespace lab::api
