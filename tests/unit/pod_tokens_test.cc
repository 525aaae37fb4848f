// Tokens in pods: the ServiceAccount admission plugin's defaulting and kube-api-access volume,
// the serviceaccounts and root-ca-cert-publisher controllers, the kubelet's token manager and
// projected token files, and a pod-bound token that dies with its pod.
#include <gtest/gtest.h>

#include "lab/api/service_account_admission.h"
#include "lab/controllers/manager.h"
#include "lab/controllers/service_accounts.h"
#include "lab/node/token_manager.h"
#include "lab/node/volumes.h"
#include "lab/server/auth.h"
#include "lab/server/pki.h"
#include "lab/store/store.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

Json pod(const std::string& spec_extra = "") {
  Json p = Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"team"},
      "spec":{"containers":[{"name":"a","image":"busybox"},{"name":"b","image":"busybox"}]}})");
  if (!spec_extra.empty()) p["spec"].update(Json::parse(spec_extra));
  return p;
}

const Json kAccount = Json::parse(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default","namespace":"team"}})");

TEST(ServiceAccountAdmission, DefaultsTheAccountAndMountsKubeApiAccess) {
  Json p = pod();
  api::admit_service_account(p, &kAccount, "x7k2q");
  EXPECT_EQ(p["spec"]["serviceAccountName"], "default");
  EXPECT_EQ(p["spec"]["serviceAccount"], "default");
  ASSERT_EQ(p["spec"]["volumes"].size(), 1u);
  EXPECT_EQ(p["spec"]["volumes"][0], Json::parse(R"({"name":"kube-api-access-x7k2q","projected":{
      "defaultMode":420,"sources":[
        {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
        {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
        {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}})"));
  for (const auto& c : p["spec"]["containers"])
    EXPECT_EQ(c["volumeMounts"], Json::parse(R"([{"name":"kube-api-access-x7k2q","readOnly":true,
        "mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}])"));
}

TEST(ServiceAccountAdmission, AutomountFalseOnThePodOrTheAccount) {
  Json p = pod(R"({"automountServiceAccountToken":false})");
  api::admit_service_account(p, &kAccount, "aaaaa");
  EXPECT_FALSE(p["spec"].contains("volumes"));
  EXPECT_EQ(p["spec"]["serviceAccountName"], "default");

  Json quiet = kAccount;
  quiet["automountServiceAccountToken"] = false;
  Json q = pod();
  api::admit_service_account(q, &quiet, "aaaaa");
  EXPECT_FALSE(q["spec"].contains("volumes"));
  // The pod's own setting wins over the account's.
  Json r = pod(R"({"automountServiceAccountToken":true})");
  api::admit_service_account(r, &quiet, "aaaaa");
  EXPECT_EQ(r["spec"]["volumes"].size(), 1u);
}

TEST(ServiceAccountAdmission, NamedAccountNoAccountAndOwnMounts) {
  Json p = pod(R"({"serviceAccount":"robot"})");
  api::admit_service_account(p, nullptr, "aaaaa");
  EXPECT_EQ(p["spec"]["serviceAccountName"], "robot");
  EXPECT_FALSE(p["spec"].contains("volumes"));  // no such account: nothing to mount

  // A container that mounts something at the path keeps its own.
  Json q = pod(R"({"volumes":[{"name":"mine","emptyDir":{}}]})");
  q["spec"]["containers"][0]["volumeMounts"] = Json::parse(R"([{"name":"mine","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}])");
  api::admit_service_account(q, &kAccount, "bbbbb");
  EXPECT_EQ(q["spec"]["containers"][0]["volumeMounts"].size(), 1u);
  EXPECT_EQ(q["spec"]["containers"][1]["volumeMounts"][0]["name"], "kube-api-access-bbbbb");
  EXPECT_EQ(q["spec"]["volumes"].size(), 2u);

  // Malformed: left alone for validation.
  Json bad = pod(R"({"serviceAccountName":7})");
  Json before = bad;
  api::admit_service_account(bad, &kAccount, "ccccc");
  EXPECT_EQ(bad, before);
}

struct Plane {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  std::unique_ptr<controllers::ControllerManager> manager;
  explicit Plane(std::string ca = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n") {
    controllers::ClusterInfo info{{"node-1"}, {}};
    info.root_ca_pem = std::move(ca);
    manager = std::make_unique<controllers::ControllerManager>(registry, informers, info);
    informers.start();
  }
  void settle() {
    informers.wait_synced(st.version(), 1000);
    manager->run_until_idle();
  }
};

TEST(ServiceAccountControllers, DefaultAccountAndRootCaInEveryNamespace) {
  Plane plane;
  plane.settle();
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    EXPECT_TRUE(plane.registry.get("ServiceAccount", ns, "default")) << ns;
    auto cm = plane.registry.get("ConfigMap", ns, "kube-root-ca.crt");
    ASSERT_TRUE(cm) << ns;
    EXPECT_EQ((*cm)["data"]["ca.crt"], "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  }
  ASSERT_TRUE(plane.registry.create(Json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}})")));
  plane.settle();
  EXPECT_TRUE(plane.registry.get("ServiceAccount", "team", "default"));
  EXPECT_TRUE(plane.registry.get("ConfigMap", "team", "kube-root-ca.crt"));
  const uint64_t v = plane.st.version();
  plane.settle();
  EXPECT_EQ(plane.st.version(), v);  // nothing rewritten
}

TEST(ServiceAccountControllers, PutBackAfterDeleteOrEdit) {
  Plane plane;
  plane.settle();
  auto first = plane.registry.get("ServiceAccount", "default", "default");
  ASSERT_TRUE(first);
  ASSERT_TRUE(plane.registry.remove("ServiceAccount", "default", "default"));
  ASSERT_TRUE(plane.registry.patch("ConfigMap", "kube-system", "kube-root-ca.crt", Json::parse(R"({"data":{"ca.crt":"x"}})")));
  plane.settle();
  auto again = plane.registry.get("ServiceAccount", "default", "default");
  ASSERT_TRUE(again);
  EXPECT_NE((*again)["metadata"]["uid"], (*first)["metadata"]["uid"]);
  EXPECT_EQ((*plane.registry.get("ConfigMap", "kube-system", "kube-root-ca.crt"))["data"]["ca.crt"],
            "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  // A deleted namespace takes both with it, and they are not made again.
  ASSERT_TRUE(plane.registry.create(Json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"gone"}})")));
  plane.settle();
  ASSERT_TRUE(plane.registry.remove("Namespace", "", "gone"));
  plane.settle();
  EXPECT_FALSE(plane.registry.get("ServiceAccount", "gone", "default"));
  EXPECT_FALSE(plane.registry.get("ConfigMap", "gone", "kube-root-ca.crt"));
}

TEST(ServiceAccountControllers, PodsOfTheRegistryGetTheVolume) {
  Plane plane;
  plane.settle();
  auto created = plane.registry.create(Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"containers":[{"name":"a","image":"busybox"}]}})"));
  ASSERT_TRUE(created) << created.error().what();
  EXPECT_EQ((*created)["spec"]["serviceAccountName"], "default");
  const std::string vol = (*created)["spec"]["volumes"][0]["name"];
  EXPECT_TRUE(vol.starts_with("kube-api-access-") && vol.size() == 21) << vol;
  // Validation accepted the token source and defaulted nothing more into it.
  EXPECT_EQ((*created)["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"], 3607);
  // A user's own token source: at least ten minutes.
  auto short_lived = plane.registry.create(Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"},
      "spec":{"automountServiceAccountToken":false,"containers":[{"name":"a","image":"busybox"}],
      "volumes":[{"name":"t","projected":{"sources":[{"serviceAccountToken":{"path":"t","expirationSeconds":60}}]}}]}})"));
  ASSERT_FALSE(short_lived);
  EXPECT_NE(short_lived.error().what().find("expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"),
            std::string::npos)
      << short_lived.error().what();
}

TEST(ServiceAccountControllers, NoneWithoutThePki) {
  Plane plane("");
  plane.settle();
  EXPECT_FALSE(plane.registry.get("ServiceAccount", "default", "default"));
  auto created = plane.registry.create(Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"containers":[{"name":"a","image":"busybox"}]}})"));
  ASSERT_TRUE(created);
  EXPECT_FALSE((*created)["spec"].contains("volumes"));
}

TEST(TokenManager, CachedUntilEightyPercentOfTheLifetime) {
  auto now = std::chrono::system_clock::from_time_t(1'800'000'000);
  int minted = 0;
  bool fail = false;
  node::TokenManager m(
      [&](const Json&, const std::string& aud, int64_t s) -> Result<std::string> {
        if (fail) return lab::fail("API down");
        return "t" + std::to_string(++minted) + aud + std::to_string(s);
      },
      [&] { return now; });
  Json p = pod();
  p["metadata"]["uid"] = "u1";
  EXPECT_EQ(*m.get(p, "", 3607), "t13607");
  now += std::chrono::seconds(2800);
  EXPECT_EQ(*m.get(p, "", 3607), "t13607");
  EXPECT_EQ(*m.get(p, "vault", 3607), "t2vault3607");  // another audience, another token
  now += std::chrono::seconds(100);                     // 2900 s > 80% of 3607
  fail = true;
  EXPECT_EQ(*m.get(p, "", 3607), "t13607");  // still valid: kept while the API cannot renew it
  fail = false;
  EXPECT_EQ(*m.get(p, "", 3607), "t33607");
  now += std::chrono::seconds(4000);  // everything expired
  fail = true;
  EXPECT_FALSE(m.get(p, "", 3607));
  EXPECT_EQ(m.size(), 0u);
}

TEST(ProjectedToken, TheFilesOfKubeApiAccess) {
  Json p = pod();
  p["metadata"]["uid"] = "u1";
  api::admit_service_account(p, &kAccount, "zzzzz");
  const Json ca = Json::parse(R"({"kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt","namespace":"team"},"data":{"ca.crt":"PEM"}})");
  node::VolumeInputs in;
  in.lookup = [&](const std::string& kind, const std::string& name) -> std::shared_ptr<const Json> {
    return kind == "ConfigMap" && name == "kube-root-ca.crt" ? std::make_shared<const Json>(ca) : nullptr;
  };
  auto no_tokens = node::volume_payload(p, p["spec"]["volumes"][0], in);
  ASSERT_FALSE(no_tokens);
  in.service_account_token = [](const Json& pod, const std::string& aud, int64_t s) -> Result<std::string> {
    return "jwt-for-" + pod["metadata"]["uid"].get<std::string>() + "-" + aud + "-" + std::to_string(s);
  };
  auto files = node::volume_payload(p, p["spec"]["volumes"][0], in);
  ASSERT_TRUE(files) << files.error().what();
  ASSERT_TRUE(*files);
  EXPECT_EQ((**files).size(), 3u);
  EXPECT_EQ((**files)["token"], (node::FileProjection{"jwt-for-u1--3607", 0644}));
  EXPECT_EQ((**files)["ca.crt"], (node::FileProjection{"PEM", 0644}));
  EXPECT_EQ((**files)["namespace"], (node::FileProjection{"team", 0644}));
  in.lookup = nullptr;
  auto no_ca = node::volume_payload(p, p["spec"]["volumes"][0], in);
  ASSERT_FALSE(no_ca);
  EXPECT_EQ(no_ca.error().what(), "configmap \"kube-root-ca.crt\" not found");
}

TEST(PodBoundToken, RefusedOnceThePodIsGone) {
  auto pki = server::make_pki({.lab = "tokens", .service_ip = "10.96.0.1"});
  ASSERT_TRUE(pki);
  server::Credentials creds;
  creds.sa_public_key_pem = pki->sa_pub;
  auto t = server::issue_service_account_token(pki->sa_key,
                                               {.ns = "team", .name = "default", .uid = "sa-1", .pod_name = "p",
                                                .pod_uid = "pod-1", .issued_at = std::chrono::system_clock::now()},
                                               creds);
  ASSERT_TRUE(t);
  server::HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/namespaces/team/pods";
  r.headers["authorization"] = "Bearer " + *t;
  const server::Peer tls{.transport = server::Peer::Transport::Tls};
  std::string alive = "pod-1";
  creds.pod_exists = [&](const std::string& ns, const std::string& name, const std::string& uid) {
    return ns == "team" && name == "p" && uid == alive;
  };
  auto who = server::authenticate(tls, r, creds);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "system:serviceaccount:team:default");
  EXPECT_FALSE(server::authorize(*who, r));  // reads
  server::HttpRequest write = r;
  write.method = "POST";
  auto refused = server::authorize(*who, write);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  alive = "pod-2";  // deleted and made again: another pod
  EXPECT_FALSE(server::authenticate(tls, r, creds));
}

}  // namespace
