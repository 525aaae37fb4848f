// Tables for Deployments and ReplicaSets: spec, rollout strategy, status, and the rules between a
// selector and the template it selects (apps/v1 validation and defaults).
#include <algorithm>

#include "lab/api/schema_rules.h"

namespace lab::api::schema {

namespace {

using enum Type;

// "25%" -> 25, capped so that no digit string overflows; the format was checked already.
int percent(const json& v) {
  int n = 0;
  for (char c : v.get_ref<const std::string&>())
    if (c >= '0' && c <= '9') n = std::min(n * 10 + (c - '0'), 1000);
  return n;
}

bool is_zero(const json& v) { return v.is_number() ? v == 0 : percent(v) == 0; }

std::optional<Problem> finish_strategy(json& s) {
  set_default(s, "type", "RollingUpdate");
  if (s["type"] == "Recreate") {
    if (s.contains("rollingUpdate"))
      return Problem{"rollingUpdate", "may not be specified when strategy `type` is 'Recreate'", ErrorType::Forbidden};
    return std::nullopt;
  }
  json& r = s["rollingUpdate"];
  if (r.is_null()) r = json::object();
  set_default(r, "maxSurge", "25%");
  set_default(r, "maxUnavailable", "25%");
  if (is_zero(r["maxSurge"]) && is_zero(r["maxUnavailable"]))
    return Problem{"rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"};
  if (r["maxUnavailable"].is_string() && percent(r["maxUnavailable"]) > 100)
    return Problem{"rollingUpdate.maxUnavailable", "must not be greater than 100%"};
  return std::nullopt;
}

std::optional<Problem> finish_deployment_spec(json& s) {
  if (auto problem = check_selector_and_template(s, "deployment")) return problem;
  set_default(s, "replicas", 1);
  set_default(s, "revisionHistoryLimit", 10);
  set_default(s, "progressDeadlineSeconds", 600);
  if (s["progressDeadlineSeconds"].get<int64_t>() <= s.value("minReadySeconds", int64_t{0}))
    return Problem{"progressDeadlineSeconds", "must be greater than minReadySeconds"};
  if (!s.contains("strategy")) {
    s["strategy"] = json::object();
    if (auto problem = finish_strategy(s["strategy"]))
      return Problem{"strategy." + problem->path, problem->message, problem->type};
  }
  return std::nullopt;
}

std::optional<Problem> finish_replicaset_spec(json& s) {
  if (auto problem = check_selector_and_template(s, "replicaset")) return problem;
  set_default(s, "replicas", 1);
  return std::nullopt;
}

const ObjectSchema kRollingUpdate{{
    {.name = "maxSurge", .type = IntOrString, .check = int_or_percent},
    {.name = "maxUnavailable", .type = IntOrString, .check = int_or_percent},
}};

const ObjectSchema kStrategy{{
    {.name = "type", .type = String, .values = {"RollingUpdate", "Recreate"}},
    {.name = "rollingUpdate", .type = Object, .object = &kRollingUpdate},
}, finish_strategy};

const ObjectSchema kDeploymentSpec{{
    {.name = "replicas", .type = Int, .check = non_negative},
    {.name = "selector", .type = Object, .object = &kLabelSelector, .required = true},
    {.name = "template", .type = Object, .object = &kPodTemplate, .required = true},
    {.name = "strategy", .type = Object, .object = &kStrategy},
    {.name = "minReadySeconds", .type = Int, .check = non_negative},
    {.name = "revisionHistoryLimit", .type = Int, .check = non_negative},
    {.name = "progressDeadlineSeconds", .type = Int, .check = positive},
    {.name = "paused", .type = Bool},
}, finish_deployment_spec};

// As the deployment controller writes it (lab/controllers/deployment.cc).
const ObjectSchema kDeploymentStatus{{
    {.name = "observedGeneration", .type = Int64},
    {.name = "replicas", .type = Int, .check = non_negative},
    {.name = "updatedReplicas", .type = Int, .check = non_negative},
    {.name = "readyReplicas", .type = Int, .check = non_negative},
    {.name = "availableReplicas", .type = Int, .check = non_negative},
    {.name = "unavailableReplicas", .type = Int, .check = non_negative},
    {.name = "terminatingReplicas", .type = Int, .check = non_negative},
    {.name = "collisionCount", .type = Int, .check = non_negative},
    {.name = "conditions", .type = ObjectList, .object = &kCondition},
}, nullptr, true};

const ObjectSchema kReplicaSetSpec{{
    {.name = "replicas", .type = Int, .check = non_negative},
    {.name = "minReadySeconds", .type = Int, .check = non_negative},
    {.name = "selector", .type = Object, .object = &kLabelSelector, .required = true},
    {.name = "template", .type = Object, .object = &kPodTemplate, .required = true},
}, finish_replicaset_spec};

// As the replicaset controller writes it (lab/controllers/replicaset.cc).
const ObjectSchema kReplicaSetStatus{{
    {.name = "observedGeneration", .type = Int64},
    {.name = "replicas", .type = Int, .check = non_negative},
    {.name = "fullyLabeledReplicas", .type = Int, .check = non_negative},
    {.name = "readyReplicas", .type = Int, .check = non_negative},
    {.name = "availableReplicas", .type = Int, .check = non_negative},
    {.name = "terminatingReplicas", .type = Int, .check = non_negative},
    {.name = "conditions", .type = ObjectList, .object = &kCondition},
}, nullptr, true};

}  // namespace

// ValidateDeploymentSpec / ValidateReplicaSetSpec: a non-empty selector that selects the
// template's own labels, and pods that restart (a controller replaces them, not the kubelet).
std::optional<Problem> check_selector_and_template(const json& s, const char* kind) {
  const json& want = s["selector"].value("matchLabels", json::object());
  if (want.empty())
    return Problem{"selector", std::string("empty selector is invalid for ") + kind + " (write selector.matchLabels)"};
  const json& tmpl = s["template"];
  const json have = tmpl.contains("metadata") ? tmpl["metadata"].value("labels", json::object()) : json::object();
  for (const auto& [k, v] : want.items())
    if (!have.contains(k) || have[k] != v)
      return Problem{"template.metadata.labels",
                     "`selector` does not match template `labels` (selector: " + label_list(want) + ")"};
  if (tmpl["spec"]["restartPolicy"] != "Always")
    return Problem{"template.spec.restartPolicy", "\"Always\"", ErrorType::NotSupported};
  return std::nullopt;
}

const ObjectSchema kDeploymentDocument = document(kObjectMeta, kDeploymentSpec, kDeploymentStatus);
const ObjectSchema kReplicaSetDocument = document(kObjectMeta, kReplicaSetSpec, kReplicaSetStatus);

}  // namespace lab::api::schema
