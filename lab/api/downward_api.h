// The downward API as the kubelet computes it (k8s pkg/fieldpath, pkg/api/v1/resource): a pod's
// own fields as text for env[].valueFrom.fieldRef and downwardAPI volume files, and a container's
// resources for resourceFieldRef. Pure functions over the pod object, so both the API's
// validation and the kubelet use the same lists and wording.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::api {

// The field paths each use accepts without a subscript (validEnvDownwardAPIFieldPathExpressions,
// validVolumeDownwardAPIFieldPathExpressions), sorted as the apiserver lists them.
const std::vector<std::string_view>& env_field_paths();
const std::vector<std::string_view>& volume_field_paths();

// "metadata.labels['app']" -> {"metadata.labels", "app"} (fieldpath.SplitMaybeSubscriptedPath).
std::optional<std::pair<std::string, std::string>> split_subscripted(std::string_view path);

// What the pod's spec and metadata do not say: the addresses the kubelet gave it.
struct PodAddresses {
  std::string pod_ip, host_ip;
};

// fieldpath.ExtractFieldPathAsString plus the status fields the kubelet fills in: the value of
// field_path for pod. Labels and annotations as a whole are FormatMap'd (`key="value"` lines,
// sorted, Go-quoted). An unknown path is an error ("unsupported fieldPath: x").
Result<std::string> field_path_value(const nlohmann::json& pod, std::string_view field_path,
                                     const PodAddresses& addresses);

// fieldpath.FormatMap.
std::string format_map(const nlohmann::json& map);

// A quantity ("500m", "1Gi", "2", "1e3") in its base unit; nullopt when it does not parse.
std::optional<long double> quantity_value(std::string_view q);

// Resources whose values resourceFieldRef reads (validContainerResourceFieldPathExpressions, the
// part lab has), and a divisor's problem for one ("" when fine), in the apiserver's words.
const std::vector<std::string_view>& resource_field_paths();
std::string divisor_problem(std::string_view resource, std::string_view divisor);

// What the node offers, which an unset limit reads as (the kubelet's allocatable).
struct NodeAllocatable {
  int64_t cpu_milli = 0;
  int64_t memory_bytes = 0;
};
// The host's CPUs and memory.
NodeAllocatable host_allocatable();

// resource.ExtractContainerResourceValue: the container's request or limit in units of the
// divisor, rounded up ("" divisor = 1). container_name names a container of pod_spec.
Result<std::string> resource_field_value(const nlohmann::json& pod_spec, std::string_view container_name,
                                         std::string_view resource, std::string_view divisor,
                                         const NodeAllocatable& node);

}  // namespace lab::api
