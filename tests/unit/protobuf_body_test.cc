// The protobuf bodies kubectl 1.32 sends for `kubectl create secret|configmap|namespace|
// serviceaccount|deployment|service|token|job`, captured from the machine's kubectl (tests/fixtures/protobuf/*.bin),
// decoded into the objects the JSON API stores; and the bodies that must be refused.
#include "lab/server/protobuf_body.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "lab/base/base64.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;
const std::string kDir = std::string(LAB_SOURCE_DIR) + "/tests/fixtures/protobuf/";

std::string file(const std::string& name) {
  std::ifstream in(kDir + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << name;
  return ss.str();
}

Json decoded(const std::string& name) {
  auto r = decode_protobuf_object(file(name));
  EXPECT_TRUE(r.has_value()) << name << ": " << r.error().message;
  return r ? *r : Json();
}

TEST(ProtobufBody, CreateSecretTlsAsKubectlSendsIt) {
  // kubectl create secret tls nginxsecret --key k.pem --cert c.pem
  Json s = decoded("secret_tls.bin");
  EXPECT_EQ(s["apiVersion"], "v1");
  EXPECT_EQ(s["kind"], "Secret");
  EXPECT_EQ(s["metadata"], Json::parse(R"({"name":"nginxsecret"})"));
  EXPECT_EQ(s["type"], "kubernetes.io/tls");
  EXPECT_EQ(s["data"]["tls.crt"], base64_encode(file("c.pem")));
  EXPECT_EQ(s["data"]["tls.key"], base64_encode(file("k.pem")));
}

TEST(ProtobufBody, CreateSecretGenericAndConfigMap) {
  // kubectl create secret generic gen --from-literal=user=admin --type=Opaque
  Json s = decoded("secret_generic.bin");
  EXPECT_EQ(s["metadata"]["name"], "gen");
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_EQ(s["data"], Json::parse(R"({"user":"YWRtaW4="})"));
  // kubectl create configmap nginxconfigmap --from-file=default.conf --from-literal=a=b
  Json c = decoded("configmaps.bin");
  EXPECT_EQ(c["kind"], "ConfigMap");
  EXPECT_EQ(c["metadata"], Json::parse(R"({"name":"nginxconfigmap"})"));
  EXPECT_EQ(c["data"], (Json{{"a", "b"}, {"default.conf", file("default.conf")}}));
  EXPECT_FALSE(c.contains("binaryData"));
}

TEST(ProtobufBody, CreateNamespaceAndServiceAccount) {
  Json n = decoded("namespaces.bin");  // kubectl create namespace demo
  EXPECT_EQ(n["kind"], "Namespace");
  EXPECT_EQ(n["metadata"], Json::parse(R"({"name":"demo"})"));
  // Go writes NamespaceStatus{} with phase ""; the JSON API omits it, so the server defaults it.
  EXPECT_FALSE(n.contains("status") && n["status"].contains("phase")) << n.dump();
  Json sa = decoded("serviceaccounts.bin");  // kubectl create serviceaccount robot
  EXPECT_EQ(sa["kind"], "ServiceAccount");
  EXPECT_EQ(sa["metadata"], Json::parse(R"({"name":"robot"})"));
}

TEST(ProtobufBody, CreateTokenAsKubectlSendsIt) {
  // kubectl create token robot --duration=2h --audience=api
  Json t = decoded("tokenrequest.bin");
  EXPECT_EQ(t["apiVersion"], "authentication.k8s.io/v1");
  EXPECT_EQ(t["kind"], "TokenRequest");
  EXPECT_EQ(t["spec"]["audiences"], Json::array({"api"}));
  EXPECT_EQ(t["spec"]["expirationSeconds"], 7200);  // a number, as in JSON
}

TEST(ProtobufBody, CreateDeploymentAsKubectlSendsIt) {
  // What Go's JSON encoder writes for the same object: zero non-pointer fields (hostNetwork,
  // stdin, minReadySeconds, the status counters, empty strings) are gone, a set struct stays {}.
  Json d = decoded("deployments.bin");  // kubectl create deployment web --image=nginx
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["metadata"], Json::parse(R"({"name":"web","labels":{"app":"web"}})"));
  EXPECT_EQ(d["spec"], Json::parse(R"({"replicas":1,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
                "spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},
    "strategy":{}})")) << d["spec"].dump();
  EXPECT_EQ(d["status"], Json::object());
  // --replicas=0 is a pointer's zero: kept. --port: a containerPort, no hostPort.
  Json p = decoded("deployments_port.bin");
  EXPECT_EQ(p["spec"]["replicas"], 0);
  EXPECT_EQ(p["spec"]["template"]["spec"]["containers"][0]["ports"], Json::parse(R"([{"containerPort":80}])"));
}

TEST(ProtobufBody, CreateServiceAsKubectlSendsIt) {
  Json c = decoded("services_clusterip.bin");  // kubectl create service clusterip my-cs --tcp=5678:8080
  EXPECT_EQ(c["kind"], "Service");
  EXPECT_EQ(c["spec"], Json::parse(R"({"ports":[{"name":"5678-8080","protocol":"TCP","port":5678,"targetPort":8080}],
    "selector":{"app":"my-cs"},"type":"ClusterIP"})")) << c["spec"].dump();
  EXPECT_EQ(c["status"], Json::parse(R"({"loadBalancer":{}})"));
  // A named targetPort is a string; the nodePort asked for stays.
  Json n = decoded("services_nodeport.bin");  // --tcp=5678:http --node-port=30080
  EXPECT_EQ(n["spec"]["ports"], Json::parse(R"([{"name":"5678-http","protocol":"TCP","port":5678,
    "targetPort":"http","nodePort":30080}])"));
  EXPECT_EQ(n["spec"]["type"], "NodePort");
  EXPECT_EQ(decoded("services_loadbalancer.bin")["spec"]["type"], "LoadBalancer");
  Json e = decoded("services_externalname.bin");
  EXPECT_EQ(e["spec"]["externalName"], "bar.com");
  EXPECT_FALSE(e["spec"].contains("ports"));
  EXPECT_EQ(decoded("services_headless.bin")["spec"]["clusterIP"], "None");
}

TEST(ProtobufBody, KindsTheLabDoesNotDecodeAreRefusedNotShortened) {
  // kubectl create job j --image=busybox: a Job message the lab has no schema for.
  auto r = decode_protobuf_object(file("jobs.bin"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Reason::UnsupportedMediaType);
  EXPECT_NE(r.error().message.find("batch/v1 Job"), std::string::npos) << r.error().message;
}

TEST(ProtobufBody, MalformedBodiesAreBadRequests) {
  const std::string secret = file("secret_tls.bin");
  for (const std::string& bad : {std::string(), std::string("{}"), std::string("k8s"), std::string("k8s\0\xff\xff\xff", 7),
                                 secret.substr(0, secret.size() / 2), std::string("k8s\0", 4) + "\x0a\x05\x0a\x02v1", 
                                 secret.substr(0, 4) + std::string(40, '\x7f')}) {
    auto r = decode_protobuf_object(bad);
    EXPECT_FALSE(r.has_value()) << bad.size();
  }
}

TEST(ProtobufBody, MutatedBodiesDecodeOrAreRefusedNeverCrash) {
  // Every captured body, with bytes flipped, dropped or repeated: each decodes to an object of
  // its kind or is an error value; nothing throws.
  std::mt19937 rng(7);
  for (const char* name : {"deployments.bin", "deployments_port.bin", "services_nodeport.bin", "secret_tls.bin",
                           "configmaps.bin", "namespaces.bin", "tokenrequest.bin"}) {
    const std::string body = file(name);
    int decoded_ok = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string m = body;
      for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0 && !m.empty(); --edits) {
        const size_t at = 4 + rng() % (m.size() > 4 ? m.size() - 4 : 1);
        switch (rng() % 3) {
          case 0: m[std::min(at, m.size() - 1)] = static_cast<char>(rng()); break;
          case 1: m.erase(std::min(at, m.size() - 1), 1 + rng() % 8); break;
          default: m.insert(std::min(at, m.size()), m.substr(std::min(at, m.size() - 1), 1 + rng() % 8));
        }
      }
      Result<Json> r = Result<Json>(Json());
      ASSERT_NO_THROW(r = decode_protobuf_object(m)) << name << " mutation " << i;
      if (!r) continue;
      ++decoded_ok;
      EXPECT_TRUE(r->is_object() && (*r)["kind"].is_string() && (*r)["metadata"].is_object()) << r->dump();
    }
    EXPECT_GT(decoded_ok, 0) << name;  // some mutations only change values
  }
}

TEST(ProtobufBody, UnknownFieldsAreRefused) {
  // A Secret with field 9 (no such field in Secret): decoding it would drop data silently.
  std::string secret = file("secret_generic.bin");
  // Envelope: magic, field 1 (TypeMeta), field 2 (raw). Append field 9 = varint 1 to raw by
  // rebuilding the envelope around raw + "\x48\x01".
  const std::string magic("k8s\0", 4);
  size_t at = 4;
  ASSERT_EQ(secret[at], '\x0a');
  size_t tm_len = static_cast<unsigned char>(secret[at + 1]);
  std::string type_meta = secret.substr(at, 2 + tm_len);
  at += 2 + tm_len;
  ASSERT_EQ(secret[at], '\x12');
  size_t raw_len = static_cast<unsigned char>(secret[at + 1]);
  ASSERT_LT(raw_len, 126u);
  std::string raw = secret.substr(at + 2, raw_len) + "\x48\x01";
  std::string body = magic + type_meta + "\x12" + std::string(1, static_cast<char>(raw.size())) + raw;
  auto r = decode_protobuf_object(body);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("Secret field 9"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace lab::server
