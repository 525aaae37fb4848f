// Scenario loading: the tutorial's defaults, Lab document variants, and for each kind of bad input
// the exact "FILE:LINE:COL: KIND NAME: FIELD.PATH: message" a user would see.
#include "lab/api/scenario.h"

#include <gtest/gtest.h>

#include <string>

namespace lab::api {
namespace {

const std::string kSource = LAB_SOURCE_DIR;

Scenario parse_ok(const std::string& yaml) {
  auto s = parse_scenario(yaml, "s.yaml");
  EXPECT_TRUE(s.has_value()) << s.error().what();
  return s ? *s : Scenario{};
}

std::string error_of(const std::string& yaml) {
  auto s = parse_scenario(yaml, "s.yaml");
  return s ? "(no error)" : s.error().what();
}

std::string fixture_error(const std::string& name) {
  auto s = load_scenario(kSource + "/tests/fixtures/" + name);
  return s ? "(no error)" : s.error().what();
}

// A valid Pod, with `extra` appended to its first container.
std::string pod(const std::string& extra = "") {
  return "apiVersion: v1\n"
         "kind: Pod\n"
         "metadata:\n"
         "  name: web\n"
         "spec:\n"
         "  containers:\n"
         "  - name: web\n"
         "    image: nginx\n" +
         extra;
}

// A valid Deployment; `replicas` is written as given.
std::string deployment(const std::string& replicas = "2") {
  return "apiVersion: apps/v1\n"
         "kind: Deployment\n"
         "metadata:\n"
         "  name: my-nginx\n"
         "spec:\n"
         "  replicas: " + replicas + "\n"
         "  selector:\n"
         "    matchLabels:\n"
         "      run: my-nginx\n"
         "  template:\n"
         "    metadata:\n"
         "      labels:\n"
         "        run: my-nginx\n"
         "    spec:\n"
         "      containers:\n"
         "      - name: my-nginx\n"
         "        image: nginx\n";
}

TEST(Scenario, TutorialParsesWithDefaults) {
  auto s = load_scenario(kSource + "/scenarios/tutorial.yaml");
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->lab.name, "tutorial");
  EXPECT_EQ(s->lab.nodes, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(s->lab.pod_cidr, "10.244.0.0/16");
  EXPECT_EQ(s->lab.service_cidr, "10.96.0.0/12");
  EXPECT_EQ(s->lab.node_cidr, "172.18.0.0/16");
  EXPECT_EQ(s->lab.lb_pool, "172.18.255.200-172.18.255.250");
  EXPECT_FALSE(s->lab.node_cidr_explicit);
  EXPECT_FALSE(s->lab.lb_pool_explicit);

  ASSERT_EQ(s->objects.size(), 1u);
  const auto& d = s->objects[0];
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["metadata"]["name"], "my-nginx");
  EXPECT_EQ(d["metadata"]["namespace"], "default");
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"]["run"], "my-nginx");
  EXPECT_EQ(d["spec"]["strategy"]["type"], "RollingUpdate");
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], "25%");
  EXPECT_EQ(d["spec"]["revisionHistoryLimit"], 10);
  EXPECT_EQ(d["spec"]["progressDeadlineSeconds"], 600);
  const auto& pod_spec = d["spec"]["template"]["spec"];
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"]["run"], "my-nginx");
  EXPECT_EQ(pod_spec["restartPolicy"], "Always");
  EXPECT_EQ(pod_spec["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(pod_spec["dnsPolicy"], "ClusterFirst");
  const auto& c = pod_spec["containers"][0];
  EXPECT_EQ(c["name"], "my-nginx");
  EXPECT_EQ(c["image"], "nginx");
  EXPECT_EQ(c["imagePullPolicy"], "IfNotPresent");
  EXPECT_TRUE(c["ports"][0]["containerPort"].is_number_integer());
  EXPECT_EQ(c["ports"][0]["containerPort"], 80);
  EXPECT_EQ(c["ports"][0]["protocol"], "TCP");
}

TEST(Scenario, NoLabDocumentMeansDefaults) {
  auto s = parse_ok(pod());
  EXPECT_EQ(s.lab.name, "");
  EXPECT_EQ(s.lab.nodes, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(s.lab.lb_pool, "172.18.255.200-172.18.255.250");
  ASSERT_EQ(s.objects.size(), 1u);
  EXPECT_EQ(s.objects[0]["metadata"]["namespace"], "default");
  EXPECT_EQ(s.objects[0]["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(parse_ok("# nothing\n---\n").objects.size(), 0u);
}

TEST(Scenario, PodFieldsConvertByType) {
  auto s = parse_ok(pod("    command: [sh, -c]\n"
                        "    args: ['echo hi']\n"
                        "    env:\n"
                        "    - {name: PORT, value: \"80\"}\n"
                        "    ports:\n"
                        "    - {containerPort: 8080, name: http, protocol: UDP}\n"
                        "    resources: {limits: {cpu: 0.5, memory: 128Mi}, requests: {cpu: 100m}}\n"
                        "    readinessProbe: {httpGet: {port: http}}\n"
                        "    stdin: true\n"));
  const auto& c = s.objects[0]["spec"]["containers"][0];
  EXPECT_EQ(c["command"], (nlohmann::json{"sh", "-c"}));
  EXPECT_EQ(c["env"][0]["value"], "80");
  EXPECT_EQ(c["ports"][0]["protocol"], "UDP");
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "0.5");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "128Mi");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"], "http");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/");
  EXPECT_EQ(c["readinessProbe"]["periodSeconds"], 10);
  EXPECT_EQ(c["stdin"], true);
}

TEST(Scenario, KubectlDryRunOutputIsAccepted) {
  // `kubectl create deployment --dry-run=client -o yaml` writes these empty and status fields.
  auto s = parse_ok("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n"
                    "  labels: {app: x}\n  name: x\nspec:\n  replicas: 1\n  selector:\n"
                    "    matchLabels: {app: x}\n  strategy: {}\n  template:\n    metadata:\n"
                    "      creationTimestamp: null\n      labels: {app: x}\n    spec:\n      containers:\n"
                    "      - image: nginx\n        name: nginx\n        resources: {}\nstatus: {}\n");
  ASSERT_EQ(s.objects.size(), 1u);
  EXPECT_FALSE(s.objects[0].contains("status"));
  EXPECT_EQ(s.objects[0]["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
}

TEST(Scenario, NodesCountOrList) {
  EXPECT_EQ(parse_ok("kind: Lab\nspec: {nodes: 3}\n").lab.nodes,
            (std::vector<std::string>{"node-1", "node-2", "node-3"}));
  EXPECT_EQ(parse_ok("kind: Lab\nspec:\n  nodes: [alpha, beta]\n").lab.nodes,
            (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  nodes: [alpha, beta, alpha]\n"),
            "s.yaml:3:24: Lab: spec.nodes[2]: Duplicate value: \"alpha\"");
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  nodes: [alpha, Beta]\n"),
            "s.yaml:3:18: Lab: spec.nodes[1]: Invalid value: \"Beta\": a lowercase RFC 1123 label must "
            "consist of lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character");
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  nodes: 0\n"),
            "s.yaml:3:10: Lab: spec.nodes: Invalid value: 0: must be greater than or equal to 1");
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  podCIDR: 10.244.0.0/23\n  nodes: 2\n"),
            "s.yaml:4:10: Lab: spec.nodes: Invalid value: 2: nodes do not fit in podCIDR 10.244.0.0/23 (one /24 "
            "per node; room for 1)");
}

TEST(Scenario, PoolDerivedFromWrittenNodeCidr) {
  auto s = parse_ok("kind: Lab\nmetadata: {name: demo}\nspec:\n  nodeCIDR: 10.10.0.0/16\n");
  EXPECT_EQ(s.lab.node_cidr, "10.10.0.0/16");
  EXPECT_EQ(s.lab.lb_pool, "10.10.255.200-10.10.255.250");
  EXPECT_TRUE(s.lab.node_cidr_explicit);
  EXPECT_FALSE(s.lab.lb_pool_explicit);
  EXPECT_EQ(s.lab.node_cidr_pos.line, 4);
  EXPECT_EQ(s.lab.node_cidr_pos.column, 13);

  EXPECT_EQ(parse_ok("kind: Lab\nspec: {nodeCIDR: 192.168.50.0/24}\n").lab.lb_pool,
            "192.168.50.200-192.168.50.250");
  EXPECT_EQ(parse_ok("kind: Lab\nspec: {nodeCIDR: 10.20.0.0/20}\n").lab.lb_pool, "10.20.15.200-10.20.15.250");

  auto both = parse_ok("kind: Lab\nspec:\n  nodeCIDR: 10.10.0.0/16\n  loadBalancerPool: 10.10.1.10-10.10.1.20\n");
  EXPECT_EQ(both.lab.lb_pool, "10.10.1.10-10.10.1.20");
  EXPECT_TRUE(both.lab.lb_pool_explicit);
  EXPECT_EQ(both.lab.lb_pool_pos.line, 4);

  EXPECT_EQ(error_of("kind: Lab\nspec:\n  nodeCIDR: 10.10.0.0/16\n  loadBalancerPool: 10.11.0.1-10.11.0.9\n"),
            "s.yaml:4:21: Lab: spec.loadBalancerPool: Invalid value: \"10.11.0.1-10.11.0.9\": must lie inside "
            "nodeCIDR 10.10.0.0/16");
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  nodeCIDR: 10.10.0.0/28\n"),
            "s.yaml:3:13: Lab: spec.nodeCIDR: Invalid value: \"10.10.0.0/28\": too small for the default "
            "loadBalancerPool (its last 55..5 addresses): write spec.loadBalancerPool too");
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  nodeCIDR: 10.244.0.0/16\n"),
            "s.yaml:3:13: Lab: spec.nodeCIDR: Invalid value: \"10.244.0.0/16\": overlaps podCIDR 10.244.0.0/16");
}

TEST(Scenario, BadCidr) {
  EXPECT_TRUE(fixture_error("bad-cidr.yaml")
                  .starts_with(kSource + "/tests/fixtures/bad-cidr.yaml:5:12: Lab: spec.podCIDR: Invalid value: "
                                         "\"10.244.0.1/16\": invalid CIDR: "))
      << fixture_error("bad-cidr.yaml");
  EXPECT_TRUE(error_of("kind: Lab\nspec: {serviceCIDR: 10.96.0.0}\n")
                  .starts_with("s.yaml:2:21: Lab: spec.serviceCIDR: Invalid value: \"10.96.0.0\": invalid CIDR: "));
  EXPECT_TRUE(error_of("kind: Lab\nspec: {loadBalancerPool: 172.18.255.250}\n")
                  .starts_with("s.yaml:2:26: Lab: spec.loadBalancerPool: Invalid value: \"172.18.255.250\": invalid "
                               "address range"));
}

TEST(Scenario, NodeCidrWrittenForTheCollisionCheck) {
  auto s = load_scenario(kSource + "/tests/fixtures/node-cidr-collides.yaml");
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_TRUE(s->lab.node_cidr_explicit);
  EXPECT_EQ(s->lab.node_cidr, "192.0.2.0/24");
  EXPECT_EQ(s->lab.node_cidr_pos.line, 9);
}

TEST(Scenario, SyntaxError) {
  EXPECT_EQ(fixture_error("syntax-error.yaml"),
            kSource + "/tests/fixtures/syntax-error.yaml:7:5: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(error_of("a: b\n c: d\n"), "s.yaml:2:3: YAML syntax error: illegal map value");
}

TEST(Scenario, UnknownFieldsAtEveryDepth) {
  EXPECT_EQ(fixture_error("unknown-field.yaml"),
            kSource + "/tests/fixtures/unknown-field.yaml:17:9: Deployment \"my-nginx\": "
                      "spec.template.spec.containers[0].imagee: unknown field (expected one of: args, command, "
                      "env, envFrom, image, imagePullPolicy, livenessProbe, name, ports, readinessProbe, resources, "
                      "securityContext, startupProbe, stdin, stdinOnce, tty, volumeMounts, workingDir)");
  EXPECT_EQ(error_of(pod() + "status2: {}\n"),
            "s.yaml:9:1: Pod \"web\": status2: unknown field (expected one of: apiVersion, kind, metadata, spec, "
            "status)");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  lables: {a: b}\n"),
            "s.yaml:5:3: Pod \"web\": metadata.lables: unknown field (expected one of: annotations, "
            "creationTimestamp, generateName, labels, name, namespace)");
  EXPECT_EQ(error_of(pod("    ports:\n    - containerport: 80\n")),
            "s.yaml:10:7: Pod \"web\": spec.containers[0].ports[0].containerport: unknown field (expected one "
            "of: containerPort, hostIP, hostPort, name, protocol)");
  EXPECT_EQ(error_of("kind: Lab\nspec:\n  node: 3\n"),
            "s.yaml:3:3: Lab: spec.node: unknown field (expected one of: loadBalancerPool, nodeCIDR, nodes, "
            "podCIDR, podEvictionTimeoutSeconds, serviceCIDR)");
  EXPECT_EQ(error_of(pod() + "metadata: {name: web}\n"),
            "s.yaml:9:1: Pod \"web\": metadata: duplicate field (first at line 3)");
}

TEST(Scenario, WrongTypes) {
  EXPECT_EQ(fixture_error("wrong-type.yaml"),
            kSource + "/tests/fixtures/wrong-type.yaml:12:14: Pod \"web\": spec.containers[0].env[0].value: "
                      "Invalid value: 80: must be a string (quote it)");
  EXPECT_EQ(error_of(deployment("abc")),
            "s.yaml:6:13: Deployment \"my-nginx\": spec.replicas: Invalid value: \"abc\": must be an integer");
  EXPECT_EQ(error_of(deployment("\"2\"")),
            "s.yaml:6:13: Deployment \"my-nginx\": spec.replicas: Invalid value: \"2\": must be an integer (remove the "
            "quotes)");
  EXPECT_EQ(error_of(deployment("1.5")),
            "s.yaml:6:13: Deployment \"my-nginx\": spec.replicas: Invalid value: 1.5: must be an integer");
  EXPECT_EQ(error_of(deployment("-1")),
            "s.yaml:6:13: Deployment \"my-nginx\": spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(error_of(pod("    stdin: maybe\n")),
            "s.yaml:9:12: Pod \"web\": spec.containers[0].stdin: Invalid value: \"maybe\": must be true or false");
  EXPECT_EQ(error_of(pod("    args: sleep 1\n")),
            "s.yaml:9:11: Pod \"web\": spec.containers[0].args: Invalid value: \"sleep 1\": must be a list of strings");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    enabled: true\n"),
            "s.yaml:6:14: Pod \"web\": metadata.labels[enabled]: Invalid value: true: must be a string (quote it)");
  EXPECT_EQ(error_of(pod("    resources: {limits: {memory: lots}}\n")),
            "s.yaml:9:34: Pod \"web\": spec.containers[0].resources.limits[memory]: Invalid value: \"lots\": must "
            "be a quantity such as 500m, 0.5, 128Mi or 1Gi");
  EXPECT_EQ(error_of(pod("    ports: [{containerPort: 70000}]\n")),
            "s.yaml:9:29: Pod \"web\": spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be "
            "between 1 and 65535, inclusive");
  EXPECT_EQ(error_of(pod("    imagePullPolicy: Sometimes\n")),
            "s.yaml:9:22: Pod \"web\": spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": "
            "supported values: \"Always\", \"IfNotPresent\", \"Never\"");
}

TEST(Scenario, BadNames) {
  EXPECT_EQ(fixture_error("bad-name.yaml"),
            kSource + "/tests/fixtures/bad-name.yaml:5:9: Pod \"My_App\": metadata.name: Invalid value: "
                      "\"My_App\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                      "characters, '-' or '.', and must start and end with an alphanumeric character");
  EXPECT_EQ(error_of(pod("  - name: web\n    image: busybox\n")),
            "s.yaml:9:11: Pod \"web\": spec.containers[1].name: Duplicate value: \"web\"");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {-bad: x}\n"),
            "s.yaml:5:12: Pod \"web\": metadata.labels[-bad]: Invalid value: \"-bad\": name part must consist "
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character");
  EXPECT_TRUE(error_of(pod("    ports: [{containerPort: 80, name: HTTP}]\n"))
                  .starts_with("s.yaml:9:39: Pod \"web\": spec.containers[0].ports[0].name: Invalid value: "
                               "\"HTTP\": must be at most 15 characters"));
}

TEST(Scenario, RequiredFieldsPointAtTheirParent) {
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n"),
            "s.yaml:7:5: Pod \"web\": spec.containers[0].image: required field missing");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"),
            "s.yaml:6:3: Pod \"web\": spec.containers: required field is empty");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec: {}\n"),
            "s.yaml:4:3: Pod: metadata.name: required field missing");
  EXPECT_EQ(error_of("metadata: {name: x}\n"),
            "s.yaml:1:1: kind: required field missing (expected one of: Lab, Pod, Deployment, Service, Secret, "
            "ConfigMap, Namespace, ServiceAccount, Endpoints, EndpointSlice)");
}

TEST(Scenario, UnknownImage) {
  std::string e = fixture_error("unknown-image.yaml");
  EXPECT_TRUE(e.starts_with(kSource + "/tests/fixtures/unknown-image.yaml:9:12: Pod \"db\": "
                                      "spec.containers[0].image: Invalid value: \"postgres:16\": unknown image"))
      << e;
  EXPECT_NE(e.find("nginx"), std::string::npos) << "lists the known images: " << e;
}

TEST(Scenario, NamespacesAndServiceAccounts) {
  auto in = [](const std::string& ns) {
    std::string p = pod();
    return p.replace(p.find("  name: web\n"), 0, "  namespace: " + ns + "\n");
  };
  // Objects may live in a namespace a Namespace document makes, wherever it stands in the file.
  Scenario s = parse_ok(in("shop") + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
                        "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot, namespace: shop}\n");
  ASSERT_EQ(s.objects.size(), 3u);
  EXPECT_EQ(s.objects[0]["metadata"]["namespace"], "shop");
  EXPECT_EQ(s.objects[1]["spec"]["finalizers"], nlohmann::json::array({"kubernetes"}));
  EXPECT_FALSE(s.objects[1]["metadata"].contains("namespace"));
  EXPECT_EQ(s.objects[2]["kind"], "ServiceAccount");
  // In a system namespace, no document is needed; elsewhere the API server would answer 404.
  parse_ok(in("kube-system"));
  EXPECT_EQ(error_of(in("shop")),
            "s.yaml:4:14: Pod \"web\": metadata.namespace: namespaces \"shop\" not found (a scenario makes one with a "
            "Namespace document: apiVersion: v1, kind: Namespace, metadata.name: shop)");
  // apply and delete send to a lab whose namespaces the server knows.
  EXPECT_TRUE(parse_scenario(in("shop"), "s.yaml", ScenarioUse::Objects).has_value());
  EXPECT_NE(error_of("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n").find("metadata.name"), std::string::npos);
  EXPECT_NE(error_of("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Namespace\n"
                     "metadata: {name: x}\n").find("duplicate Namespace /x"), std::string::npos);
}

TEST(Scenario, KindsAndApiVersions) {
  EXPECT_EQ(error_of("# comment\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: x}\n"),
            "s.yaml:3:7: kind \"PersistentVolumeClaim\" is not supported (supported: Lab, Pod, Deployment, "
            "Service, Secret, ConfigMap, Namespace, ServiceAccount, Endpoints, EndpointSlice)");
  EXPECT_EQ(error_of("apiVersion: apps/v1\nkind: Service\nmetadata: {name: x}\n"),
            "s.yaml:1:13: Service \"x\": apiVersion: expected \"v1\" for kind Service, got \"apps/v1\"");
  EXPECT_EQ(error_of("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}\n"),
            "s.yaml:1:13: Deployment \"x\": apiVersion: expected \"apps/v1\" for kind Deployment, got "
            "\"extensions/v1beta1\"");
  EXPECT_EQ(error_of("kind: Pod\nmetadata: {name: x}\n"),
            "s.yaml:1:1: Pod \"x\": apiVersion: required field missing (expected \"v1\")");
  EXPECT_EQ(error_of("kind: Lab\n---\nkind: Lab\n"),
            "s.yaml:3:7: Lab: a scenario holds at most one Lab document (another starts at line 1)");
  EXPECT_EQ(error_of("- a\n- b\n"),
            "s.yaml:1:1: expected a mapping (the Lab document or a Kubernetes object), got a list");
}

TEST(Scenario, DuplicateObject) {
  EXPECT_EQ(fixture_error("duplicate-object.yaml"),
            kSource + "/tests/fixtures/duplicate-object.yaml:13:9: Pod \"web\": metadata.name: duplicate Pod "
                      "default/web (first defined at line 5)");
  // Another namespace or another kind is another object.
  std::string other = pod();
  other.replace(other.find("  name: web\n"), 0, "  namespace: other\n");
  EXPECT_EQ(parse_ok(pod() + "---\n" + other + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n")
                .objects.size(),
            3u);
}

TEST(Scenario, DeploymentRules) {
  EXPECT_EQ(fixture_error("selector-mismatch.yaml"),
            kSource + "/tests/fixtures/selector-mismatch.yaml:13:9: Deployment \"my-nginx\": "
                      "spec.template.metadata.labels: Invalid value: {\"app\":\"nginx\"}: `selector` does not match "
                      "template `labels` (selector: run=my-nginx)");
  std::string recreate = deployment() + "  strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n";
  EXPECT_EQ(error_of(recreate),
            "s.yaml:18:45: Deployment \"my-nginx\": spec.strategy.rollingUpdate: Forbidden: may not be specified "
            "when strategy `type` is 'Recreate'");
  EXPECT_EQ(error_of(deployment() + "        ports: [{containerPort: 80}]\n      restartPolicy: Never\n"),
            "s.yaml:19:22: Deployment \"my-nginx\": spec.template.spec.restartPolicy: Unsupported value: \"Never\": "
            "supported values: \"Always\"");
  EXPECT_EQ(error_of(deployment() + "  selector:\n"),
            "s.yaml:18:3: Deployment \"my-nginx\": spec.selector: duplicate field (first at line 7)");
}

TEST(Scenario, UnsupportedFieldsSaySo) {
  EXPECT_EQ(error_of(pod("    env:\n    - name: A\n      valueFrom: {}\n")),
            "s.yaml:11:18: Pod \"web\": spec.containers[0].env[0].valueFrom: Invalid value: {}: must specify one "
            "of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
  EXPECT_EQ(error_of(pod("  volumes: [{name: v, nfs: {server: nas, path: /}}]\n")),
            "s.yaml:9:23: Pod \"web\": spec.volumes[0].nfs: Forbidden: not supported yet (lab's volumes are "
            "emptyDir, hostPath, secret, configMap, downwardAPI and projected)");
  EXPECT_EQ(error_of(pod("    livenessProbe: {periodSeconds: 5}\n")),
            "s.yaml:9:20: Pod \"web\": spec.containers[0].livenessProbe: Required value: must specify a handler "
            "type (one of: exec, httpGet, tcpSocket)");
}

TEST(Scenario, InvalidUtf8IsRefused) {
  // JSON (and so every API object) is UTF-8; a stray byte is refused where it stands.
  EXPECT_EQ(error_of(pod("    workingDir: /a\xff" "b\n")),
            "s.yaml:9:17: Pod \"web\": spec.containers[0].workingDir: not valid UTF-8");
  EXPECT_EQ(parse_ok(pod("    workingDir: /caf\xc3\xa9\n")).objects[0]["spec"]["containers"][0]["workingDir"],
            "/caf\xc3\xa9");
}

TEST(Scenario, LoadReportsUnreadableFile) {
  auto s = load_scenario("/nonexistent/lab.yaml");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().what(), "cannot read /nonexistent/lab.yaml: No such file or directory");
}

// A valid ClusterIP Service (lines 1-7), then `spec` lines, then its ports (the first at line 9
// when `spec` is empty).
std::string service(const std::string& spec = "", const std::string& ports = "  - port: 80\n") {
  return "apiVersion: v1\n"
         "kind: Service\n"
         "metadata:\n"
         "  name: my-nginx\n"
         "spec:\n"
         "  selector:\n"
         "    run: my-nginx\n" +
         spec + "  ports:\n" + ports;
}

TEST(Service, TutorialNodePortWithDefaults) {
  auto s = load_scenario(kSource + "/tests/fixtures/service-nginx-secure.yaml");
  ASSERT_TRUE(s.has_value()) << s.error().what();
  ASSERT_EQ(s->objects.size(), 1u);
  const auto& svc = s->objects[0];
  EXPECT_EQ(svc["apiVersion"], "v1");
  EXPECT_EQ(svc["kind"], "Service");
  EXPECT_EQ(svc["metadata"]["name"], "my-nginx");
  EXPECT_EQ(svc["metadata"]["namespace"], "default");
  EXPECT_EQ(svc["metadata"]["labels"]["run"], "my-nginx");
  const auto& spec = svc["spec"];
  EXPECT_EQ(spec["type"], "NodePort");
  EXPECT_EQ(spec["selector"], (nlohmann::json{{"run", "my-nginx"}}));
  ASSERT_EQ(spec["ports"].size(), 2u);
  EXPECT_EQ(spec["ports"][0],
            (nlohmann::json{{"name", "http"}, {"port", 8080}, {"targetPort", 80}, {"protocol", "TCP"}}));
  // targetPort defaults to port; no nodePort is written, so the allocator picks one.
  EXPECT_EQ(spec["ports"][1],
            (nlohmann::json{{"name", "https"}, {"port", 443}, {"targetPort", 443}, {"protocol", "TCP"}}));
  EXPECT_EQ(spec["sessionAffinity"], "None");
  EXPECT_FALSE(spec.contains("sessionAffinityConfig"));
  EXPECT_EQ(spec["externalTrafficPolicy"], "Cluster");
  EXPECT_EQ(spec["internalTrafficPolicy"], "Cluster");
  EXPECT_EQ(spec["ipFamilies"], (nlohmann::json{"IPv4"}));
  EXPECT_EQ(spec["ipFamilyPolicy"], "SingleStack");
  EXPECT_FALSE(spec.contains("clusterIP"));  // allocated later
  EXPECT_FALSE(spec.contains("allocateLoadBalancerNodePorts"));
}

TEST(Service, ClusterIpDefaultsAndStatusDropped) {
  auto s = parse_ok(service() + "status:\n  loadBalancer: {}\n");
  ASSERT_EQ(s.objects.size(), 1u);
  const auto& svc = s.objects[0];
  EXPECT_FALSE(svc.contains("status"));
  const auto& spec = svc["spec"];
  EXPECT_EQ(spec["type"], "ClusterIP");
  EXPECT_EQ(spec["ports"][0], (nlohmann::json{{"port", 80}, {"targetPort", 80}, {"protocol", "TCP"}}));
  EXPECT_EQ(spec["sessionAffinity"], "None");
  EXPECT_EQ(spec["internalTrafficPolicy"], "Cluster");
  EXPECT_FALSE(spec.contains("externalTrafficPolicy"));  // only for NodePort and LoadBalancer
  EXPECT_EQ(spec["ipFamilies"], (nlohmann::json{"IPv4"}));
  EXPECT_EQ(spec["ipFamilyPolicy"], "SingleStack");

  // No selector: a Service whose endpoints someone else manages.
  auto bare = parse_ok("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  ports: [{port: 5432}]\n");
  EXPECT_FALSE(bare.objects[0]["spec"].contains("selector"));

  // A Service and a Deployment may share a name: they are different kinds.
  EXPECT_EQ(parse_ok(deployment() + "---\n" + service()).objects.size(), 2u);
  EXPECT_EQ(error_of(service() + "---\n" + service()),
            "s.yaml:14:9: Service \"my-nginx\": metadata.name: duplicate Service default/my-nginx (first defined "
            "at line 4)");
}

TEST(Service, LoadBalancerDefaultsAndFields) {
  auto s = parse_ok(service("  type: LoadBalancer\n  loadBalancerIP: 172.18.255.201\n"
                            "  externalTrafficPolicy: Local\n  internalTrafficPolicy: Local\n"
                            "  publishNotReadyAddresses: true\n",
                            "  - {name: http, port: 80, targetPort: http, nodePort: 30080, appProtocol: http}\n"
                            "  - {name: dns, port: 53, protocol: UDP, appProtocol: kubernetes.io/dns}\n"));
  const auto& spec = s.objects[0]["spec"];
  EXPECT_EQ(spec["type"], "LoadBalancer");
  EXPECT_EQ(spec["allocateLoadBalancerNodePorts"], true);
  EXPECT_EQ(spec["loadBalancerIP"], "172.18.255.201");
  EXPECT_EQ(spec["externalTrafficPolicy"], "Local");
  EXPECT_EQ(spec["internalTrafficPolicy"], "Local");
  EXPECT_EQ(spec["publishNotReadyAddresses"], true);
  EXPECT_EQ(spec["ports"][0]["targetPort"], "http");
  EXPECT_EQ(spec["ports"][0]["nodePort"], 30080);
  EXPECT_EQ(spec["ports"][0]["appProtocol"], "http");
  EXPECT_EQ(spec["ports"][1]["protocol"], "UDP");
  EXPECT_EQ(spec["ports"][1]["targetPort"], 53);

  auto no_node_ports = parse_ok(service("  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n"));
  EXPECT_EQ(no_node_ports.objects[0]["spec"]["allocateLoadBalancerNodePorts"], false);
}

TEST(Service, PortRules) {
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  selector: {a: b}\n"),
            "s.yaml:5:3: Service \"x\": spec.ports: Required value");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: []\n"),
            "s.yaml:5:10: Service \"x\": spec.ports: Required value: must have at least one port");
  EXPECT_EQ(error_of(service("", "  - port: 0\n")),
            "s.yaml:9:11: Service \"my-nginx\": spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, "
            "inclusive");
  EXPECT_EQ(error_of(service("", "  - port: 70000\n")),
            "s.yaml:9:11: Service \"my-nginx\": spec.ports[0].port: Invalid value: 70000: must be between 1 and "
            "65535, inclusive");
  EXPECT_EQ(error_of(service("", "  - targetPort: 80\n")),
            "s.yaml:9:5: Service \"my-nginx\": spec.ports[0].port: required field missing");
  EXPECT_EQ(error_of(service("", "  - {port: 80, targetPort: 0}\n")),
            "s.yaml:9:28: Service \"my-nginx\": spec.ports[0].targetPort: Invalid value: 0: must be between 1 and "
            "65535, inclusive");
  EXPECT_TRUE(error_of(service("", "  - {port: 80, targetPort: \"8080\"}\n"))
                  .starts_with("s.yaml:9:28: Service \"my-nginx\": spec.ports[0].targetPort: Invalid value: "
                               "\"8080\": must be at most 15 characters"));
  EXPECT_EQ(error_of(service("", "  - {port: 80, protocol: ICMP}\n")),
            "s.yaml:9:26: Service \"my-nginx\": spec.ports[0].protocol: Unsupported value: \"ICMP\": supported "
            "values: \"SCTP\", \"TCP\", \"UDP\"");
  // Service port names are DNS labels (longer than a container port's IANA name may be).
  auto long_name = parse_ok(service("", "  - {name: prometheus-metrics, port: 9090}\n"));
  EXPECT_EQ(long_name.objects[0]["spec"]["ports"][0]["name"], "prometheus-metrics");
  EXPECT_EQ(error_of(service("", "  - {name: Http, port: 80}\n")),
            "s.yaml:9:12: Service \"my-nginx\": spec.ports[0].name: Invalid value: \"Http\": a lowercase RFC 1123 "
            "label must consist of lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character");
  EXPECT_TRUE(error_of(service("", "  - {port: 80, appProtocol: \"-h2c\"}\n"))
                  .starts_with("s.yaml:9:29: Service \"my-nginx\": spec.ports[0].appProtocol: Invalid value: "
                               "\"-h2c\": must be a name such as"));
}

TEST(Service, SeveralPortsNeedUniqueNames) {
  EXPECT_EQ(error_of(service("", "  - port: 80\n  - {name: https, port: 443}\n")),
            "s.yaml:9:5: Service \"my-nginx\": spec.ports[0].name: Required value: when the Service has more than "
            "one port");
  EXPECT_EQ(error_of(service("", "  - {name: http, port: 80}\n  - port: 443\n")),
            "s.yaml:10:5: Service \"my-nginx\": spec.ports[1].name: Required value: when the Service has more than "
            "one port");
  EXPECT_EQ(error_of(service("", "  - {name: web, port: 80}\n  - {name: web, port: 443}\n")),
            "s.yaml:10:12: Service \"my-nginx\": spec.ports[1].name: Duplicate value: \"web\": also in ports[0]");
  EXPECT_EQ(error_of(service("", "  - {name: a, port: 80}\n  - {name: b, port: 80, targetPort: 8080}\n")),
            "s.yaml:10:5: Service \"my-nginx\": spec.ports[1]: Duplicate value: "
            "{\"name\":\"b\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}: 80/TCP also in ports[0]");
  // The same number over TCP and UDP is two ports (DNS does this).
  EXPECT_EQ(parse_ok(service("", "  - {name: dns, port: 53, protocol: UDP}\n  - {name: dns-tcp, port: 53}\n"))
                .objects[0]["spec"]["ports"].size(),
            2u);
}

TEST(Service, NodePortRules) {
  // kubectl: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'
  EXPECT_EQ(error_of(service("", "  - port: 80\n    nodePort: 30080\n")),
            "s.yaml:10:15: Service \"my-nginx\": spec.ports[0].nodePort: Forbidden: may not be used when `type` is "
            "'ClusterIP'");
  EXPECT_EQ(error_of(service("  type: NodePort\n", "  - port: 80\n    nodePort: 70000\n")),
            "s.yaml:11:15: Service \"my-nginx\": spec.ports[0].nodePort: Invalid value: 70000: must be between 0 and "
            "65535, inclusive (0 = allocate one)");
  EXPECT_EQ(error_of(service("  type: NodePort\n", "  - {name: a, port: 80, nodePort: 30080}\n"
                                                   "  - {name: b, port: 81, nodePort: 30080}\n")),
            "s.yaml:11:35: Service \"my-nginx\": spec.ports[1].nodePort: Duplicate value: 30080: 30080/TCP also in "
            "ports[0]");
  // 0 means "allocate one", even on a ClusterIP Service, as in Kubernetes.
  auto zero = parse_ok(service("", "  - {port: 80, nodePort: 0}\n"));
  EXPECT_FALSE(zero.objects[0]["spec"]["ports"][0].contains("nodePort"));
}

TEST(Service, ClusterIpAndHeadless) {
  auto headless = parse_ok(service("  clusterIP: None\n"));
  EXPECT_EQ(headless.objects[0]["spec"]["clusterIP"], "None");
  EXPECT_EQ(headless.objects[0]["spec"]["clusterIPs"], (nlohmann::json{"None"}));

  auto fixed = parse_ok(service("  clusterIP: 10.96.0.50\n"));
  EXPECT_EQ(fixed.objects[0]["spec"]["clusterIPs"], (nlohmann::json{"10.96.0.50"}));
  auto from_list = parse_ok(service("  clusterIPs: [10.96.0.50]\n"));
  EXPECT_EQ(from_list.objects[0]["spec"]["clusterIP"], "10.96.0.50");
  auto both = parse_ok(service("  clusterIP: 10.96.0.50\n  clusterIPs: [10.96.0.50]\n"));
  EXPECT_EQ(both.objects[0]["spec"]["clusterIP"], "10.96.0.50");
  EXPECT_FALSE(parse_ok(service("  clusterIP: \"\"\n")).objects[0]["spec"].contains("clusterIP"));

  EXPECT_EQ(error_of(service("  clusterIP: 10.96.0.50\n  clusterIPs: [10.96.0.51]\n")),
            "s.yaml:9:16: Service \"my-nginx\": spec.clusterIPs[0]: Invalid value: \"10.96.0.51\": must match "
            "clusterIP \"10.96.0.50\"");
  EXPECT_EQ(error_of(service("  clusterIPs: [10.96.0.50, 10.96.0.51]\n")),
            "s.yaml:8:28: Service \"my-nginx\": spec.clusterIPs[1]: Invalid value: \"10.96.0.51\": lab clusters are "
            "IPv4 single-stack: at most one address");
  EXPECT_TRUE(error_of(service("  clusterIP: 10.96.0.500\n"))
                  .starts_with("s.yaml:8:14: Service \"my-nginx\": spec.clusterIP: Invalid value: \"10.96.0.500\": "
                               "invalid IPv4 address"));
  EXPECT_TRUE(error_of(service("  clusterIP: none\n")).ends_with("(or \"None\" for a headless Service)"));
  EXPECT_EQ(error_of(service("  type: NodePort\n  clusterIP: None\n")),
            "s.yaml:9:14: Service \"my-nginx\": spec.clusterIP: Invalid value: \"None\": may not be set to 'None' "
            "for NodePort services");
  EXPECT_EQ(error_of(service("  type: LoadBalancer\n  clusterIPs: [None]\n")),
            "s.yaml:9:16: Service \"my-nginx\": spec.clusterIPs[0]: Invalid value: \"None\": may not be set to "
            "'None' for LoadBalancer services");
}

TEST(Service, Types) {
  // ExternalName: a CNAME target is required, and nothing of a proxied Service may be set.
  EXPECT_EQ(error_of(service("  type: ExternalName\n")),
            "s.yaml:6:3: Service \"my-nginx\": spec.externalName: Required value");
  EXPECT_EQ(error_of(service("  type: ExternalName\n  externalName: db.example.com.\n")), "(no error)");
  EXPECT_EQ(error_of(service("  type: ExternalName\n  externalName: db.example.com\n  clusterIP: 10.96.0.20\n")),
            "s.yaml:10:14: Service \"my-nginx\": spec.clusterIP: Forbidden: may not be set for ExternalName services");
  EXPECT_TRUE(error_of(service("  type: ExternalName\n  externalName: -bad-\n")).find("spec.externalName: Invalid value") !=
              std::string::npos);
  EXPECT_EQ(error_of(service("  type: Nodeport\n")),
            "s.yaml:8:9: Service \"my-nginx\": spec.type: Unsupported value: \"Nodeport\": supported values: "
            "\"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
  // As the API server: ignored (not refused) on the other types.
  EXPECT_EQ(error_of(service("  externalName: db.example.com\n")), "(no error)");
  EXPECT_EQ(error_of(service("  externalIPs: [192.0.2.10]\n")), "(no error)");
  EXPECT_EQ(error_of(service("  externalIPs: [192.0.2.10, 127.0.0.1]\n")),
            "s.yaml:8:29: Service \"my-nginx\": spec.externalIPs[1]: Invalid value: \"127.0.0.1\": may not be in "
            "the loopback range (127.0.0.0/8, ::1/128)");
  EXPECT_EQ(error_of(service("  externalIPs: [db.example.com]\n")),
            "s.yaml:8:17: Service \"my-nginx\": spec.externalIPs[0]: Invalid value: \"db.example.com\": invalid "
            "IPv4 address: \"db\" is not a number; expected e.g. 10.0.0.1");
  EXPECT_EQ(error_of(service("  typ: NodePort\n")),
            "s.yaml:8:3: Service \"my-nginx\": spec.typ: unknown field (expected one of: "
            "allocateLoadBalancerNodePorts, clusterIP, clusterIPs, externalIPs, externalName, "
            "externalTrafficPolicy, healthCheckNodePort, internalTrafficPolicy, ipFamilies, ipFamilyPolicy, "
            "loadBalancerClass, loadBalancerIP, loadBalancerSourceRanges, ports, publishNotReadyAddresses, selector, "
            "sessionAffinity, sessionAffinityConfig, trafficDistribution, type)");
}

TEST(Service, SessionAffinity) {
  auto client_ip = parse_ok(service("  sessionAffinity: ClientIP\n"));
  EXPECT_EQ(client_ip.objects[0]["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"], 10800);
  auto partial = parse_ok(service("  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {}}\n"));
  EXPECT_EQ(partial.objects[0]["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"], 10800);
  auto timed = parse_ok(service("  sessionAffinity: ClientIP\n"
                                "  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 60\n"));
  EXPECT_EQ(timed.objects[0]["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"], 60);

  EXPECT_EQ(error_of(service("  sessionAffinity: ClientIP\n"
                             "  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 0\n")),
            "s.yaml:11:23: Service \"my-nginx\": spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: "
            "0: must be between 1 and 86400, inclusive (one day)");
  EXPECT_EQ(error_of(service("  sessionAffinity: ClientIP\n"
                             "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}\n")),
            "s.yaml:9:54: Service \"my-nginx\": spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: "
            "86401: must be between 1 and 86400, inclusive (one day)");
  EXPECT_EQ(error_of(service("  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n")),
            "s.yaml:8:26: Service \"my-nginx\": spec.sessionAffinityConfig: Invalid value: "
            "{\"clientIP\":{\"timeoutSeconds\":60}}: must not be set when session affinity is None");
  EXPECT_EQ(error_of(service("  sessionAffinity: Cookie\n")),
            "s.yaml:8:20: Service \"my-nginx\": spec.sessionAffinity: Unsupported value: \"Cookie\": supported "
            "values: \"ClientIP\", \"None\"");
}

TEST(Service, TrafficPolicies) {
  EXPECT_EQ(error_of(service("  externalTrafficPolicy: Local\n")),
            "s.yaml:8:26: Service \"my-nginx\": spec.externalTrafficPolicy: Invalid value: \"Local\": may only be "
            "set when `type` is 'NodePort' or 'LoadBalancer'");
  EXPECT_EQ(parse_ok(service("  type: NodePort\n  externalTrafficPolicy: Local\n"))
                .objects[0]["spec"]["externalTrafficPolicy"],
            "Local");
  EXPECT_EQ(error_of(service("  internalTrafficPolicy: Nearby\n")),
            "s.yaml:8:26: Service \"my-nginx\": spec.internalTrafficPolicy: Unsupported value: \"Nearby\": "
            "supported values: \"Cluster\", \"Local\"");
}

TEST(Service, IpFamilies) {
  EXPECT_EQ(parse_ok(service("  ipFamilyPolicy: PreferDualStack\n")).objects[0]["spec"]["ipFamilyPolicy"],
            "PreferDualStack");
  EXPECT_EQ(parse_ok(service("  ipFamilies: [IPv4]\n")).objects[0]["spec"]["ipFamilies"], (nlohmann::json{"IPv4"}));
  EXPECT_EQ(error_of(service("  ipFamilies: [IPv6]\n")),
            "s.yaml:8:16: Service \"my-nginx\": spec.ipFamilies[0]: Invalid value: \"IPv6\": lab clusters are "
            "IPv4-only");
  EXPECT_EQ(error_of(service("  ipFamilies: [IPv4, IPv4]\n")),
            "s.yaml:8:22: Service \"my-nginx\": spec.ipFamilies[1]: Duplicate value: \"IPv4\": lab clusters are "
            "IPv4-only");
  EXPECT_EQ(error_of(service("  ipFamilyPolicy: RequireDualStack\n")),
            "s.yaml:8:19: Service \"my-nginx\": spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": "
            "RequireDualStack cannot be met: lab clusters are IPv4-only (use SingleStack or PreferDualStack)");
}

TEST(Service, LoadBalancerOnlyFields) {
  EXPECT_EQ(error_of(service("  type: NodePort\n  loadBalancerIP: 172.18.255.201\n")),
            "s.yaml:9:19: Service \"my-nginx\": spec.loadBalancerIP: Forbidden: may only be used when `type` is "
            "'LoadBalancer'");
  EXPECT_EQ(error_of(service("  allocateLoadBalancerNodePorts: false\n")),
            "s.yaml:8:34: Service \"my-nginx\": spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when "
            "`type` is 'LoadBalancer'");
  EXPECT_TRUE(error_of(service("  type: LoadBalancer\n  loadBalancerIP: pending\n"))
                  .starts_with("s.yaml:9:19: Service \"my-nginx\": spec.loadBalancerIP: Invalid value: \"pending\": "
                               "invalid IPv4 address"));
}

TEST(Service, NamesSelectorsAndTypes) {
  std::string svc = service();
  EXPECT_EQ(error_of(std::string(svc).replace(svc.find("my-nginx"), 8, "1-nginx")),
            "s.yaml:4:9: Service \"1-nginx\": metadata.name: Invalid value: \"1-nginx\": a lowercase RFC 1035 label "
            "must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end "
            "with an alphanumeric character");
  EXPECT_TRUE(error_of(std::string(svc).replace(svc.find("my-nginx"), 8, "my.nginx"))
                  .starts_with("s.yaml:4:9: Service \"my.nginx\": metadata.name: Invalid value: \"my.nginx\": a "
                               "lowercase RFC 1035 label"));
  EXPECT_EQ(error_of(std::string(svc).replace(svc.find("run: my-nginx"), 13, "run: -x")),
            "s.yaml:7:10: Service \"my-nginx\": spec.selector[run]: Invalid value: \"-x\": a valid label must be an "
            "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character");
  EXPECT_EQ(error_of(service("  publishNotReadyAddresses: maybe\n")),
            "s.yaml:8:29: Service \"my-nginx\": spec.publishNotReadyAddresses: Invalid value: \"maybe\": must be "
            "true or false");
  EXPECT_EQ(error_of(service("", "  - port: \"80\"\n")),
            "s.yaml:9:11: Service \"my-nginx\": spec.ports[0].port: Invalid value: \"80\": must be an integer (remove "
            "the quotes)");
}

TEST(Dns1123, LabelAndSubdomain) {
  EXPECT_TRUE(is_dns1123_label("my-nginx"));
  EXPECT_FALSE(is_dns1123_label("my.nginx"));
  EXPECT_FALSE(is_dns1123_label("-a"));
  EXPECT_FALSE(is_dns1123_label(std::string(64, 'a')));
  EXPECT_TRUE(is_dns1123_subdomain("my.nginx-1"));
  EXPECT_FALSE(is_dns1123_subdomain("a..b"));
  EXPECT_FALSE(is_dns1123_subdomain("My_App"));
  EXPECT_FALSE(is_dns1123_subdomain(""));
}

}  // namespace
}  // namespace lab::api
