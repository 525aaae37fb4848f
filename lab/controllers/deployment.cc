// Deployment -> ReplicaSet -> Pods, with owner references and the pod-template-hash label.
// Scale-down, healing and rolling updates build on this in the control-plane issue.
#include "lab/controllers/deployment.h"

#include <random>

namespace lab::controllers {
namespace {

const char kSafeAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

Json owner_ref(const Json& owner) {
  return {{"apiVersion", owner["apiVersion"]}, {"kind", owner["kind"]},
          {"name", owner["metadata"]["name"]}, {"uid", owner["metadata"]["uid"]},
          {"controller", true}, {"blockOwnerDeletion", true}};
}

bool owned_by(const Json& obj, const Json& owner) {
  for (const auto& ref : obj["metadata"].value("ownerReferences", Json::array()))
    if (ref.value("uid", "") == owner["metadata"].value("uid", "")) return true;
  return false;
}

}  // namespace

std::string pod_template_hash(const Json& pod_template) {
  uint32_t h = 2166136261u;
  for (unsigned char c : pod_template.dump()) h = (h ^ c) * 16777619u;
  // Kubernetes renders the hash as decimal then maps each digit-char through the safe alphabet
  // (rand.SafeEncodeString); the result is a short string of consonants and digits.
  std::string decimal = std::to_string(h);
  std::string out;
  for (char c : decimal) out += kSafeAlphabet[static_cast<unsigned char>(c) % (sizeof kSafeAlphabet - 1)];
  return out;
}

std::string random_suffix(size_t n) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof kSafeAlphabet - 2);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kSafeAlphabet[pick(rng)];
  return s;
}

Result<void> reconcile_deployment(store::Store& st, const Json& deployment) {
  const auto& meta = deployment["metadata"];
  std::string ns = meta.value("namespace", "default");
  const Json& tmpl = deployment["spec"]["template"];
  std::string hash = pod_template_hash(tmpl);
  std::string rs_name = meta["name"].get<std::string>() + "-" + hash;

  auto rs = st.get("ReplicaSet", ns, rs_name);
  if (!rs) {
    Json labels = tmpl["metadata"].value("labels", Json::object());
    labels["pod-template-hash"] = hash;
    Json selector = deployment["spec"]["selector"];
    selector["matchLabels"]["pod-template-hash"] = hash;
    Json rs_tmpl = tmpl;
    rs_tmpl["metadata"]["labels"] = labels;
    Json obj = {{"apiVersion", "apps/v1"},
                {"kind", "ReplicaSet"},
                {"metadata",
                 {{"name", rs_name},
                  {"namespace", ns},
                  {"labels", labels},
                  {"annotations", {{"deployment.kubernetes.io/revision", "1"}}},
                  {"ownerReferences", Json::array({owner_ref(deployment)})}}},
                {"spec",
                 {{"replicas", deployment["spec"].value("replicas", 1)},
                  {"selector", selector},
                  {"template", rs_tmpl}}},
                {"status", {{"replicas", 0}}}};
    rs = st.create(obj);
    if (!rs) return std::unexpected(rs.error());
  }

  int want = (*rs)["spec"].value("replicas", 1);
  int have = 0;
  for (const auto& pod : st.list("Pod", ns))
    if (owned_by(pod, *rs)) have++;
  for (; have < want; ++have) {
    Json pod_meta = (*rs)["spec"]["template"].value("metadata", Json::object());
    pod_meta["namespace"] = ns;
    pod_meta["ownerReferences"] = Json::array({owner_ref(*rs)});
    pod_meta["generateName"] = rs_name + "-";
    Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod_meta},
                {"spec", (*rs)["spec"]["template"]["spec"]},
                {"status", {{"phase", "Pending"}}}};
    // A random name can collide; Kubernetes retries generateName collisions too.
    for (int attempt = 0;; ++attempt) {
      pod["metadata"]["name"] = rs_name + "-" + random_suffix();
      auto created = st.create(pod);
      if (created) break;
      if (created.error().code != store::kAlreadyExists || attempt > 10)
        return std::unexpected(created.error());
    }
  }
  return {};
}

void update_deployment_status(store::Store& st, const Json& deployment) {
  std::string ns = deployment["metadata"].value("namespace", "default");
  auto dep = st.get("Deployment", ns, deployment["metadata"]["name"]);
  if (!dep) return;
  int total = 0, ready = 0;
  for (auto rs : st.list("ReplicaSet", ns)) {
    if (!owned_by(rs, *dep)) continue;
    int rs_total = 0, rs_ready = 0;
    for (const auto& pod : st.list("Pod", ns)) {
      if (!owned_by(pod, rs)) continue;
      rs_total++;
      bool pod_ready = false;
      for (const auto& c : pod["status"].value("conditions", Json::array()))
        if (c.value("type", "") == "Ready" && c.value("status", "") == "True") pod_ready = true;
      if (pod_ready) rs_ready++;
    }
    rs["status"] = {{"replicas", rs_total}, {"fullyLabeledReplicas", rs_total},
                    {"readyReplicas", rs_ready}, {"availableReplicas", rs_ready},
                    {"observedGeneration", 1}};
    (void)st.update(rs);
    total += rs_total;
    ready += rs_ready;
  }
  (*dep)["status"] = {{"replicas", total},      {"updatedReplicas", total},
                      {"readyReplicas", ready}, {"availableReplicas", ready},
                      {"observedGeneration", 1}};
  (void)st.update(*dep);
}

}  // namespace lab::controllers
