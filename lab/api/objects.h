// Small questions asked of API objects everywhere: who owns it, is the pod or node ready, is it
// being deleted, and Kubernetes' int-or-percent values (maxSurge: 25%).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lab::api {

using Json = nlohmann::json;

Json owner_reference(const Json& owner);  // controller reference to owner
std::string controller_uid(const Json& obj);  // uid of the controlling owner, "" if none
bool owned_by(const Json& obj, const Json& owner);
bool is_terminating(const Json& obj);  // metadata.deletionTimestamp set
// metadata.finalizers (what an object's deletion waits for), and a Namespace's own
// spec.finalizers (the namespace controller's "kubernetes"); the strings of each list.
std::vector<std::string> finalizers_of(const Json& obj);
std::vector<std::string> spec_finalizers_of(const Json& ns);
bool is_pod_ready(const Json& pod);    // condition Ready=True and not terminating
// status.conditions[] of the type, nullptr when there is none; and whether it says True.
const Json* find_condition(const Json& obj, const std::string& type);
bool condition_true(const Json& obj, const std::string& type);
// A Service's status.loadBalancer.ingress[].ip, in order, the empty ones left out.
std::vector<std::string> ingress_ips(const Json& svc);
// A node is NotReady when its Ready condition says False or Unknown; a node with no Ready
// condition yet (not registered) is not.
bool node_not_ready(const Json& node);
// "25%" of total (rounded up or down) or a plain integer.
int resolve_int_or_percent(const Json& value, int total, bool round_up, int fallback);

}  // namespace lab::api
