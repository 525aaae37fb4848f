// `lab describe`: kubectl describe's text for pods, deployments, services, endpoint slices and any other
// object. Pure functions of the API's JSON, laid out by a port of Go's text/tabwriter as kubectl does it.
#pragma once

#include <string>
#include <string_view>

#include "lab/cli/printers.h"

namespace lab::cli {

// Go's text/tabwriter as kubectl describe sets it up (minwidth 0, padding 2, pad with spaces):
// cells end at '\t'; a column is aligned over each run of consecutive lines that have a cell in it,
// so a line without tabs (a section title) starts fresh alignment below it. flush() ends all runs.
class TabWriter {
 public:
  void write(std::string_view text) { pending_ += text; }
  void flush();
  std::string str() {
    flush();
    return out_;
  }

 private:
  std::string pending_, out_;
};

// `events` is a list ({"items": [...]}) or an array of core/v1 Events about the object, in any order.
// Like kubectl, fields the API server would have defaulted (spec.replicas, the rolling-update
// strategy, a pod's priority and service account, port protocols, probe timings) read as defaulted.

// `kubectl describe pod`.
std::string describe_pod(const Json& pod, const Json& events, Clock::time_point now);
// `kubectl describe deployment`; `replicasets` (list or array) may hold any replica sets: those the
// deployment controls become OldReplicaSets/NewReplicaSet.
std::string describe_deployment(const Json& deployment, const Json& replicasets, const Json& events,
                                Clock::time_point now);
// `kubectl describe service`. `endpoint_slices` (list or array) may hold any slices: those labelled
// kubernetes.io/service-name=<the service> give each port's Endpoints line (ready addresses with the
// slice's port of that name, "10.244.2.5:80,10.244.3.4:80", three then "+ N more...").
std::string describe_service(const Json& svc, const Json& endpoint_slices, const Json& events, Clock::time_point now);
// `kubectl describe endpointslice` (discovery.k8s.io/v1).
std::string describe_endpoint_slice(const Json& slice, const Json& events, Clock::time_point now);
// `kubectl describe secret`: Type and each key's size in bytes, never a value; no Events (as kubectl).
std::string describe_secret(const Json& secret);
// `kubectl describe configmap`: each data key and its text, binaryData keys with their sizes, Events.
std::string describe_configmap(const Json& configmap, const Json& events, Clock::time_point now);
// `kubectl describe namespace`: labels, annotations, phase and the namespace controller's
// conditions while it is being deleted.
std::string describe_namespace(const Json& ns);
// kubectl's describer for kinds it has none for: metadata, then every other field, labelled.
std::string describe_generic(const Json& obj, const Json& events, Clock::time_point now);

}  // namespace lab::cli
