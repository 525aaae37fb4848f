// validate_object: every object the system itself writes validates cleanly (built here by the
// writers' own pure functions, or copied from their code where they need a running lab), a second
// pass changes nothing, and each kind of bad input gets Kubernetes' words.
#include "lab/api/validate.h"

#include <gtest/gtest.h>

#include "lab/api/event_object.h"
#include "lab/api/objects.h"
#include "lab/api/resources.h"
#include "lab/api/scenario.h"
#include "lab/controllers/deployment.h"
#include "lab/node/pod_status.h"
#include "lab/store/service_alloc.h"

namespace lab::api {
namespace {

using Json = nlohmann::json;

const std::string kSource = LAB_SOURCE_DIR;
constexpr const char* kNow = "2026-11-26T09:40:00Z";

std::string messages(const Validation& v) {
  std::string out;
  for (const auto& e : v.errors) out += e.field + ": " + e.detail + "\n";
  return out;
}

// What the store adds on create.
Json stored(Json obj, const std::string& uid = "0b3f9c2e-5d1a-4c7b-9e8f-1a2b3c4d5e6f") {
  auto& m = obj["metadata"];
  if (!m.contains("name") && m.contains("generateName")) m["name"] = m["generateName"].get<std::string>() + "x7k2p";
  m["uid"] = uid;
  m["creationTimestamp"] = kNow;
  m["resourceVersion"] = "42";
  m["generation"] = 1;
  return obj;
}

// Valid, defaulted in place, and validating the result again changes and reports nothing.
Json expect_clean(Json obj, const Json* old = nullptr) {
  auto v = validate_object(obj, old);
  EXPECT_TRUE(v.errors.empty()) << messages(v) << obj.dump(2);
  EXPECT_FALSE(v.bad_request);
  Json again = obj;
  auto w = validate_object(again, old);
  EXPECT_TRUE(w.errors.empty()) << messages(w);
  EXPECT_EQ(again, obj) << "a second pass changed the object";
  return obj;
}

// The errors of obj, one "field: detail" a line.
std::string errors_of(Json obj, const Json* old = nullptr) { return messages(validate_object(obj, old)); }

Json scenario_object(const std::string& fixture, size_t i = 0) {
  auto s = load_scenario(kSource + fixture);
  EXPECT_TRUE(s.has_value()) << s.error().what();
  return s && s->objects.size() > i ? s->objects[i] : Json();
}

Json deployment() { return stored(scenario_object("/scenarios/tutorial.yaml")); }

// As the deployment controller creates it (lab/controllers/deployment.cc).
Json replicaset(const Json& d) {
  const Json& tmpl = d["spec"]["template"];
  const std::string hash = controllers::pod_template_hash(tmpl);
  Json labels = tmpl["metadata"].value("labels", Json::object());
  labels["pod-template-hash"] = hash;
  Json selector = d["spec"]["selector"];
  selector["matchLabels"]["pod-template-hash"] = hash;
  Json rs_tmpl = tmpl;
  rs_tmpl["metadata"]["labels"] = labels;
  const std::string name = d["metadata"]["name"].get<std::string>() + "-" + hash;
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata",
           {{"name", name},
            {"namespace", "default"},
            {"labels", labels},
            {"annotations", {{"deployment.kubernetes.io/revision", "1"}, {"deployment.kubernetes.io/desired-replicas", "2"}}},
            {"ownerReferences", Json::array({owner_reference(d)})}}},
          {"spec", {{"replicas", 2}, {"selector", selector}, {"template", rs_tmpl}}},
          {"status", {{"replicas", 0}}}};
}

// As the replicaset controller creates it, with the status the registry gives a new Pod.
Json pod_of(const Json& rs) {
  Json meta = rs["spec"]["template"].value("metadata", Json::object());
  meta["namespace"] = "default";
  meta["ownerReferences"] = Json::array({owner_reference(rs)});
  meta["generateName"] = rs["metadata"]["name"].get<std::string>() + "-";
  meta.erase("name");
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta},
          {"spec", rs["spec"]["template"]["spec"]}, {"status", {{"phase", "Pending"}}}};
}

// As the registry stores a new Service: allocated (lab/store/service_alloc.cc), status set.
Json allocated(const Json& svc) {
  store::ServiceRanges ranges{*net::Cidr::parse("10.96.0.0/12")};
  auto r = store::allocate_service(store::ServiceAllocations{}, svc, nullptr, ranges);
  EXPECT_TRUE(r.has_value()) << r.error().what();
  Json out = stored(r ? *r : svc);
  out["status"] = {{"loadBalancer", Json::object()}};
  return out;
}

TEST(Validate, EveryServedKindHasATable) {
  for (const auto& type : resource_types()) {
    Json obj = {{"apiVersion", type.api_version()}, {"kind", type.kind}, {"metadata", {{"name", "x"}}}};
    auto v = validate_object(obj);
    for (const auto& e : v.errors) EXPECT_NE(e.field, "kind") << type.kind << ": " << e.detail;
  }
}

TEST(Validate, WorkloadsAsTheControllersWriteThem) {
  Json d = expect_clean(deployment());
  d["status"] = {{"observedGeneration", 1}, {"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 1},
                 {"availableReplicas", 1}, {"unavailableReplicas", 1}};
  d["status"]["conditions"] = Json::array(
      {{{"type", "Available"}, {"status", "False"}, {"reason", "MinimumReplicasUnavailable"},
        {"message", "Deployment does not have minimum availability."}},
       {{"type", "Progressing"}, {"status", "True"}, {"reason", "ReplicaSetUpdated"},
        {"message", "ReplicaSet \"my-nginx-abc\" is progressing."}}});
  expect_clean(d, &d);

  Json rs = replicaset(d);
  expect_clean(rs);
  rs = stored(rs);
  rs["status"] = {{"replicas", 2}, {"fullyLabeledReplicas", 2}, {"readyReplicas", 1}, {"availableReplicas", 1},
                  {"observedGeneration", 1}};
  expect_clean(rs, &rs);

  Json pod = expect_clean(pod_of(rs));  // no name yet: the registry makes one from generateName
  EXPECT_EQ(pod["metadata"]["namespace"], "default");
  expect_clean(stored(pod));
}

TEST(Validate, PodsAsTheKubeletWritesThem) {
  const Json rs = stored(replicaset(deployment()));
  Json pod = stored(pod_of(rs));
  pod["spec"]["nodeName"] = "node-1";  // bound
  ASSERT_TRUE(validate_object(pod).errors.empty());

  node::PodObservation obs{"0b3f9c2e-5d1a", "172.18.0.2", "10.244.1.5", kNow, {}};
  obs.containers.push_back({"my-nginx", "nginx", true, true, 1, kNow, node::terminated_state(137, kNow, kNow), nullptr});
  obs.containers.push_back({"sidecar", "busybox", false, false, 0, kNow, nullptr, nullptr});
  Json running = pod;
  running["status"] = node::running_pod_status(pod["spec"], pod["status"], obs, kNow);
  expect_clean(running, &pod);

  Json failed = pod;
  failed["status"] = node::failed_pod_status("pod my-nginx-x: network: node-1: pod CIDR 10.244.1.0/24 is exhausted");
  expect_clean(failed, &pod);

  // Graceful deletion (lab/store/registry.cc).
  Json terminating = running;
  terminating["metadata"]["deletionTimestamp"] = kNow;
  terminating["metadata"]["deletionGracePeriodSeconds"] = 30;
  expect_clean(terminating, &running);
}

TEST(Validate, ServicesAfterAllocation) {
  Json node_port = expect_clean(allocated(scenario_object("/tests/fixtures/service-nginx-secure.yaml")));
  EXPECT_TRUE(node_port["spec"]["ports"][0].contains("nodePort"));
  EXPECT_TRUE(node_port["spec"].contains("clusterIP"));

  // A LoadBalancer Service announced and given its address (lab/controllers/service_lb.cc).
  Json lb = node_port;
  lb["spec"]["type"] = "LoadBalancer";
  lb = expect_clean(lb, &node_port);
  lb["metadata"]["annotations"][kAnnouncedBy] = "node-1";
  lb["status"]["loadBalancer"]["ingress"] = Json::array({{{"ip", "172.18.255.200"}, {"ipMode", "VIP"}}});
  expect_clean(lb, &lb);

  Json headless = scenario_object("/tests/fixtures/service-nginx-secure.yaml");
  headless["spec"] = {{"clusterIP", "None"}, {"selector", {{"run", "my-nginx"}}}, {"ports", {{{"port", 80}}}}};
  EXPECT_EQ(expect_clean(allocated(headless))["spec"]["clusterIPs"], Json::array({"None"}));
}

TEST(Validate, EndpointSlicesAsTheControllerWritesThem) {
  const Json svc = allocated(scenario_object("/tests/fixtures/service-nginx-secure.yaml"));
  const Json pod = stored(pod_of(stored(replicaset(deployment()))));
  Json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                {"kind", "EndpointSlice"},
                {"metadata",
                 {{"namespace", "default"},
                  {"generateName", "my-nginx-"},
                  {"labels", {{"kubernetes.io/service-name", "my-nginx"},
                              {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}},
                  {"ownerReferences", Json::array({owner_reference(svc)})}}},
                {"addressType", "IPv4"},
                {"endpoints", Json::array()},
                {"ports", Json::array()}};
  expect_clean(slice);  // a Service without endpoints still has its slice
  slice["endpoints"].push_back({{"addresses", Json::array({"10.244.1.5"})},
                                {"conditions", {{"ready", false}, {"serving", true}, {"terminating", true}}},
                                {"nodeName", "node-1"},
                                {"targetRef", {{"kind", "Pod"}, {"name", pod["metadata"]["name"]}, {"namespace", "default"},
                                               {"uid", pod["metadata"]["uid"]}}}});
  slice["endpoints"].push_back({{"addresses", Json::array({"10.244.2.7"})},
                                {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
                                {"nodeName", ""},
                                {"targetRef",
                                 {{"kind", "Pod"}, {"name", "other"}, {"namespace", "default"}, {"uid", "u2"}}}});
  // A named targetPort no container declares resolves to 0; an unnamed Service port has name "".
  slice["ports"] = Json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}},
                                {{"name", ""}, {"port", 0}, {"protocol", "TCP"}}});
  Json created = expect_clean(stored(slice));
  expect_clean(created, &created);
}

TEST(Validate, EventsAsTheRecorderWritesThem) {
  const Json pod = stored(pod_of(stored(replicaset(deployment()))));
  Json ev = make_event(pod, "Warning", "Unhealthy", "Readiness probe failed: connection refused", {"kubelet", "node-1"});
  ev = expect_clean(ev);
  Json bumped = stored(ev);
  bumped["count"] = 2;
  bumped["lastTimestamp"] = "2026-11-26T09:41:07Z";
  expect_clean(bumped, &bumped);
  // About a cluster-scoped object: the event lives in "default".
  Json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "node-1"}, {"uid", "n1"}}}};
  expect_clean(make_event(node, "Normal", "Starting", "Starting kubelet.", {"kubelet", "node-1"}));

  Json elsewhere = ev;
  elsewhere["involvedObject"]["namespace"] = "other";
  EXPECT_EQ(errors_of(elsewhere),
            "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace\n");
}

TEST(Validate, NodesAsTheKubeletWritesThem) {
  // lab/node/kubelet_state.cc node_objects(), for node-1 of the tutorial.
  Json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata",
                {{"name", "node-1"},
                 {"labels", {{"kubernetes.io/hostname", "node-1"}, {"kubernetes.io/os", "linux"},
                             {"kubernetes.io/arch", "amd64"}, {"beta.kubernetes.io/os", "linux"},
                             {"beta.kubernetes.io/arch", "amd64"}}},
                 {"annotations", {{"lab.dev/netns", "lab-tutorial-node-1"}}}}},
               {"spec", {{"podCIDR", "10.244.1.0/24"}, {"podCIDRs", Json::array({"10.244.1.0/24"})}}},
               {"status",
                {{"addresses", Json::array({{{"type", "InternalIP"}, {"address", "172.18.0.2"}},
                                            {{"type", "Hostname"}, {"address", "node-1"}}})},
                 {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"},
                                              {"message", "kubelet is posting ready status"},
                                              {"lastTransitionTime", kNow}}})},
                 {"nodeInfo", {{"kubeletVersion", "v1.31.0-lab"}, {"osImage", "lab (host binaries)"},
                               {"kernelVersion", "6.1.0-18-amd64"}, {"containerRuntimeVersion", "lab://0.1.0"},
                               {"operatingSystem", "linux"}, {"architecture", "amd64"}}}}}};
  Json created = expect_clean(node);
  EXPECT_FALSE(created["metadata"].contains("namespace"));  // cluster-scoped: no default
  expect_clean(stored(created), &created);
  node["metadata"]["namespace"] = "default";
  EXPECT_EQ(errors_of(node), "metadata.namespace: Forbidden: not allowed on this type\n");
}

TEST(Validate, LeasesAsTheKubeletWritesThem) {
  // lab/node/node_health.cc renew_lease(), for node-1: renewTime a MicroTime.
  Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata",
                 {{"name", "node-1"},
                  {"namespace", "kube-node-lease"},
                  {"ownerReferences", Json::array({{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "node-1"},
                                                    {"uid", "0e6c2b5e-1f7c-4a8e-9a43-2f1d3c4b5a69"}}})}}},
                {"spec", {{"holderIdentity", "node-1"}, {"leaseDurationSeconds", 40},
                          {"renewTime", "2026-12-04T09:25:01.123456Z"}}}};
  Json created = expect_clean(lease);
  expect_clean(stored(created), &created);
  lease["spec"]["leaseDurationSeconds"] = 0;
  lease["spec"]["leaseTransitions"] = -1;
  lease["spec"]["renewTime"] = "yesterday";
  const std::string errors = errors_of(lease);
  EXPECT_NE(errors.find("spec.leaseDurationSeconds: Invalid value: 0"), std::string::npos) << errors;
  EXPECT_NE(errors.find("spec.leaseTransitions: Invalid value: -1"), std::string::npos) << errors;
  EXPECT_NE(errors.find("spec.renewTime"), std::string::npos) << errors;
}

// ---- what the lead's issue quotes, and each kind of bad value ----

TEST(Validate, StringReplicas) {
  Json d = deployment();
  d["spec"]["replicas"] = "2";
  auto v = validate_object(d);
  ASSERT_EQ(v.errors.size(), 1u) << messages(v);
  EXPECT_EQ(v.errors[0].field, "spec.replicas");
  EXPECT_EQ(v.errors[0].detail, "Invalid value: \"2\": must be an integer");
  EXPECT_FALSE(v.bad_request);
  EXPECT_EQ(invalid_message(d, v.errors),
            "Deployment.apps \"my-nginx\" is invalid: spec.replicas: Invalid value: \"2\": must be an integer");
}

TEST(Validate, AContainerPortsHostIPMustBeAnAddress) {
  const Json rs = stored(replicaset(deployment()));
  Json pod = stored(pod_of(rs));
  pod["spec"]["containers"][0]["ports"] = Json::parse(R"([{"containerPort":80,"hostPort":8080,"hostIP":"172.18.0.2"}])");
  EXPECT_EQ(errors_of(pod), "");
  pod["spec"]["containers"][0]["ports"][0]["hostIP"] = "node-1";
  auto v = validate_object(pod);
  ASSERT_EQ(v.errors.size(), 1u) << messages(v);
  EXPECT_EQ(v.errors[0].field, "spec.containers[0].ports[0].hostIP");
  EXPECT_NE(v.errors[0].detail.find("Invalid value: \"node-1\""), std::string::npos) << v.errors[0].detail;
}

TEST(Validate, MetadataNotAnObject) {
  Json d = deployment();
  d["metadata"] = 5;
  auto v = validate_object(d);
  EXPECT_TRUE(v.bad_request);
  EXPECT_EQ(messages(v), "metadata: Invalid value: 5: must be an object\n");
  EXPECT_EQ(invalid_message(d, v.errors),
            "Deployment in version \"v1\" cannot be handled as a Deployment: metadata: Invalid value: 5: must be "
            "an object");
}

TEST(Validate, StatusNull) {
  Json pod = stored(pod_of(stored(replicaset(deployment()))));
  pod["status"] = nullptr;
  EXPECT_EQ(errors_of(pod), "status: Invalid value: null: must be an object\n");
  pod["status"] = Json::array();
  EXPECT_EQ(errors_of(pod), "status: Invalid value: []: must be an object\n");
  pod["status"] = {{"phase", nullptr}};
  EXPECT_EQ(errors_of(pod), "status.phase: Invalid value: null: must be a string\n");
}

TEST(Validate, ServicePortsOfTheWrongType) {
  Json svc = allocated(scenario_object("/tests/fixtures/service-nginx-secure.yaml"));
  auto with_port = [&](Json port) {
    Json s = svc;
    s["spec"]["ports"][0]["port"] = std::move(port);
    return errors_of(s);
  };
  EXPECT_EQ(with_port("abc"), "spec.ports[0].port: Invalid value: \"abc\": must be an integer\n");
  EXPECT_EQ(with_port(Json::object({{"a", 1}})), "spec.ports[0].port: Invalid value: {\"a\":1}: must be an integer\n");
  EXPECT_EQ(with_port(70000), "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n");
  EXPECT_EQ(with_port(80.5), "spec.ports[0].port: Invalid value: 80.5: must be an integer\n");
  EXPECT_EQ(with_port(Json::parse("4294967376")),  // 80 + 2^32: would wrap to 80 as an int
            "spec.ports[0].port: Invalid value: 4294967376: must be no more than 2147483647\n");
  EXPECT_EQ(with_port(Json::parse("1e20")), "spec.ports[0].port: Invalid value: 1e+20: must be an integer\n");
  Json s = svc;
  s["spec"]["ports"] = "80";
  EXPECT_EQ(errors_of(s), "spec.ports: Invalid value: \"80\": must be a list of objects\n");
  s["spec"]["ports"] = Json::array({80});
  EXPECT_EQ(errors_of(s), "spec.ports[0]: Invalid value: 80: must be an object\n");
}

TEST(Validate, KubernetesWords) {
  Json svc = allocated(scenario_object("/tests/fixtures/service-nginx-secure.yaml"));
  svc["spec"]["type"] = "Foo";
  EXPECT_EQ(errors_of(svc), "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", "
                            "\"ExternalName\", \"LoadBalancer\", \"NodePort\"\n");

  Json pod = pod_of(stored(replicaset(deployment())));
  pod["metadata"].erase("generateName");
  EXPECT_EQ(errors_of(pod), "metadata.name: Required value: name or generateName is required\n");
  pod["metadata"]["name"] = "Web_1";
  EXPECT_TRUE(errors_of(pod).starts_with("metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123")) << errors_of(pod);

  Json d = deployment();
  d["spec"]["template"]["spec"]["containers"].push_back(d["spec"]["template"]["spec"]["containers"][0]);
  d["spec"]["replicas"] = -1;
  auto v = validate_object(d);
  EXPECT_EQ(invalid_message(d, v.errors),
            "Deployment.apps \"my-nginx\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or "
            "equal to 0, spec.template.spec.containers[1].name: Duplicate value: \"my-nginx\"]");
}

TEST(Validate, UnknownFieldsAreStrictDecodingErrors) {
  Json d = deployment();
  d["spec"]["foo"] = 1;
  d["metadata"]["lables"] = {{"a", "b"}};
  auto v = validate_object(d);
  EXPECT_TRUE(v.bad_request);
  EXPECT_EQ(invalid_message(d, v.errors),
            "strict decoding error: unknown field \"metadata.lables\", unknown field \"spec.foo\"");
  // Status is the system's: what lab does not know there is kept.
  d = deployment();
  d["status"] = {{"someday", {{"a", 1}}}, {"replicas", 1}};
  expect_clean(d);
  // A real Kubernetes field lab does not implement says so.
  Json pod = pod_of(stored(replicaset(deployment())));
  pod["spec"]["volumes"] = Json::array({{{"name", "v"}, {"persistentVolumeClaim", {{"claimName", "c"}}}}});
  EXPECT_EQ(errors_of(pod),
            "spec.volumes[0].persistentVolumeClaim: Forbidden: not supported yet (lab's volumes are emptyDir, "
            "hostPath, secret, configMap, downwardAPI and projected)\n");
}

TEST(Validate, HostileBodies) {
  Json d = deployment();
  Json deep = Json::array();
  for (int i = 0; i < 10000; ++i) deep = Json::array({std::move(deep)});
  d["status"]["deep"] = std::move(deep);
  auto v = validate_object(d);
  EXPECT_TRUE(v.bad_request);
  EXPECT_EQ(messages(v), "status.deep: Invalid value: \"...\": must nest no deeper than 64 levels\n");

  d = deployment();
  d["metadata"]["name"] = std::string(1 << 20, 'a');
  std::string m = errors_of(d);
  EXPECT_LT(m.size(), 400u);
  EXPECT_NE(m.find("must be no more than 253 characters"), std::string::npos) << m;

  for (Json bad : {Json(5), Json("x"), Json(nullptr), Json::array()}) {
    auto w = validate_object(bad);
    EXPECT_TRUE(w.bad_request) << bad;
  }
  d = deployment();
  d["kind"] = "PersistentVolumeClaim";
  EXPECT_EQ(errors_of(d), "kind: Unsupported value: \"PersistentVolumeClaim\": supported values: \"ConfigMap\", "
                          "\"Deployment\", \"EndpointSlice\", \"Endpoints\", \"Event\", \"Lease\", \"Namespace\", \"Node\", "
                          "\"Pod\", \"ReplicaSet\", \"Secret\", \"Service\", \"ServiceAccount\"\n");
  d = deployment();
  d["apiVersion"] = "extensions/v1beta1";
  EXPECT_EQ(errors_of(d), "apiVersion: Unsupported value: \"extensions/v1beta1\": supported values: \"apps/v1\"\n");
}

// ---- updates ----

TEST(Validate, ImmutableFields) {
  const Json d = expect_clean(deployment());
  Json changed = d;
  changed["spec"]["selector"]["matchLabels"]["tier"] = "web";
  changed["spec"]["template"]["metadata"]["labels"]["tier"] = "web";
  EXPECT_EQ(errors_of(changed, &d), "spec.selector: Invalid value: {\"matchLabels\":{\"run\":\"my-nginx\",\"tier\":"
                                    "\"web\"}}: field is immutable\n");
  changed = d;
  changed["spec"]["replicas"] = 5;  // what may change
  expect_clean(changed, &d);

  const Json rs = expect_clean(stored(replicaset(d)));
  changed = rs;
  changed["spec"]["selector"]["matchLabels"].erase("pod-template-hash");
  EXPECT_NE(errors_of(changed, &rs).find("spec.selector: Invalid value: "), std::string::npos);

  changed = d;
  changed["metadata"]["uid"] = "another";
  changed["metadata"]["name"] = "other";
  EXPECT_EQ(errors_of(changed, &d), "metadata.name: Invalid value: \"other\": field is immutable\n"
                                    "metadata.uid: Invalid value: \"another\": field is immutable\n");

  const Json svc = allocated(scenario_object("/tests/fixtures/service-nginx-secure.yaml"));
  changed = svc;
  changed["spec"]["clusterIP"] = "10.96.0.99";
  changed["spec"].erase("clusterIPs");
  EXPECT_EQ(errors_of(changed, &svc), "spec.clusterIP: Invalid value: \"10.96.0.99\": field is immutable\n");
  changed["spec"].erase("clusterIP");  // left out: the allocator keeps what the Service holds
  expect_clean(changed, &svc);
}

TEST(Validate, PodSpecIsFixedButForImages) {
  Json pod = expect_clean(stored(pod_of(stored(replicaset(deployment())))));
  Json changed = pod;
  changed["spec"]["containers"][0]["image"] = "busybox";
  expect_clean(changed, &pod);
  changed["spec"]["containers"][0]["command"] = Json::array({"sleep", "1"});
  EXPECT_TRUE(errors_of(changed, &pod)
                  .starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"))
      << errors_of(changed, &pod);
  changed = pod;
  changed["spec"]["restartPolicy"] = "Never";
  EXPECT_NE(errors_of(changed, &pod), "");
  // A pod stored before a default existed: only what the update changed counts.
  Json old = pod;
  old["spec"].erase("dnsPolicy");
  Json status_only = pod;
  status_only["status"] = {{"phase", "Running"}};
  expect_clean(status_only, &old);
}

TEST(Validate, ServiceTypeChangeDropsWhatTheOldTypeUsed) {
  Json lb = allocated(scenario_object("/tests/fixtures/service-nginx-secure.yaml"));
  lb["spec"]["type"] = "LoadBalancer";
  lb = expect_clean(lb, &lb);
  ASSERT_TRUE(lb["spec"].contains("allocateLoadBalancerNodePorts"));
  // `lab patch svc my-nginx -p '{"spec":{"type":"ClusterIP"}}'`: the merge keeps the rest.
  Json patched = lb;
  patched.merge_patch({{"spec", {{"type", "ClusterIP"}}}});
  Json cluster_ip = expect_clean(patched, &lb);
  EXPECT_FALSE(cluster_ip["spec"]["ports"][0].contains("nodePort"));
  EXPECT_FALSE(cluster_ip["spec"].contains("externalTrafficPolicy"));
  EXPECT_FALSE(cluster_ip["spec"].contains("allocateLoadBalancerNodePorts"));
  // What the update itself sets for the old type is still refused.
  patched = lb;
  patched.merge_patch({{"spec", {{"type", "ClusterIP"}, {"externalTrafficPolicy", "Local"}}}});
  EXPECT_EQ(errors_of(patched, &lb), "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when "
                                     "`type` is 'NodePort' or 'LoadBalancer'\n");
}

}  // namespace
}  // namespace lab::api
