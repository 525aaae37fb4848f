// Pod volumes, env[].valueFrom and envFrom: the apiserver's rules and words, the downward API's
// values, the environment as the kubelet builds it (missing object and key texts, optional,
// prefix, invalid names), the volume payloads, and the kubelet waiting on a missing ConfigMap
// (FailedMount, ContainerCreating) before it makes anything.
#include <gtest/gtest.h>

#include "lab/api/downward_api.h"
#include "lab/api/env_sources.h"
#include "lab/api/validate.h"
#include "lab/base/base64.h"
#include "lab/node/kubelet.h"
#include "lab/node/volumes.h"
#include "tests/unit/kubelet_fixture.h"

using namespace lab;
using Json = nlohmann::json;

namespace {

std::string errors_of(Json obj) {
  auto v = api::validate_object(obj);
  std::string out;
  for (const auto& e : v.errors) out += e.field + ": " + e.detail + "\n";
  return out;
}

Json pod_with(Json spec_extra, Json container_extra = Json::object()) {
  Json c = {{"name", "app"}, {"image", "busybox"}};
  c.update(container_extra);
  Json spec = {{"containers", Json::array({c})}};
  spec.update(spec_extra);
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}}}, {"spec", spec}};
}

Json mount(const std::string& name, const std::string& path, Json extra = Json::object()) {
  Json m = {{"name", name}, {"mountPath", path}};
  m.update(extra);
  return m;
}

}  // namespace

TEST(PodVolumesSchema, EveryKindValidatesAndDefaults) {
  Json p = pod_with(Json::parse(R"({"volumes": [
      {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
      {"name": "conf", "configMap": {"name": "app-config"}},
      {"name": "tls", "secret": {"secretName": "tls", "items": [{"key": "tls.crt", "path": "certs/tls.crt"}]}},
      {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
      {"name": "all", "projected": {"sources": [{"secret": {"name": "s"}}, {"configMap": {"name": "c", "optional": true}}]}},
      {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}}]})"),
                    Json::parse(R"({
      "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                       {"name": "conf", "mountPath": "/etc/app", "subPath": "app.ini"},
                       {"name": "tls", "mountPath": "/etc/nginx/ssl", "readOnly": true}],
      "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
              {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
              {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
              {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}],
      "envFrom": [{"prefix": "CFG_", "configMapRef": {"name": "c"}}, {"secretRef": {"name": "s"}}]})"));
  auto v = api::validate_object(p);
  ASSERT_TRUE(v.errors.empty()) << errors_of(p);
  EXPECT_EQ(p["spec"]["volumes"][1]["configMap"]["defaultMode"], 0644);
  EXPECT_EQ(p["spec"]["volumes"][2]["secret"]["defaultMode"], 0644);
  EXPECT_EQ(p["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
  EXPECT_EQ(p["spec"]["containers"][0]["volumeMounts"][0]["readOnly"], false);
}

TEST(PodVolumesSchema, KubernetesWords) {
  auto one = [](Json volume, Json mounts = Json::array()) {
    Json extra = Json::object();
    if (!mounts.empty()) extra["volumeMounts"] = mounts;
    return errors_of(pod_with({{"volumes", Json::array({volume})}}, extra));
  };
  EXPECT_EQ(errors_of(pod_with(Json::object(), {{"volumeMounts", Json::array({mount("x", "/x")})}})),
            "spec.containers[0].volumeMounts[0].name: Not found: \"x\"\n");
  EXPECT_EQ(one({{"name", "v"}, {"emptyDir", Json::object()}}, Json::array({mount("v", "/a", {{"subPath", "../etc"}})})),
            "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../etc\": must not contain '..'\n");
  EXPECT_EQ(one({{"name", "v"}, {"emptyDir", Json::object()}}, Json::array({mount("v", "/a", {{"subPath", "/etc"}})})),
            "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"/etc\": must be a relative path\n");
  EXPECT_EQ(one({{"name", "v"}, {"emptyDir", Json::object()}},
                Json::array({mount("v", "/a", {{"subPath", "a"}, {"subPathExpr", "$(X)"}})})),
            "spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: \"$(X)\": subPathExpr and subPath are "
            "mutually exclusive\n");
  EXPECT_EQ(one({{"name", "v"}, {"emptyDir", Json::object()}}, Json::array({mount("v", "/a"), mount("v", "/a")})),
            "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/a\": must be unique\n");
  EXPECT_EQ(one({{"name", "v"}, {"emptyDir", Json::object()}}, Json::array({mount("v", "data")})),
            "spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"data\": must be an absolute path\n");
  EXPECT_EQ(one({{"name", "v"}, {"persistentVolumeClaim", {{"claimName", "c"}}}}),
            "spec.volumes[0].persistentVolumeClaim: Forbidden: not supported yet (lab's volumes are emptyDir, "
            "hostPath, secret, configMap, downwardAPI and projected)\n");
  EXPECT_EQ(one({{"name", "v"}}), "spec.volumes[0]: Required value: must specify a volume type\n");
  EXPECT_EQ(one({{"name", "v"}, {"emptyDir", Json::object()}, {"secret", {{"secretName", "s"}}}}),
            "spec.volumes[0].secret: Forbidden: may not specify more than 1 volume type\n");
  EXPECT_EQ(one({{"name", "v"}, {"secret", {{"secretName", "s"}, {"items", {{{"key", "k"}, {"path", "../k"}}}}}}}),
            "spec.volumes[0].secret.items[0].path: Invalid value: \"../k\": must not contain '..'\n");
  EXPECT_EQ(one({{"name", "v"}, {"configMap", {{"name", "c"}, {"items", {{{"key", "k"}, {"path", "/k"}}}}}}}),
            "spec.volumes[0].configMap.items[0].path: Invalid value: \"/k\": must be a relative path\n");
  EXPECT_EQ(one({{"name", "v"}, {"configMap", {{"name", "c"}, {"defaultMode", 01000}}}}),
            "spec.volumes[0].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), "
            "both inclusive\n");
  EXPECT_EQ(one({{"name", "v"}, {"secret", Json::object()}}), "spec.volumes[0].secret.secretName: Required value\n");
  EXPECT_EQ(one({{"name", "v"}, {"hostPath", {{"path", "/x"}, {"type", "Dir"}}}}),
            "spec.volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", "
            "\"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"\n");
  EXPECT_EQ(one({{"name", "v"}, {"downwardAPI", {{"items", {{{"path", "n"}, {"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}}}}}),
            "spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": supported "
            "values: \"metadata.annotations\", \"metadata.labels\", \"metadata.name\", \"metadata.namespace\", "
            "\"metadata.uid\"\n");
  EXPECT_EQ(errors_of(pod_with({{"volumes", Json::array({{{"name", "v"}, {"emptyDir", Json::object()}},
                                                         {{"name", "v"}, {"emptyDir", Json::object()}}})}})),
            "spec.volumes[1].name: Duplicate value: \"v\"\n");
}

TEST(PodVolumesSchema, EnvWords) {
  auto env = [](Json e) { return errors_of(pod_with(Json::object(), {{"env", Json::array({e})}})); };
  EXPECT_EQ(env({{"name", "A"}, {"value", "x"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}),
            "spec.containers[0].env[0].valueFrom: Invalid value: {\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
            "\"metadata.name\"}}: may not be specified when `value` is not empty\n");
  EXPECT_EQ(env({{"name", "A"}, {"valueFrom", Json::object()}}),
            "spec.containers[0].env[0].valueFrom: Invalid value: {}: must specify one of: `fieldRef`, "
            "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`\n");
  EXPECT_EQ(env({{"name", "A"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels"}}}}}}),
            "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"metadata.labels\": "
            "supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", "
            "\"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"\n");
  EXPECT_EQ(env({{"name", "A"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}}}}}}),
            "spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value\n");
  EXPECT_EQ(env({{"name", "A"}, {"valueFrom", {{"resourceFieldRef", {{"resource", "limits.cpu"}, {"divisor", "2"}}}}}}),
            "spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"2\": only divisor's "
            "values 1m and 1 are supported with the cpu resource\n");
  EXPECT_EQ(errors_of(pod_with(Json::object(), {{"envFrom", Json::array({{{"prefix", "1X"}, {"configMapRef", {{"name", "c"}}}}})}})),
            "spec.containers[0].envFrom[0].prefix: Invalid value: \"1X\": a valid environment variable name must "
            "consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit\n");
  EXPECT_EQ(errors_of(pod_with(Json::object(), {{"envFrom", Json::array({Json::object()})}})),
            "spec.containers[0].envFrom[0]: Invalid value: {}: must specify one of: `configMapRef` or `secretRef`\n");
}

TEST(DownwardApi, Values) {
  Json pod = {{"metadata",
               {{"name", "web"},
                {"namespace", "shop"},
                {"uid", "u-1"},
                {"labels", {{"tier", "front"}, {"app", "web"}}},
                {"annotations", {{"note", "say \"hi\"\n"}}}}},
              {"spec", {{"nodeName", "node-1"}}}};
  api::PodAddresses a{"10.244.1.5", "172.18.0.2"};
  EXPECT_EQ(*api::field_path_value(pod, "metadata.labels", a), "app=\"web\"\ntier=\"front\"");
  EXPECT_EQ(*api::field_path_value(pod, "metadata.annotations", a), "note=\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(*api::field_path_value(pod, "metadata.labels['tier']", a), "front");
  EXPECT_EQ(*api::field_path_value(pod, "metadata.labels['none']", a), "");
  EXPECT_EQ(*api::field_path_value(pod, "metadata.namespace", a), "shop");
  EXPECT_EQ(*api::field_path_value(pod, "metadata.uid", a), "u-1");
  EXPECT_EQ(*api::field_path_value(pod, "spec.nodeName", a), "node-1");
  EXPECT_EQ(*api::field_path_value(pod, "spec.serviceAccountName", a), "default");
  EXPECT_EQ(*api::field_path_value(pod, "status.podIP", a), "10.244.1.5");
  EXPECT_EQ(*api::field_path_value(pod, "status.hostIP", a), "172.18.0.2");
  EXPECT_FALSE(api::field_path_value(pod, "spec.containers", a));

  Json spec = {{"containers",
                {{{"name", "c"},
                  {"resources", {{"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}}, {"requests", {{"cpu", "250m"}}}}}},
                 {{"name", "bare"}}}}};
  api::NodeAllocatable node{2000, 4LL << 30};
  EXPECT_EQ(*api::resource_field_value(spec, "c", "limits.cpu", "", node), "1");   // 0.5 rounds up
  EXPECT_EQ(*api::resource_field_value(spec, "c", "limits.cpu", "1m", node), "500");
  EXPECT_EQ(*api::resource_field_value(spec, "c", "requests.cpu", "1m", node), "250");
  EXPECT_EQ(*api::resource_field_value(spec, "c", "limits.memory", "1Mi", node), "128");
  EXPECT_EQ(*api::resource_field_value(spec, "c", "requests.memory", "1Mi", node), "128");  // the limit
  EXPECT_EQ(*api::resource_field_value(spec, "bare", "limits.cpu", "", node), "2");         // the node's
  EXPECT_EQ(*api::resource_field_value(spec, "bare", "limits.memory", "1Gi", node), "4");
  EXPECT_EQ(*api::resource_field_value(spec, "bare", "requests.cpu", "", node), "0");
  EXPECT_FALSE(api::resource_field_value(spec, "nope", "limits.cpu", "", node));
}

namespace {

struct Objects {
  std::map<std::string, Json> items;  // "Kind/name"
  api::ObjectLookup lookup() const {
    return [this](const std::string& kind, const std::string& name) -> std::shared_ptr<const Json> {
      auto it = items.find(kind + "/" + name);
      return it == items.end() ? nullptr : std::make_shared<const Json>(it->second);
    };
  }
};

Json config_map(Json data) { return {{"kind", "ConfigMap"}, {"data", data}}; }
Json secret(const std::map<std::string, std::string>& data) {
  Json d = Json::object();
  for (const auto& [k, v] : data) d[k] = base64_encode(v);
  return {{"kind", "Secret"}, {"data", d}};
}

Result<api::ContainerEnv> env_of(const Objects& objs, Json container, const api::EnvMap& services = {}) {
  Json pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", Json::array({container})}}}};
  api::ObjectLookup lookup = objs.lookup();
  api::EnvInputs in{&lookup, {"10.244.1.7", "172.18.0.2"}, {1000, 1LL << 30}, &services};
  return api::container_env_from_sources(pod, pod["spec"]["containers"][0], in);
}

std::string env_text(const api::EnvList& env) {
  std::string out;
  for (const auto& [k, v] : env) out += k + "=" + v + "\n";
  return out;
}

}  // namespace

TEST(EnvSources, OrderPrefixAndWinners) {
  Objects o;
  o.items["ConfigMap/c"] = config_map({{"mode", "prod"}, {"LEVEL", "3"}, {"bad key", "x"}, {"1st", "y"}});
  o.items["Secret/s"] = secret({{"PASSWORD", "p$(LEVEL)w"}});
  Json c = {{"name", "app"},
            {"envFrom", Json::array({{{"prefix", "CFG_"}, {"configMapRef", {{"name", "c"}}}},
                                     {{"secretRef", {{"name", "s"}}}}})},
            {"env", Json::array({{{"name", "CFG_mode"}, {"value", "dev-$(CFG_LEVEL)-$(SVC_HOST)"}},
                                 {{"name", "IP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}},
                                 {{"name", "K"}, {"valueFrom", {{"configMapKeyRef", {{"name", "c"}, {"key", "LEVEL"}}}}}},
                                 {{"name", "PW"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "PASSWORD"}}}}}}})}};
  auto env = env_of(o, c, {{"SVC_HOST", "10.96.0.9"}, {"IP", "service-loses"}});
  ASSERT_TRUE(env) << env.error().what();
  // envFrom first (keys sorted, prefixed; invalid names skipped), env replaces in place, the
  // Service variables last; a value from a Secret is never expanded.
  EXPECT_EQ(env_text(env->env),
            "CFG_1st=y\nCFG_LEVEL=3\nCFG_mode=dev-3-10.96.0.9\nPASSWORD=p$(LEVEL)w\nIP=10.244.1.7\nK=3\n"
            "PW=p$(LEVEL)w\nSVC_HOST=10.96.0.9\n");
  ASSERT_EQ(env->warnings.size(), 1u);
  EXPECT_EQ(env->warnings[0],
            "Keys [CFG_bad key] from the EnvFrom configMap default/c were skipped since they are considered invalid "
            "environment variable names.");
}

TEST(EnvSources, MissingObjectsAndKeys) {
  Objects o;
  o.items["ConfigMap/c"] = config_map({{"a", "1"}});
  auto key_ref = [](const char* kind, const char* name, const char* key, bool optional) {
    Json ref = {{"name", name}, {"key", key}};
    if (optional) ref["optional"] = true;
    return Json{{"name", "app"}, {"env", Json::array({{{"name", "X"}, {"valueFrom", {{kind, ref}}}}})}};
  };
  auto e = env_of(o, key_ref("configMapKeyRef", "c", "k", false));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "couldn't find key k in ConfigMap default/c");
  e = env_of(o, key_ref("secretKeyRef", "s", "k", false));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "secret \"s\" not found");
  e = env_of(o, key_ref("configMapKeyRef", "missing", "k", false));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "configmap \"missing\" not found");
  // Optional: the variable is left out.
  e = env_of(o, key_ref("configMapKeyRef", "c", "k", true));
  ASSERT_TRUE(e);
  EXPECT_EQ(env_text(e->env), "");
  e = env_of(o, key_ref("secretKeyRef", "s", "k", true));
  ASSERT_TRUE(e);
  e = env_of(o, {{"name", "app"}, {"envFrom", Json::array({{{"secretRef", {{"name", "s"}, {"optional", true}}}}})}});
  ASSERT_TRUE(e);
  e = env_of(o, {{"name", "app"}, {"envFrom", Json::array({{{"secretRef", {{"name", "s"}}}}})}});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "secret \"s\" not found");
  // Once the key is there, the same container gets it.
  o.items["ConfigMap/c"]["data"]["k"] = "v";
  e = env_of(o, key_ref("configMapKeyRef", "c", "k", false));
  ASSERT_TRUE(e);
  EXPECT_EQ(env_text(e->env), "X=v\n");
}

TEST(VolumePayloads, SecretConfigMapDownwardProjected) {
  Objects o;
  o.items["Secret/s"] = secret({{"tls.crt", "CERT"}, {"tls.key", "KEY"}});
  o.items["ConfigMap/c"] = config_map({{"app.ini", "x=1"}});
  o.items["ConfigMap/c"]["binaryData"] = {{"logo.png", base64_encode(std::string("\x89PNG\0", 5))}};
  node::VolumeInputs in{o.lookup(), {1000, 1LL << 30}, static_cast<gid_t>(-1)};
  Json pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", Json::array({{{"name", "app"}}})}}}};
  auto payload = [&](const char* volume) { return node::volume_payload(pod, Json::parse(volume), in); };

  // Modes in JSON are decimal: 256 = 0400, 420 = 0644, 384 = 0600, 292 = 0444, 416 = 0640.
  auto s = payload(R"({"name": "v", "secret": {"secretName": "s", "defaultMode": 256}})");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ(**s, (node::Payload{{"tls.crt", {"CERT", 0400}}, {"tls.key", {"KEY", 0400}}}));
  s = payload(R"({"name": "v", "secret": {"secretName": "s", "defaultMode": 420,
                  "items": [{"key": "tls.key", "path": "k/key.pem", "mode": 384}]}})");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ(**s, (node::Payload{{"k/key.pem", {"KEY", 0600}}}));
  s = payload(R"({"name": "v", "secret": {"secretName": "s", "items": [{"key": "nope", "path": "n"}]}})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "references non-existent secret key: nope");
  s = payload(R"({"name": "v", "configMap": {"name": "c", "items": [{"key": "nope", "path": "n"}]}})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "configmap references non-existent config key: nope");
  s = payload(R"({"name": "v", "configMap": {"name": "gone"}})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "configmap \"gone\" not found");
  s = payload(R"({"name": "v", "configMap": {"name": "gone", "optional": true}})");
  ASSERT_TRUE(s && *s);
  EXPECT_TRUE((*s)->empty());
  s = payload(R"({"name": "v", "configMap": {"name": "c"}})");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->at("logo.png").data, std::string("\x89PNG\0", 5));
  EXPECT_EQ((*s)->at("app.ini").mode, 0644u);
  s = payload(R"({"name": "v", "downwardAPI": {"defaultMode": 292, "items": [
                  {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                  {"path": "cpu", "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu", "divisor": "1m"}}]}})");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ(**s, (node::Payload{{"labels", {"app=\"web\"", 0444}}, {"cpu", {"1000", 0444}}}));
  s = payload(R"({"name": "v", "projected": {"defaultMode": 416, "sources": [
                  {"secret": {"name": "s", "items": [{"key": "tls.crt", "path": "tls.crt"}]}},
                  {"configMap": {"name": "c", "items": [{"key": "app.ini", "path": "app.ini"}]}},
                  {"downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}}]}})");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ(**s, (node::Payload{{"tls.crt", {"CERT", 0640}}, {"app.ini", {"x=1", 0640}}, {"name", {"web", 0640}}}));
  // emptyDir and hostPath have no payload.
  s = payload(R"({"name": "v", "emptyDir": {}})");
  ASSERT_TRUE(s);
  EXPECT_FALSE(*s);
}

TEST(VolumePayloads, MountsAndReferences) {
  Json pod = {{"metadata", {{"name", "web"}}},
              {"spec",
               {{"volumes", Json::array({{{"name", "conf"}, {"configMap", {{"name", "c"}}}},
                                         {{"name", "scratch"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "1Mi"}}}},
                                         {{"name", "logs"}, {"hostPath", {{"path", "/var/log/lab"}}}}})},
                {"containers",
                 Json::array({{{"name", "app"},
                               {"env", Json::array({{{"name", "S"}, {"valueFrom", {{"secretKeyRef", {{"name", "pw"}, {"key", "k"}}}}}}})},
                               {"volumeMounts",
                                Json::array({{{"name", "conf"}, {"mountPath", "/etc/app"}},
                                             {{"name", "scratch"}, {"mountPath", "/scratch"}, {"subPathExpr", "$(POD)"}},
                                             {{"name", "logs"}, {"mountPath", "/logs"}, {"readOnly", true}}})}}})}}}};
  const Json& c = pod["spec"]["containers"][0];
  auto mounts = node::container_mounts(pod, c, "/run/lab/x/pods/default_web", {{"POD", "web"}});
  ASSERT_TRUE(mounts) << mounts.error().what();
  ASSERT_EQ(mounts->size(), 3u);
  EXPECT_EQ((*mounts)[0], (runtime::VolumeMount{"/run/lab/x/pods/default_web/volumes/conf", "", "/etc/app", true}));
  EXPECT_EQ((*mounts)[1], (runtime::VolumeMount{"/run/lab/x/pods/default_web/volumes/scratch", "web", "/scratch", false}));
  EXPECT_EQ((*mounts)[2], (runtime::VolumeMount{"/var/log/lab", "", "/logs", true}));
  EXPECT_FALSE(node::container_mounts(pod, c, "/s", {{"POD", "../../etc"}}));
  auto mem = node::memory_volumes(pod, "/s");
  ASSERT_EQ(mem.size(), 1u);
  EXPECT_EQ(mem[0], (runtime::MemoryVolume{"/s/volumes/scratch", 1 << 20}));
  EXPECT_TRUE(node::pod_references(pod, "ConfigMap", "c"));
  EXPECT_TRUE(node::pod_references(pod, "Secret", "pw"));
  EXPECT_FALSE(node::pod_references(pod, "Secret", "c"));
  EXPECT_FALSE(node::has_downward_volumes(pod));
}

TEST(KubeletVolumes, AMissingConfigMapKeepsThePodContainerCreating) {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  store::InformerFactory informers{st};
  node::Kubelet kubelet{lab::fixture::kernelless_lab("unit-volumes"), "/bin/false", registry, informers};
  informers.start();
  Json p = pod_with({{"nodeName", "node-1"}, {"volumes", Json::array({{{"name", "conf"}, {"configMap", {{"name", "app"}}}}})}},
                    {{"volumeMounts", Json::array({mount("conf", "/etc/app")})}});
  auto created = registry.create(p);
  ASSERT_TRUE(created) << created.error().what();
  informers.wait_synced(st.version(), 1000);
  kubelet.sync_pod("default/p");
  Json after = *st.get("Pod", "default", "p");
  EXPECT_EQ(after["status"]["phase"], "Pending") << after["status"].dump();
  EXPECT_EQ(after["status"]["containerStatuses"][0]["state"]["waiting"]["reason"], "ContainerCreating");
  EXPECT_EQ(after["status"]["hostIP"], "172.18.0.2");
  EXPECT_FALSE(after["status"].contains("podIP"));
  bool event = false;
  for (const auto& e : st.list("Event", ""))
    if (e.value("reason", "") == "FailedMount")
      event = e.value("message", "") == "MountVolume.SetUp failed for volume \"conf\" : configmap \"app\" not found";
  EXPECT_TRUE(event);
  EXPECT_EQ(kubelet.running_count(), 0u);
  // The status it wrote validates as any status write does.
  Json copy = after;
  EXPECT_TRUE(api::validate_object(copy).errors.empty()) << errors_of(after);
}
