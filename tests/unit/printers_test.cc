// Output formats of `lab get` against what kubectl prints for the same objects: tables, AGE,
// yaml/json/name, custom-columns and jsonpath (the my-nginx pods of the "Connecting apps" tutorial).
#include <gtest/gtest.h>

#include "lab/cli/printers.h"

namespace lab::cli {
namespace {

using namespace std::chrono_literals;

Clock::time_point at(const char* rfc3339_utc) {
  std::tm tm{};
  strptime(rfc3339_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Clock::from_time_t(timegm(&tm));
}

const Clock::time_point kNow = at("2026-11-26T09:40:33Z");

Json pod(const std::string& name, const std::string& ip, const std::string& node) {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": ")" + name + R"(", "namespace": "default",
                 "creationTimestamp": "2026-11-26T09:40:00Z",
                 "labels": {"run": "my-nginx", "pod-template-hash": "3800858182"}},
    "spec": {"nodeName": ")" + node + R"(",
             "containers": [{"name": "my-nginx", "image": "nginx",
                             "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
    "status": {"phase": "Running", "podIP": ")" + ip + R"(", "podIPs": [{"ip": ")" + ip + R"("}],
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "my-nginx", "ready": true, "restartCount": 0,
                                      "state": {"running": {"startedAt": "2026-11-26T09:40:02Z"}}}]}
  })");
}

Json pod_list() {
  return {{"apiVersion", "v1"},
          {"kind", "List"},
          {"metadata", {{"resourceVersion", ""}}},
          {"items",
           {pod("my-nginx-3800858182-jr4a2", "10.244.3.4", "kubernetes-minion-d87i"),
            pod("my-nginx-3800858182-kna2y", "10.244.2.5", "kubernetes-minion-905m")}}};
}

Json one_pod_list(Json p) { return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", {std::move(p)}}}; }

Json node(const std::string& name, bool ready, Json labels) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"creationTimestamp", "2026-11-24T07:00:00Z"}, {"labels", labels}}},
          {"spec", Json::object()},
          {"status",
           {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}},
            {"addresses",
             {{{"type", "InternalIP"}, {"address", "10.0.0.2"}}, {{"type", "Hostname"}, {"address", name}}}},
            {"nodeInfo",
             {{"kubeletVersion", "v1.30.0-lab"},
              {"osImage", "Debian GNU/Linux 12 (bookworm)"},
              {"kernelVersion", "6.1.0-18-amd64"},
              {"containerRuntimeVersion", "lab://0.1"}}}}}};
}

Json deployment() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "my-nginx", "namespace": "default", "creationTimestamp": "2026-11-26T09:40:00Z",
                 "annotations": {"deployment.kubernetes.io/revision": "1"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"run": "my-nginx"}},
             "template": {"metadata": {"labels": {"run": "my-nginx"}},
                          "spec": {"containers": [{"name": "my-nginx", "image": "nginx"}]}}},
    "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
  })");
}

TEST(HumanDuration, FollowsApimachinery) {
  EXPECT_EQ(human_duration(-5s), "<invalid>");
  EXPECT_EQ(human_duration(-1s), "0s");
  EXPECT_EQ(human_duration(0s), "0s");
  EXPECT_EQ(human_duration(45s), "45s");
  EXPECT_EQ(human_duration(119s), "119s");
  EXPECT_EQ(human_duration(120s), "2m");
  EXPECT_EQ(human_duration(192s), "3m12s");
  EXPECT_EQ(human_duration(10min), "10m");
  EXPECT_EQ(human_duration(179min + 59s), "179m");
  EXPECT_EQ(human_duration(3h), "3h");
  EXPECT_EQ(human_duration(3h + 5min + 20s), "3h5m");
  EXPECT_EQ(human_duration(8h + 30min), "8h");
  EXPECT_EQ(human_duration(47h), "47h");
  EXPECT_EQ(human_duration(48h), "2d");
  EXPECT_EQ(human_duration(53h), "2d5h");
  EXPECT_EQ(human_duration(24h * 8), "8d");
  EXPECT_EQ(human_duration(24h * 729), "729d");
  EXPECT_EQ(human_duration(24h * 730), "2y");
  EXPECT_EQ(human_duration(24h * 733), "2y3d");
  EXPECT_EQ(human_duration(24h * 365 * 9), "9y");
}

TEST(AgeOf, ParsesRfc3339) {
  const auto now = at("2026-11-26T10:00:00Z");
  EXPECT_EQ(age_of("2026-11-26T09:40:00Z", now), "20m");
  EXPECT_EQ(age_of("2026-11-26T09:59:15.5Z", now), "44s");
  EXPECT_EQ(age_of("2026-11-26T09:40:00+00:00", now), "20m");
  EXPECT_EQ(age_of("2026-11-26T11:40:00+02:00", now), "20m");
  EXPECT_EQ(age_of("2026-11-26T10:00:01Z", now), "0s");  // a second of clock skew is "now"
  EXPECT_EQ(age_of("", now), "<unknown>");
  EXPECT_EQ(age_of("yesterday", now), "<unknown>");
  EXPECT_EQ(age_of("2026-13-26T10:00:00Z", now), "<unknown>");
}

TEST(FormatTable, PadsLikeTabwriter) {
  EXPECT_EQ(format_table({{"NAME", "READY"}, {"my-nginx", "2/2"}}), "NAME       READY\nmy-nginx   2/2\n");
  // kubectl's tabwriter has a minimum cell width of 6.
  EXPECT_EQ(format_table({{"A", "B"}, {"x", "y"}}), "A     B\nx     y\n");
  // No trailing blanks when the last cell is empty.
  EXPECT_EQ(format_table({{"NAME", "IP"}, {"web", ""}}), "NAME   IP\nweb\n");
  EXPECT_EQ(format_table({}), "");
}

TEST(PodsTable, TutorialPods) {
  EXPECT_EQ(pods_table(pod_list(), false, true, kNow),
            "NAME                        READY   STATUS    RESTARTS   AGE\n"
            "my-nginx-3800858182-jr4a2   1/1     Running   0          33s\n"
            "my-nginx-3800858182-kna2y   1/1     Running   0          33s\n");
  EXPECT_EQ(pods_table(pod_list(), false, false, kNow),
            "my-nginx-3800858182-jr4a2   1/1   Running   0     33s\n"
            "my-nginx-3800858182-kna2y   1/1   Running   0     33s\n");
}

TEST(PodsTable, Wide) {
  EXPECT_EQ(pods_table(pod_list(), true, true, kNow),
            "NAME                        READY   STATUS    RESTARTS   AGE   IP           NODE                     "
            "NOMINATED NODE   READINESS GATES\n"
            "my-nginx-3800858182-jr4a2   1/1     Running   0          33s   10.244.3.4   kubernetes-minion-d87i   "
            "<none>           <none>\n"
            "my-nginx-3800858182-kna2y   1/1     Running   0          33s   10.244.2.5   kubernetes-minion-905m   "
            "<none>           <none>\n");
}

TEST(PodsTable, EmptyListPrintsNothing) {
  EXPECT_EQ(pods_table(Json{{"kind", "List"}, {"items", Json::array()}}, false, true, kNow), "");
  EXPECT_EQ(no_resources_message("default"), "No resources found in default namespace.\n");
  EXPECT_EQ(no_resources_message(""), "No resources found\n");
}

TEST(PodsTable, PendingPodHasNoneForIpAndNode) {
  Json p = pod("web", "", "");
  p["spec"].erase("nodeName");
  p["status"] = {{"phase", "Pending"}};
  EXPECT_EQ(pods_table(one_pod_list(p), true, false, kNow),
            "web   0/1   Pending   0     33s   <none>   <none>   <none>   <none>\n");
}

TEST(PodsTable, StatusReasons) {
  auto status_of = [](Json p) {
    std::string row = pods_table(one_pod_list(std::move(p)), false, false, kNow);
    std::vector<std::string> cells;
    for (size_t i = 0; i < row.size();) {
      size_t end = row.find("   ", i);
      if (end == std::string::npos) end = row.size() - 1;
      cells.push_back(row.substr(i, end - i));
      i = row.find_first_not_of(' ', end);
      if (i == std::string::npos || row[i] == '\n') break;
    }
    return cells.at(1) + " " + cells.at(2);
  };
  Json p = pod("web", "10.244.1.2", "n1");
  EXPECT_EQ(status_of(p), "1/1 Running");

  Json creating = p;
  creating["status"]["containerStatuses"][0] = {
      {"name", "my-nginx"},
      {"ready", false},
      {"restartCount", 0},
      {"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}};
  EXPECT_EQ(status_of(creating), "0/1 ContainerCreating");

  Json crashing = creating;
  crashing["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] = "CrashLoopBackOff";
  EXPECT_EQ(status_of(crashing), "0/1 CrashLoopBackOff");

  Json completed = p;
  completed["status"]["phase"] = "Succeeded";
  completed["status"]["containerStatuses"][0] = {
      {"name", "my-nginx"}, {"ready", false}, {"restartCount", 0},
      {"state", {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}}}};
  EXPECT_EQ(status_of(completed), "0/1 Completed");

  Json killed = completed;
  killed["status"]["containerStatuses"][0]["state"]["terminated"] = {{"exitCode", 137}};
  EXPECT_EQ(status_of(killed), "0/1 ExitCode:137");

  Json deleting = p;
  deleting["metadata"]["deletionTimestamp"] = "2026-11-26T09:40:30Z";
  EXPECT_EQ(status_of(deleting), "1/1 Terminating");

  Json init = p;
  init["spec"]["initContainers"] = {{{"name", "setup"}, {"image", "busybox"}}};
  init["status"]["phase"] = "Pending";
  init["status"]["initContainerStatuses"] = {
      {{"name", "setup"}, {"ready", false}, {"restartCount", 0}, {"state", {{"running", Json::object()}}}}};
  init["status"]["containerStatuses"][0] = {
      {"name", "my-nginx"},
      {"ready", false},
      {"restartCount", 0},
      {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}};
  EXPECT_EQ(status_of(init), "0/1 Init:0/1");
}

TEST(PodsTable, RestartsShowLastTermination) {
  Json p = pod("web", "10.244.1.2", "n1");
  p["status"]["containerStatuses"][0]["restartCount"] = 1;
  EXPECT_EQ(pods_table(one_pod_list(p), false, false, kNow), "web   1/1   Running   1     33s\n");
  p["status"]["containerStatuses"][0]["lastState"] = {
      {"terminated", {{"exitCode", 1}, {"finishedAt", "2026-11-26T09:40:28Z"}}}};
  EXPECT_EQ(pods_table(one_pod_list(p), false, true, kNow),
            "NAME   READY   STATUS    RESTARTS     AGE\n"
            "web    1/1     Running   1 (5s ago)   33s\n");
}

TEST(NodesTable, StatusRolesAndWide) {
  Json control = node("lab-control", true, {{"node-role.kubernetes.io/control-plane", ""}});
  Json worker = node("lab-worker-1", true, Json::object());
  Json cordoned = node("lab-worker-2", true, Json::object());
  cordoned["spec"]["unschedulable"] = true;
  Json down = node("lab-worker-3", false, Json::object());
  Json list = {{"kind", "List"}, {"items", {control, worker, cordoned, down}}};
  EXPECT_EQ(nodes_table(list, false, true, kNow),
            "NAME           STATUS                     ROLES           AGE    VERSION\n"
            "lab-control    Ready                      control-plane   2d2h   v1.30.0-lab\n"
            "lab-worker-1   Ready                      <none>          2d2h   v1.30.0-lab\n"
            "lab-worker-2   Ready,SchedulingDisabled   <none>          2d2h   v1.30.0-lab\n"
            "lab-worker-3   NotReady                   <none>          2d2h   v1.30.0-lab\n");
  EXPECT_EQ(nodes_table({{"items", {control}}}, true, true, kNow),
            "NAME          STATUS   ROLES           AGE    VERSION       INTERNAL-IP   EXTERNAL-IP   OS-IMAGE      "
            "                   KERNEL-VERSION   CONTAINER-RUNTIME\n"
            "lab-control   Ready    control-plane   2d2h   v1.30.0-lab   10.0.0.2      <none>        Debian GNU/Linux"
            " 12 (bookworm)   6.1.0-18-amd64   lab://0.1\n");
}

TEST(DeploymentsTable, ReadyAndWide) {
  Json list = {{"kind", "List"}, {"items", {deployment()}}};
  EXPECT_EQ(deployments_table(list, false, true, kNow),
            "NAME       READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "my-nginx   2/2     2            2           33s\n");
  EXPECT_EQ(deployments_table(list, true, true, kNow),
            "NAME       READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES   SELECTOR\n"
            "my-nginx   2/2     2            2           33s   my-nginx     nginx    run=my-nginx\n");
  Json fresh = deployment();
  fresh["status"] = Json::object();
  fresh["spec"]["selector"]["matchLabels"]["app"] = "web";
  fresh["spec"]["template"]["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "busybox:1.36"}});
  EXPECT_EQ(deployments_table({{"items", {fresh}}}, true, false, kNow),
            "my-nginx   0/2   0     0     33s   my-nginx,sidecar   nginx,busybox:1.36   app=web,run=my-nginx\n");
}

TEST(ToYaml, KubectlLayout) {
  Json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", "my-nginx"},
              {"labels", {{"run", "my-nginx"}}},
              {"creationTimestamp", nullptr},
              {"annotations", {{"deployment.kubernetes.io/revision", "1"}}}}},
            {"spec",
             {{"containers",
               {{{"name", "my-nginx"},
                 {"image", "nginx"},
                 {"args", {"-g", "daemon off;"}},
                 {"ports", {{{"containerPort", 80}, {"protocol", "TCP"}}}}}}}}},
            {"status", Json::object()}};
  EXPECT_EQ(to_yaml(p),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  annotations:\n"
            "    deployment.kubernetes.io/revision: \"1\"\n"
            "  creationTimestamp: null\n"
            "  labels:\n"
            "    run: my-nginx\n"
            "  name: my-nginx\n"
            "spec:\n"
            "  containers:\n"
            "  - args:\n"
            "    - -g\n"
            "    - daemon off;\n"
            "    image: nginx\n"
            "    name: my-nginx\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "      protocol: TCP\n"
            "status: {}\n");
}

TEST(ToYaml, QuotesLikeGoYaml) {
  Json j = {{"a", "80"},          {"b", "true"},     {"c", ""},        {"d", "key: value"},
            {"e", "*"},           {"f", "- x"},      {"g", "it's # x"}, {"h", "tab\there"},
            {"i", "2026-11-26T09:40:00Z"}, {"j", "1.5"}, {"k", "yes"}, {"l", "10.244.3.4"},
            {"m", " padded"},     {"n", "-g"},       {"o", 1.5},       {"p", false},
            {"q", Json::array()}, {"r", "0x1F"},     {"s", "nginx:1.25"}, {"t", "~"}};
  EXPECT_EQ(to_yaml(j),
            "a: \"80\"\n"
            "b: \"true\"\n"
            "c: \"\"\n"
            "d: 'key: value'\n"
            "e: '*'\n"
            "f: '- x'\n"
            "g: 'it''s # x'\n"
            "h: \"tab\\there\"\n"
            "i: \"2026-11-26T09:40:00Z\"\n"
            "j: \"1.5\"\n"
            "k: \"yes\"\n"
            "l: 10.244.3.4\n"
            "m: ' padded'\n"
            "\"n\": -g\n"  // the key "n" is a YAML 1.1 bool, so go-yaml quotes it too
            "o: 1.5\n"
            "p: false\n"
            "q: []\n"
            "r: \"0x1F\"\n"
            "s: nginx:1.25\n"
            "t: \"~\"\n");
}

TEST(ToYaml, BlockScalarsNestedListsAndKeyOrder) {
  Json j = {{"script", "echo hi\necho bye\n"},
            {"motd", "line1\nline2"},
            {"matrix", Json::parse(R"([[1, 2], [], [{"x": {}}], {"y": [3]}])")},
            {"item10", 1},
            {"item9", 2},
            {"a_b", 3},
            {"aB", 4}};
  EXPECT_EQ(to_yaml(j),
            "a_b: 3\n"  // go-yaml sorts non-letters first and digit runs by value
            "aB: 4\n"
            "item9: 2\n"
            "item10: 1\n"
            "matrix:\n"
            "- - 1\n"
            "  - 2\n"
            "- []\n"
            "- - x: {}\n"
            "- \"y\":\n"
            "  - 3\n"
            "motd: |-\n"
            "  line1\n"
            "  line2\n"
            "script: |\n"
            "  echo hi\n"
            "  echo bye\n");
  EXPECT_EQ(to_yaml(Json::object()), "{}\n");
  EXPECT_EQ(to_yaml(Json::array({"a", "b"})), "- a\n- b\n");
}

TEST(ToYaml, FoldsLongStringsAt80Columns) {
  std::string words = "The quick brown fox jumps over the lazy dog and keeps running past the eighty column mark";
  EXPECT_EQ(to_yaml({{"description", words}}),
            "description: The quick brown fox jumps over the lazy dog and keeps running past the\n"
            "  eighty column mark\n");
  EXPECT_EQ(to_yaml({{"note", "quoted: " + words}}),
            "note: 'quoted: The quick brown fox jumps over the lazy dog and keeps running past\n"
            "  the eighty column mark'\n");
}

TEST(ToYaml, NumbersRoundTripThroughJsonAndOddKeys) {
  // kubectl marshals to JSON first: 2.0 becomes the int 2, small and huge floats keep Go's %g.
  EXPECT_EQ(to_yaml({{"f", 2.0}, {"g", 1e-7}, {"h", 123456789.0}, {"i", 2.5e22}, {"j", 0.1}}),
            "f: 2\ng: 1e-07\nh: 123456789\ni: 2.5e+22\nj: 0.1\n");
  // A multi-line key is not a simple key for go-yaml.
  EXPECT_EQ(to_yaml({{"x\ny", {1, 2}}, {"z", "0xFFFFFFFFFFFFFFFFFFFF"}}),
            "? |-\n  x\n  y\n: - 1\n  - 2\nz: 0xFFFFFFFFFFFFFFFFFFFF\n");
  EXPECT_EQ(to_yaml({{"leading", "\nx"}, {"keep", "x\n\n"}, {"tabbed", "a\tb\nc"}}),
            "keep: |+\n  x\n\nleading: |2-\n\n  x\ntabbed: \"a\\tb\\nc\"\n");
}

TEST(ToJsonText, FourSpacesAndHtmlEscapes) {
  EXPECT_EQ(to_json_text({{"a", "<none>"}, {"b", {1, 2}}, {"c", Json::object()}, {"d", "x&y"}}),
            "{\n"
            "    \"a\": \"\\u003cnone\\u003e\",\n"
            "    \"b\": [\n"
            "        1,\n"
            "        2\n"
            "    ],\n"
            "    \"c\": {},\n"
            "    \"d\": \"x\\u0026y\"\n"
            "}\n");
  EXPECT_EQ(go_json({{"ip", "10.244.3.4"}}, -1), "{\"ip\":\"10.244.3.4\"}");
  // encoding/json's float64 text.
  EXPECT_EQ(go_json({1e-7, 123456789.0, 2.5e22, 0.1, 1e20}, -1),
            "[1e-7,123456789,2.5e+22,0.1,100000000000000000000]");
}

TEST(Names, KindAndGroup) {
  EXPECT_EQ(names(pod_list()), "pod/my-nginx-3800858182-jr4a2\npod/my-nginx-3800858182-kna2y\n");
  EXPECT_EQ(names(deployment()), "deployment.apps/my-nginx\n");
  Json typed = {
      {"apiVersion", "apps/v1"}, {"kind", "DeploymentList"}, {"items", {{{"metadata", {{"name", "web"}}}}}}};
  EXPECT_EQ(names(typed), "deployment.apps/web\n");
  EXPECT_EQ(names({{"kind", "List"}, {"items", Json::array()}}), "");
}

TEST(GoFormat, PrintsLikePercentV) {
  EXPECT_EQ(go_format("abc"), "abc");
  EXPECT_EQ(go_format(80), "80");
  EXPECT_EQ(go_format(-3), "-3");
  EXPECT_EQ(go_format(1.5), "1.5");
  EXPECT_EQ(go_format(80.0), "80");
  EXPECT_EQ(go_format(1e6), "1e+06");
  EXPECT_EQ(go_format(123456.5), "123456.5");
  EXPECT_EQ(go_format(0.00001), "1e-05");
  EXPECT_EQ(go_format(0.0001), "0.0001");
  EXPECT_EQ(go_format(true), "true");
  EXPECT_EQ(go_format(nullptr), "<nil>");
  EXPECT_EQ(go_format({1, "a", nullptr}), "[1 a <nil>]");
  EXPECT_EQ(go_format({{"b", 1}, {"a", Json::array()}, {"c", {{"d", "e"}}}}), "map[a:[] b:1 c:map[d:e]]");
  EXPECT_EQ(go_format(Json::parse(R"([{"ip":"10.244.3.4"}])")), "[map[ip:10.244.3.4]]");
}

TEST(CustomColumns, TutorialPodIps) {
  auto out = custom_columns(pod_list(), "POD_IP:.status.podIPs", true);
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_EQ(*out, "POD_IP\n[map[ip:10.244.3.4]]\n[map[ip:10.244.2.5]]\n");
}

TEST(CustomColumns, SeveralColumnsMissingValuesAndLists) {
  auto out = custom_columns(pod_list(), "NAME:.metadata.name,IP:{.status.podIP},GONE:.spec.nope,"
                                        "PORTS:spec.containers[*].ports[*].containerPort",
                            true);
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_EQ(*out,
            "NAME                        IP           GONE     PORTS\n"
            "my-nginx-3800858182-jr4a2   10.244.3.4   <none>   80\n"
            "my-nginx-3800858182-kna2y   10.244.2.5   <none>   80\n");
  auto bare = custom_columns(deployment(), "NAME:.metadata.name", false);
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(*bare, "my-nginx\n");
}

TEST(CustomColumns, BadSpec) {
  auto out = custom_columns(pod_list(), "NAME:.metadata.name,IP", true);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().message, "unexpected custom-columns spec: IP, expected <header>:<json-path-expr>");
  EXPECT_FALSE(custom_columns(pod_list(), "", true).has_value());
  EXPECT_FALSE(custom_columns(pod_list(), "X:{.a}}", true).has_value());
}

TEST(Jsonpath, FieldsIndexesAndWildcards) {
  auto list = pod_list();
  EXPECT_EQ(jsonpath(list, "{.items[*].metadata.name}").value(),
            "my-nginx-3800858182-jr4a2 my-nginx-3800858182-kna2y");
  EXPECT_EQ(jsonpath(list, "{.items[0].status.podIP}").value(), "10.244.3.4");
  EXPECT_EQ(jsonpath(list, "{.items[-1].spec.nodeName}").value(), "kubernetes-minion-905m");
  EXPECT_EQ(jsonpath(list, "{$.items[1:].metadata.name}").value(), "my-nginx-3800858182-kna2y");
  EXPECT_EQ(jsonpath(list, "{.items[0].spec.containers[0].ports[0].containerPort}").value(), "80");
  EXPECT_EQ(jsonpath(list, "{.items[0,1].status.podIP}").value(), "10.244.3.4 10.244.2.5");
  EXPECT_EQ(jsonpath(list, "{..podIP}").value(), "10.244.3.4 10.244.2.5");
  EXPECT_EQ(jsonpath(list, "{.items[0].metadata.labels.*}").value(), "3800858182 my-nginx");
  EXPECT_EQ(jsonpath(Json{{"a", nullptr}}, "{.a}").value(), "null");
  EXPECT_EQ(jsonpath(Json{{"a", {nullptr, 1}}}, "{range .a[*]}[{@}]{end}").value(), "[<no value>][1]");
  Json svc = {{"spec", {{"ports", {{{"port", 80}, {"nodePort", 31234}}}}}}};
  EXPECT_EQ(jsonpath(svc, "{.spec.ports[0].nodePort}").value(), "31234");
  EXPECT_EQ(jsonpath(svc, "port {.spec.ports[0].port}, node port {.spec.ports[0].nodePort}\n").value(),
            "port 80, node port 31234\n");
}

TEST(Jsonpath, NonScalarsPrintAsJson) {
  EXPECT_EQ(jsonpath(pod_list(), "{.items[0].metadata.labels}").value(),
            R"({"pod-template-hash":"3800858182","run":"my-nginx"})");
  EXPECT_EQ(jsonpath(pod_list(), "{.items[*].status.podIPs}").value(),
            R"([{"ip":"10.244.3.4"}] [{"ip":"10.244.2.5"}])");
}

TEST(Jsonpath, RangeAndLiterals) {
  EXPECT_EQ(jsonpath(pod_list(), R"({range .items[*]}{.metadata.name}{"\t"}{.status.podIP}{"\n"}{end})").value(),
            "my-nginx-3800858182-jr4a2\t10.244.3.4\nmy-nginx-3800858182-kna2y\t10.244.2.5\n");
  EXPECT_EQ(jsonpath(pod_list(),
                     R"({range .items[*]}[{.metadata.name}:{range .spec.containers[*]} {.image}{end}]{end}done)")
                .value(),
            "[my-nginx-3800858182-jr4a2: nginx][my-nginx-3800858182-kna2y: nginx]done");
  EXPECT_EQ(jsonpath(Json{{"items", Json::array()}}, R"({range .items[*]}{.x}{end}none)").value(), "none");
  EXPECT_EQ(jsonpath(Json::object(), R"({'it\'s'} {"tab\there"})").value(), "it's tab\there");
}

TEST(Jsonpath, FiltersAndEscapedKeys) {
  auto list = pod_list();
  EXPECT_EQ(jsonpath(list, R"({.items[?(@.spec.nodeName=="kubernetes-minion-905m")].metadata.name})").value(),
            "my-nginx-3800858182-kna2y");
  EXPECT_EQ(jsonpath(list, R"({.items[0].status.conditions[?(@.type=="Ready")].status})").value(), "True");
  EXPECT_EQ(jsonpath(list, "{.items[?(@.spec.containers[0].ports[0].containerPort>=80)].status.podIP}").value(),
            "10.244.3.4 10.244.2.5");
  EXPECT_EQ(jsonpath(list, "{.items[?(@.status.podIP)].spec.nodeName}").value(),
            "kubernetes-minion-d87i kubernetes-minion-905m");
  Json obj = {{"metadata", {{"labels", {{"app.kubernetes.io/name", "web"}}}}}};
  EXPECT_EQ(jsonpath(obj, R"({.metadata.labels.app\.kubernetes\.io/name})").value(), "web");
  EXPECT_EQ(jsonpath(obj, "{.metadata.labels['app.kubernetes.io/name']}").value(), "web");
}

TEST(Jsonpath, ErrorsLikeKubectl) {
  auto missing = jsonpath(pod_list(), "{.x}");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, R"(error executing jsonpath "{.x}": Error executing template: x is not found)");
  auto bounds = jsonpath(pod_list(), "{.items[5].metadata.name}");
  ASSERT_FALSE(bounds.has_value());
  EXPECT_EQ(bounds.error().message,
            "error executing jsonpath \"{.items[5].metadata.name}\": Error executing template: array index out of "
            "bounds: index 5, length 2");
  auto unclosed = jsonpath(pod_list(), "{.items");
  ASSERT_FALSE(unclosed.has_value());
  EXPECT_EQ(unclosed.error().message, "error parsing jsonpath {.items, unclosed action");
  EXPECT_FALSE(jsonpath(pod_list(), "{end}").has_value());
  EXPECT_FALSE(jsonpath(pod_list(), "{.metadata[0]}").has_value());
  // kubectl's default --allow-missing-template-keys=true.
  EXPECT_EQ(jsonpath(pod_list(), "{.x}{.items[0].metadata.name}", true).value(), "my-nginx-3800858182-jr4a2");
}

TEST(ReplicaSetsTable, ColumnsAndWide) {
  Json rs = Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "my-nginx-3800858182", "namespace": "default", "creationTimestamp": "2026-11-26T09:40:00Z"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"run": "my-nginx", "pod-template-hash": "3800858182"}},
             "template": {"spec": {"containers": [{"name": "my-nginx", "image": "nginx"}]}}},
    "status": {"replicas": 2, "readyReplicas": 1}
  })");
  Json list = {{"kind", "List"}, {"items", {rs}}};
  EXPECT_EQ(replicasets_table(list, false, true, kNow),
            "NAME                  DESIRED   CURRENT   READY   AGE\n"
            "my-nginx-3800858182   2         2         1       33s\n");
  EXPECT_EQ(replicasets_table(list, true, true, kNow),
            "NAME                  DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES   SELECTOR\n"
            "my-nginx-3800858182   2         2         1       33s   my-nginx     nginx    "
            "pod-template-hash=3800858182,run=my-nginx\n");
  rs["spec"].erase("selector");
  rs["status"] = Json::object();
  EXPECT_EQ(replicasets_table({{"items", {rs}}}, true, false, kNow),
            "my-nginx-3800858182   2     0     0     33s   my-nginx   nginx   <none>\n");
  EXPECT_EQ(replicasets_table({{"items", Json::array()}}, false, true, kNow), "");
}

Json tutorial_event(const std::string& kind, const std::string& name, const std::string& reason, int count,
                    const char* first, const char* last) {
  return {{"kind", "Event"},
          {"metadata", {{"name", name + ".17a6b3c"}, {"namespace", "default"}}},
          {"involvedObject", {{"kind", kind}, {"name", name}, {"namespace", "default"}}},
          {"reason", reason},
          {"message", " " + reason + " happened\n"},
          {"type", "Normal"},
          {"count", count},
          {"firstTimestamp", first},
          {"lastTimestamp", last},
          {"source", {{"component", "kubelet"}, {"host", "node-1"}}}};
}

TEST(EventsTable, LastSeenObjectAndWide) {
  Json list = {{"kind", "List"},
               {"items",
                {tutorial_event("Pod", "my-nginx-3800858182-jr4a2", "Pulled", 1, "2026-11-26T09:40:01Z",
                                "2026-11-26T09:40:01Z"),
                 tutorial_event("ReplicaSet", "my-nginx-3800858182", "SuccessfulCreate", 3, "2026-11-26T09:30:00Z",
                                "2026-11-26T09:40:28Z")}}};
  // Server order, and the last time alone: the "(x3 over ...)" form is describe's.
  EXPECT_EQ(events_table(list, false, true, kNow),
            "LAST SEEN   TYPE     REASON             OBJECT                           MESSAGE\n"
            "32s         Normal   Pulled             pod/my-nginx-3800858182-jr4a2    Pulled happened\n"
            "5s          Normal   SuccessfulCreate   replicaset/my-nginx-3800858182   SuccessfulCreate happened\n");
  EXPECT_EQ(events_table(list, true, false, kNow),
            "32s   Normal   Pulled             pod/my-nginx-3800858182-jr4a2          kubelet, node-1   "
            "Pulled happened             32s   1     my-nginx-3800858182-jr4a2.17a6b3c\n"
            "5s    Normal   SuccessfulCreate   replicaset/my-nginx-3800858182         kubelet, node-1   "
            "SuccessfulCreate happened   10m   3     my-nginx-3800858182.17a6b3c\n");
}

TEST(EventsTable, NewApiEventsAndIntervals) {
  // An events.k8s.io event: eventTime only, no count, maybe a series.
  Json e = {{"involvedObject", {{"kind", "Node"}, {"name", ""}}},
            {"reason", "Starting"},
            {"type", "Normal"},
            {"eventTime", "2026-11-26T09:40:13.123456Z"},
            {"reportingController", "kubelet"}};
  // 19.9s is "19s": HumanDuration truncates.
  EXPECT_EQ(events_table({{"items", {e}}}, false, false, kNow), "19s   Normal   Starting   node\n");
  EXPECT_EQ(event_interval(e, kNow), "19s");
  e["series"] = {{"count", 4}, {"lastObservedTime", "2026-11-26T09:40:30.000000Z"}};
  EXPECT_EQ(events_table({{"items", {e}}}, true, false, kNow),
            "3s    Normal   Starting   node         kubelet         19s   4\n");
  EXPECT_EQ(event_interval(e, kNow), "3s (x4 over 19s)");

  Json repeated = tutorial_event("Pod", "web", "BackOff", 5, "2026-11-26T09:38:00Z", "2026-11-26T09:40:28Z");
  EXPECT_EQ(event_interval(repeated, kNow), "5s (x5 over 2m33s)");
  repeated["count"] = 1;
  EXPECT_EQ(event_interval(repeated, kNow), "2m33s");  // a single event's age counts from its first sighting
  EXPECT_EQ(event_interval(Json::object(), kNow), "<unknown>");
}

// The tutorial's my-nginx Service as the API server returns it, ClusterIP first.
Json service(const std::string& type = "ClusterIP") {
  Json svc = Json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "my-nginx", "namespace": "default", "creationTimestamp": "2026-11-26T09:40:12Z",
                 "labels": {"run": "my-nginx"}},
    "spec": {"clusterIP": "10.0.162.149", "clusterIPs": ["10.0.162.149"], "type": "ClusterIP",
             "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"run": "my-nginx"},
             "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
             "internalTrafficPolicy": "Cluster"},
    "status": {"loadBalancer": {}}
  })");
  svc["spec"]["type"] = type;
  if (type != "ClusterIP") {
    svc["spec"]["externalTrafficPolicy"] = "Cluster";
    svc["spec"]["ports"] = Json::parse(R"([
      {"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 80, "nodePort": 31704},
      {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443, "nodePort": 32453}])");
  }
  return svc;
}

Json endpoint_slice(const std::string& name, std::vector<std::string> ips, Json ports = Json::parse(R"([
    {"name": "", "port": 80, "protocol": "TCP"}])")) {
  Json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                {"kind", "EndpointSlice"},
                {"metadata",
                 {{"name", name},
                  {"namespace", "default"},
                  {"creationTimestamp", "2026-11-26T09:40:12Z"},
                  {"labels",
                   {{"kubernetes.io/service-name", "my-nginx"},
                    {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}}}},
                {"addressType", "IPv4"},
                {"endpoints", Json::array()},
                {"ports", std::move(ports)}};
  for (const auto& ip : ips)
    slice["endpoints"].push_back({{"addresses", {ip}},
                                  {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
                                  {"nodeName", "node-1"},
                                  {"targetRef",
                                   {{"kind", "Pod"}, {"name", "my-nginx-" + ip}, {"namespace", "default"}}}});
  return slice;
}

TEST(ServicesTable, TutorialClusterIp) {
  Json list = {{"kind", "List"}, {"items", {service()}}};
  EXPECT_EQ(services_table(list, false, true, kNow),
            "NAME       TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)   AGE\n"
            "my-nginx   ClusterIP   10.0.162.149   <none>        80/TCP    21s\n");
  EXPECT_EQ(services_table(list, true, true, kNow),
            "NAME       TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)   AGE   SELECTOR\n"
            "my-nginx   ClusterIP   10.0.162.149   <none>        80/TCP    21s   run=my-nginx\n");
  EXPECT_EQ(services_table({{"items", Json::array()}}, false, true, kNow), "");
}

TEST(ServicesTable, NodePortAndHeadless) {
  Json headless = service();
  headless["metadata"]["name"] = "my-nginx-headless";
  headless["spec"]["clusterIP"] = "None";
  headless["spec"]["clusterIPs"] = {"None"};
  headless["spec"].erase("selector");
  headless["spec"]["ports"][0]["protocol"] = "UDP";
  Json list = {{"items", {service("NodePort"), headless}}};
  EXPECT_EQ(services_table(list, true, true, kNow),
            "NAME                TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)                        AGE   "
            "SELECTOR\n"
            "my-nginx            NodePort    10.0.162.149   <none>        8080:31704/TCP,443:32453/TCP   21s   "
            "run=my-nginx\n"
            "my-nginx-headless   ClusterIP   None           <none>        80/UDP                         21s   "
            "<none>\n");
  // Not yet given an address, or no ports at all.
  Json fresh = service();
  fresh["spec"].erase("clusterIP");
  fresh["spec"].erase("clusterIPs");
  fresh["spec"]["ports"] = Json::array();
  EXPECT_EQ(services_table({{"items", {fresh}}}, false, false, kNow),
            "my-nginx   ClusterIP   <none>   <none>   <none>   21s\n");
}

TEST(ServicesTable, LoadBalancerExternalIp) {
  Json lb = service("LoadBalancer");
  lb["spec"]["ports"].erase(1);
  lb["spec"]["ports"][0]["nodePort"] = 30163;
  Json list = {{"items", {lb}}};
  // No controller has answered yet.
  EXPECT_EQ(services_table(list, false, true, kNow),
            "NAME       TYPE           CLUSTER-IP     EXTERNAL-IP   PORT(S)          AGE\n"
            "my-nginx   LoadBalancer   10.0.162.149   <pending>     8080:30163/TCP   21s\n");
  list["items"][0]["status"]["loadBalancer"]["ingress"] = {{{"ip", "172.18.255.200"}, {"ipMode", "VIP"}}};
  EXPECT_EQ(services_table(list, false, false, kNow),
            "my-nginx   LoadBalancer   10.0.162.149   172.18.255.200   8080:30163/TCP   21s\n");
  // Sorted, de-duplicated, and cut to 16 characters unless -o wide.
  list["items"][0]["status"]["loadBalancer"]["ingress"] = {
      {{"ip", "172.18.255.201"}}, {{"ip", "172.18.255.200"}}, {{"hostname", "lb.example.com"}},
      {{"ip", "172.18.255.200"}}};
  EXPECT_EQ(services_table(list, false, false, kNow),
            "my-nginx   LoadBalancer   10.0.162.149   172.18.255.20...   8080:30163/TCP   21s\n");
  EXPECT_EQ(services_table(list, true, false, kNow),
            "my-nginx   LoadBalancer   10.0.162.149   172.18.255.200,172.18.255.201,lb.example.com   8080:30163/TCP   "
            "21s   run=my-nginx\n");
  // spec.externalIPs come after the load balancer's, and stand alone for other types.
  list["items"][0]["status"]["loadBalancer"]["ingress"] = {{{"ip", "172.18.255.200"}}};
  list["items"][0]["spec"]["externalIPs"] = {"192.0.2.10"};
  EXPECT_EQ(services_table(list, false, false, kNow),
            "my-nginx   LoadBalancer   10.0.162.149   172.18.255.200,192.0.2.10   8080:30163/TCP   21s\n");
  Json cluster_ip = service();
  cluster_ip["spec"]["externalIPs"] = {"192.0.2.10", "192.0.2.11"};
  EXPECT_EQ(services_table({{"items", {cluster_ip}}}, false, false, kNow),
            "my-nginx   ClusterIP   10.0.162.149   192.0.2.10,192.0.2.11   80/TCP   21s\n");
}

TEST(EndpointSlicesTable, TutorialSlice) {
  Json list = {{"kind", "List"}, {"items", {endpoint_slice("my-nginx-7vzhx", {"10.244.2.5", "10.244.3.4"})}}};
  EXPECT_EQ(endpointslices_table(list, false, true, kNow),
            "NAME             ADDRESSTYPE   PORTS   ENDPOINTS               AGE\n"
            "my-nginx-7vzhx   IPv4          80      10.244.2.5,10.244.3.4   21s\n");
  EXPECT_EQ(endpointslices_table(list, true, true, kNow), endpointslices_table(list, false, true, kNow));
}

TEST(EndpointSlicesTable, MoreAndUnset) {
  Json many = endpoint_slice("my-nginx-abcde", {"10.244.1.5", "10.244.1.6", "10.244.2.5", "10.244.2.6", "10.244.3.4"},
                             Json::parse(R"([{"name": "a", "port": 80}, {"name": "b", "port": 443},
                                             {"name": "c"}, {"port": 9090}])"));
  Json empty = endpoint_slice("my-nginx-zzzzz", {}, Json::array());
  EXPECT_EQ(endpointslices_table({{"items", {many, empty}}}, false, false, kNow),
            "my-nginx-abcde   IPv4   80,443,c + 1 more...   10.244.1.5,10.244.1.6,10.244.2.5 + 2 more...   21s\n"
            "my-nginx-zzzzz   IPv4   <unset>                <unset>                                        21s\n");
  // Every address of an endpoint counts; a port with neither number nor name is "*".
  Json multi = endpoint_slice("x", {}, Json::parse(R"([{"protocol": "TCP"}])"));
  multi["endpoints"] = {{{"addresses", {"10.244.1.5", "10.244.1.6"}}}, {{"addresses", {"10.244.2.5"}}}};
  EXPECT_EQ(endpointslices_table({{"items", {multi}}}, false, false, kNow),
            "x     IPv4   *     10.244.1.5,10.244.1.6,10.244.2.5   21s\n");
}

TEST(FormatLabels, SortedOrNone) {
  EXPECT_EQ(format_labels(Json{{"run", "my-nginx"}, {"app", "web"}}), "app=web,run=my-nginx");
  EXPECT_EQ(format_labels(Json::object()), "<none>");
  EXPECT_EQ(format_labels(Json()), "<none>");
}

}  // namespace
}  // namespace lab::cli
