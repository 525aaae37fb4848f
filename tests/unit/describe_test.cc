// `lab describe` against kubectl describe's layout for the tutorial's my-nginx objects: Go tabwriter
// alignment (runs of lines per column, reset by untabbed lines and before the Events table).
#include "lab/cli/describe.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace lab::cli {
namespace {

Clock::time_point at(const char* rfc3339_utc) {
  std::tm tm{};
  strptime(rfc3339_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Clock::from_time_t(timegm(&tm));
}

const Clock::time_point kNow = at("2026-11-26T09:40:33Z");

// kubectl prints times in the local zone; pin it, and put the caller's back afterwards.
class Describe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
    set_tz("UTC");
  }
  void TearDown() override {
    if (saved_)
      set_tz(saved_->c_str());
    else {
      unsetenv("TZ");
      tzset();
    }
  }
  static void set_tz(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }
  std::optional<std::string> saved_;
};

Json pod() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "my-nginx-3800858182-jr4a2", "namespace": "default", "uid": "pod-uid-1",
                 "creationTimestamp": "2026-11-26T09:40:00Z",
                 "labels": {"run": "my-nginx", "pod-template-hash": "3800858182"},
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "my-nginx-3800858182",
                                      "uid": "rs-uid-1", "controller": true, "blockOwnerDeletion": true}]},
    "spec": {"nodeName": "node-1",
             "containers": [{"name": "my-nginx", "image": "nginx",
                             "ports": [{"containerPort": 80, "protocol": "TCP"}],
                             "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}]},
    "status": {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "10.244.1.2", "podIPs": [{"ip": "10.244.1.2"}],
               "startTime": "2026-11-26T09:40:00Z",
               "conditions": [{"type": "Initialized", "status": "True"},
                              {"type": "Ready", "status": "True"},
                              {"type": "ContainersReady", "status": "True"},
                              {"type": "PodScheduled", "status": "True"}],
               "containerStatuses": [{"name": "my-nginx", "ready": true, "restartCount": 0,
                                      "containerID": "lab://4f2a9c", "image": "nginx",
                                      "imageID": "docker.io/library/nginx@sha256:0d17b565",
                                      "state": {"running": {"startedAt": "2026-11-26T09:40:02Z"}}}]}
  })");
}

Json event(const std::string& reason, const std::string& message, const std::string& component, const char* first,
           const char* last, int count, const std::string& type = "Normal") {
  return {{"kind", "Event"},
          {"metadata", {{"name", "my-nginx-3800858182-jr4a2.17a" + reason}, {"namespace", "default"}}},
          {"involvedObject",
           {{"kind", "Pod"}, {"name", "my-nginx-3800858182-jr4a2"}, {"namespace", "default"}, {"uid", "pod-uid-1"}}},
          {"reason", reason},
          {"message", message},
          {"type", type},
          {"count", count},
          {"firstTimestamp", first},
          {"lastTimestamp", last},
          {"source", {{"component", component}}}};
}

Json pod_events() {
  // Out of order on purpose: describe sorts by lastTimestamp.
  return {
      {"kind", "EventList"},
      {"items",
       {event("Pulled", "Container image \"nginx\" already present on machine", "kubelet", "2026-11-26T09:40:01Z",
              "2026-11-26T09:40:01Z", 1),
        event("Scheduled", "Successfully assigned default/my-nginx-3800858182-jr4a2 to node-1", "default-scheduler",
              "2026-11-26T09:40:00Z", "2026-11-26T09:40:00Z", 1),
        event("Created", "Created container my-nginx", "kubelet", "2026-11-26T09:40:01Z", "2026-11-26T09:40:01Z", 1),
        event("Started", "Started container my-nginx ", "kubelet", "2026-11-26T09:40:02Z", "2026-11-26T09:40:02Z",
              1)}}};
}

TEST(TabWriter, AlignsRunsOfLinesLikeGo) {
  TabWriter tw;
  tw.write("Name:\tweb\nService Account:\tdefault\nContainers:\n  a:\n    Image:\tnginx\n");
  EXPECT_EQ(tw.str(),
            "Name:             web\n"
            "Service Account:  default\n"
            "Containers:\n"
            "  a:\n"
            "    Image:  nginx\n");
  // A line's last cell is in no column, so "b" breaks column 1 into two runs; empty cells still pad.
  TabWriter nested;
  nested.write("a\tbb\tc\nlonger\tb\nx\t\ty\n");
  EXPECT_EQ(nested.str(), "a       bb  c\nlonger  b\nx         y\n");
  // flush() starts afresh.
  TabWriter flushed;
  flushed.write("Tolerations:\t<none>\n");
  flushed.flush();
  flushed.write("  Type\tReason\n");
  EXPECT_EQ(flushed.str(), "Tolerations:  <none>\n  Type  Reason\n");
}

TEST_F(Describe, RunningPodWithEvents) {
  EXPECT_EQ(describe_pod(pod(), pod_events(), kNow),
            "Name:             my-nginx-3800858182-jr4a2\n"
            "Namespace:        default\n"
            "Priority:         0\n"
            "Service Account:  default\n"
            "Node:             node-1/172.18.0.2\n"
            "Start Time:       Thu, 26 Nov 2026 09:40:00 +0000\n"
            "Labels:           pod-template-hash=3800858182\n"
            "                  run=my-nginx\n"
            "Annotations:      <none>\n"
            "Status:           Running\n"
            "IP:               10.244.1.2\n"
            "IPs:\n"
            "  IP:           10.244.1.2\n"
            "Controlled By:  ReplicaSet/my-nginx-3800858182\n"
            "Containers:\n"
            "  my-nginx:\n"
            "    Container ID:   lab://4f2a9c\n"
            "    Image:          nginx\n"
            "    Image ID:       docker.io/library/nginx@sha256:0d17b565\n"
            "    Port:           80/TCP\n"
            "    Host Port:      0/TCP\n"
            "    State:          Running\n"
            "      Started:      Thu, 26 Nov 2026 09:40:02 +0000\n"
            "    Ready:          True\n"
            "    Restart Count:  0\n"
            "    Readiness:      http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3\n"
            "    Environment:    <none>\n"
            "    Mounts:         <none>\n"
            "Conditions:\n"
            "  Type              Status\n"
            "  Initialized       True \n"
            "  Ready             True \n"
            "  ContainersReady   True \n"
            "  PodScheduled      True \n"
            "Volumes:            <none>\n"
            "QoS Class:          BestEffort\n"
            "Node-Selectors:     <none>\n"
            "Tolerations:        <none>\n"
            "Events:\n"
            "  Type    Reason     Age   From               Message\n"
            "  ----    ------     ----  ----               -------\n"
            "  Normal  Scheduled  33s   default-scheduler  Successfully assigned default/my-nginx-3800858182-jr4a2 "
            "to node-1\n"
            "  Normal  Pulled     32s   kubelet            Container image \"nginx\" already present on machine\n"
            "  Normal  Created    32s   kubelet            Created container my-nginx\n"
            "  Normal  Started    31s   kubelet            Started container my-nginx\n");
}

TEST_F(Describe, PendingPodWithoutNodeOrEvents) {
  Json p = pod();
  p["spec"].erase("nodeName");
  p["status"] = {{"phase", "Pending"}, {"conditions", {{{"type", "PodScheduled"}, {"status", "False"}}}}};
  p["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", "{}"}};
  std::string out = describe_pod(p, Json::array(), kNow);
  EXPECT_NE(out.find("Node:             <none>\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Start Time:"), std::string::npos);
  EXPECT_NE(out.find("Annotations:      <none>\n"), std::string::npos);  // last-applied is never shown
  EXPECT_NE(
      out.find("IP:               \nIPs:              <none>\nControlled By:    ReplicaSet/my-nginx-3800858182\n"),
      std::string::npos)
      << out;
  // Without a status the container has no ID, state or readiness lines.
  EXPECT_NE(out.find("  my-nginx:\n    Image:        nginx\n    Port:         80/TCP\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("Tolerations:     <none>\nEvents:          <none>\n")) << out;
}

TEST_F(Describe, CrashingContainerAndPodDetails) {
  Json p = pod();
  Json& c = p["spec"]["containers"][0];
  c["command"] = {"sh", "-c"};
  c["args"] = {"echo hi\nexit 1"};
  c["env"] = {{{"GREETING", nullptr}}, {{"MY_POD_IP", nullptr}}, {{"PASSWORD", nullptr}}};
  c["env"][0] = {{"name", "GREETING"}, {"value", "hello"}};
  c["env"][1] = {{"name", "MY_POD_IP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}};
  c["env"][2] = {{"name", "PASSWORD"}, {"valueFrom", {{"secretKeyRef", {{"name", "db"}, {"key", "pw"}}}}}};
  c["volumeMounts"] = {{{"name", "html"}, {"mountPath", "/usr/share/nginx/html"}, {"readOnly", true}}};
  c["livenessProbe"] = {{"tcpSocket", {{"port", 80}}}, {"initialDelaySeconds", 5}};
  c["resources"] = {{"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}}, {"requests", {{"cpu", "250m"}}}};
  c["ports"].push_back({{"containerPort", 443}, {"name", "https"}});
  p["spec"]["volumes"] = {{{"name", "html"}, {"emptyDir", Json::object()}}};
  p["spec"]["nodeSelector"] = {{"disk", "ssd"}};
  p["spec"]["tolerations"] = {{{"key", "node.kubernetes.io/unreachable"},
                               {"operator", "Exists"},
                               {"effect", "NoExecute"},
                               {"tolerationSeconds", 300}},
                              {{"key", "node.kubernetes.io/not-ready"},
                               {"operator", "Exists"},
                               {"effect", "NoExecute"},
                               {"tolerationSeconds", 300}}};
  Json& s = p["status"]["containerStatuses"][0];
  s["ready"] = false;
  s["restartCount"] = 3;
  s["state"] = {{"waiting", {{"reason", "CrashLoopBackOff"}}}};
  s["lastState"] = {{"terminated",
                     {{"exitCode", 1},
                      {"reason", "Error"},
                      {"startedAt", "2026-11-26T09:40:20Z"},
                      {"finishedAt", "2026-11-26T09:40:21Z"}}}};
  Json events = {event("BackOff", "Back-off restarting failed container my-nginx", "kubelet", "2026-11-26T09:40:10Z",
                       "2026-11-26T09:40:28Z", 3, "Warning")};
  std::string out = describe_pod(p, events, kNow);
  EXPECT_NE(out.find("  my-nginx:\n"
                     "    Container ID:  lab://4f2a9c\n"  // a run of its own: "Command:" ends it
                     "    Image:         nginx\n"
                     "    Image ID:      docker.io/library/nginx@sha256:0d17b565\n"
                     "    Ports:         80/TCP, 443/TCP (https)\n"
                     "    Host Ports:    0/TCP, 0/TCP (https)\n"
                     "    Command:\n"
                     "      sh\n"
                     "      -c\n"
                     "    Args:\n"
                     "      echo hi\n"
                     "      exit 1\n"
                     "    State:          Waiting\n"
                     "      Reason:       CrashLoopBackOff\n"
                     "    Last State:     Terminated\n"
                     "      Reason:       Error\n"
                     "      Exit Code:    1\n"
                     "      Started:      Thu, 26 Nov 2026 09:40:20 +0000\n"
                     "      Finished:     Thu, 26 Nov 2026 09:40:21 +0000\n"
                     "    Ready:          False\n"
                     "    Restart Count:  3\n"
                     "    Limits:\n"
                     "      cpu:     500m\n"
                     "      memory:  128Mi\n"
                     "    Requests:\n"
                     "      cpu:      250m\n"  // lines up with the probes below
                     "    Liveness:   tcp-socket :80 delay=5s timeout=1s period=10s #success=1 #failure=3\n"
                     "    Readiness:  http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3\n"
                     "    Environment:\n"
                     "      GREETING:   hello\n"
                     "      MY_POD_IP:  10.244.1.2 (v1:status.podIP)\n"
                     "      PASSWORD:   <set to the key 'pw' in secret 'db'>  Optional: false\n"
                     "    Mounts:\n"
                     "      /usr/share/nginx/html from html (ro)\n"
                     "Conditions:\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Volumes:\n"
                     "  html:\n"
                     "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)\n"
                     "    Medium:      \n"
                     "    SizeLimit:   <unset>\n"
                     "QoS Class:       Burstable\n"  // memory's request defaults to its limit, cpu's is lower
                     "Node-Selectors:  disk=ssd\n"
                     "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
                     "                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
                     "Events:\n"
                     "  Type     Reason   Age               From     Message\n"
                     "  ----     ------   ----              ----     -------\n"
                     "  Warning  BackOff  5s (x3 over 23s)  kubelet  Back-off restarting failed container my-nginx\n"),
            std::string::npos)
      << out;
}

TEST_F(Describe, EnvResolvesFromThePod) {
  Json p = pod();
  p["spec"]["containers"][0]["env"] = {
      {{"name", "NODE"}, {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "spec.nodeName"}}}}}},
      {{"name", "RUN"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['run']"}}}}}}};
  std::string out = describe_pod(p, Json::array(), kNow);
  EXPECT_NE(out.find("    Environment:\n"
                     "      NODE:  node-1 (v1:spec.nodeName)\n"
                     "      RUN:   my-nginx (v1:metadata.labels['run'])\n"),
            std::string::npos)
      << out;
}

TEST_F(Describe, QosAndAnnotations) {
  Json p = pod();
  p["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}},
                                             {"requests", {{"cpu", "1000m"}, {"memory", "1Gi"}}}};
  std::string long_value(150, 'x');
  p["metadata"]["annotations"] = {{"note", "a\nb\n"}, {"big", long_value}, {"short", "yes"}};
  std::string out = describe_pod(p, Json::array(), kNow);
  EXPECT_NE(out.find("QoS Class:          Guaranteed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Annotations:      big:\n"
                     "                    " +
                     std::string(138, 'x') +
                     "...\n"
                     "                  note:\n"
                     "                    a\n"
                     "                    b\n"
                     "                  short: yes\n"),
            std::string::npos)
      << out;
  p["status"]["qosClass"] = "Burstable";  // the server's word wins
  EXPECT_NE(describe_pod(p, Json::array(), kNow).find("QoS Class:          Burstable\n"), std::string::npos);
}

TEST_F(Describe, TimesAreLocal) {
  set_tz("CET-1");
  EXPECT_NE(describe_pod(pod(), Json::array(), kNow).find("Start Time:       Thu, 26 Nov 2026 10:40:00 +0100\n"),
            std::string::npos);
}

Json deployment() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "my-nginx", "namespace": "default", "uid": "deploy-uid-1",
                 "creationTimestamp": "2026-11-26T09:40:00Z", "labels": {"run": "my-nginx"},
                 "annotations": {"deployment.kubernetes.io/revision": "1"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"run": "my-nginx"}},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
             "template": {"metadata": {"labels": {"run": "my-nginx"}},
                          "spec": {"containers": [{"name": "my-nginx", "image": "nginx",
                                                   "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}},
    "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
               "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                              {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
  })");
}

Json replica_set(const std::string& hash, const std::string& image, int replicas, const char* created) {
  Json d = deployment();
  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", "my-nginx-" + hash},
               {"namespace", "default"},
               {"creationTimestamp", created},
               {"labels", {{"run", "my-nginx"}, {"pod-template-hash", hash}}},
               {"ownerReferences",
                {{{"kind", "Deployment"}, {"name", "my-nginx"}, {"uid", "deploy-uid-1"}, {"controller", true}}}}}},
             {"spec", {{"replicas", replicas}, {"template", d["spec"]["template"]}}},
             {"status", {{"replicas", replicas}}}};
  rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = hash;
  rs["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  return rs;
}

TEST_F(Describe, Deployment) {
  Json sets = {{"items",
                {replica_set("3800858182", "nginx", 2, "2026-11-26T09:40:00Z"),
                 replica_set("5d59d67564", "nginx:1.24", 0, "2026-11-26T09:30:00Z")}}};
  Json events = {{"items",
                  {{{"type", "Normal"},
                    {"reason", "ScalingReplicaSet"},
                    {"message", "Scaled up replica set my-nginx-3800858182 to 2"},
                    {"count", 1},
                    {"firstTimestamp", "2026-11-26T09:40:00Z"},
                    {"lastTimestamp", "2026-11-26T09:40:00Z"},
                    {"source", {{"component", "deployment-controller"}}}}}}};
  EXPECT_EQ(
      describe_deployment(deployment(), sets, events, kNow),
      "Name:                   my-nginx\n"
      "Namespace:              default\n"
      "CreationTimestamp:      Thu, 26 Nov 2026 09:40:00 +0000\n"
      "Labels:                 run=my-nginx\n"
      "Annotations:            deployment.kubernetes.io/revision: 1\n"
      "Selector:               run=my-nginx\n"
      "Replicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable\n"
      "StrategyType:           RollingUpdate\n"
      "MinReadySeconds:        0\n"
      "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
      "Pod Template:\n"
      "  Labels:  run=my-nginx\n"
      "  Containers:\n"
      "   my-nginx:\n"
      "    Image:         nginx\n"
      "    Port:          80/TCP\n"
      "    Host Port:     0/TCP\n"
      "    Environment:   <none>\n"
      "    Mounts:        <none>\n"
      "  Volumes:         <none>\n"
      "  Node-Selectors:  <none>\n"
      "  Tolerations:     <none>\n"
      "Conditions:\n"
      "  Type           Status  Reason\n"
      "  ----           ------  ------\n"
      "  Available      True    MinimumReplicasAvailable\n"
      "  Progressing    True    NewReplicaSetAvailable\n"
      "OldReplicaSets:  my-nginx-5d59d67564 (0/0 replicas created)\n"
      "NewReplicaSet:   my-nginx-3800858182 (2/2 replicas created)\n"
      "Events:\n"
      "  Type    Reason             Age   From                   Message\n"
      "  ----    ------             ----  ----                   -------\n"
      "  Normal  ScalingReplicaSet  33s   deployment-controller  Scaled up replica set my-nginx-3800858182 to 2\n");
}

TEST_F(Describe, DeploymentDefaultsAndNoReplicaSets) {
  Json d = deployment();
  d["spec"].erase("strategy");
  d["spec"].erase("replicas");
  d["status"] = Json::object();
  Json foreign = replica_set("3800858182", "nginx", 1, "2026-11-26T09:40:00Z");
  foreign["metadata"]["ownerReferences"][0]["uid"] = "someone-else";
  std::string out = describe_deployment(d, Json::array({foreign}), Json::array(), kNow);
  EXPECT_NE(out.find("Replicas:               1 desired | 0 updated | 0 total | 0 available | 0 unavailable\n"
                     "StrategyType:           RollingUpdate\n"
                     "MinReadySeconds:        0\n"
                     "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("Conditions:"), std::string::npos);
  EXPECT_EQ(out.find("ReplicaSet"), std::string::npos);  // neither Old nor New when none is owned
  EXPECT_TRUE(out.ends_with("  Tolerations:     <none>\nEvents:            <none>\n")) << out;

  d["spec"]["strategy"] = {{"type", "Recreate"}};
  EXPECT_EQ(describe_deployment(d, Json::array(), Json::array(), kNow).find("RollingUpdateStrategy"),
            std::string::npos);
}

TEST_F(Describe, GenericObject) {
  Json svc = Json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "my-nginx", "namespace": "default", "uid": "svc-uid", "resourceVersion": "42",
                 "creationTimestamp": "2026-11-26T09:40:00Z", "labels": {"run": "my-nginx"},
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "ipFamilies": ["IPv4"],
             "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"run": "my-nginx"},
             "sessionAffinity": "None", "type": "ClusterIP"},
    "status": {"loadBalancer": {}}
  })");
  EXPECT_EQ(describe_generic(svc, Json::array(), kNow),
            "Name:         my-nginx\n"
            "Namespace:    default\n"
            "Labels:       run=my-nginx\n"
            "Annotations:  <none>\n"
            "API Version:  v1\n"
            "Kind:         Service\n"
            "Metadata:\n"
            "  Creation Timestamp:  2026-11-26T09:40:00Z\n"
            "  Resource Version:    42\n"
            "  UID:                 svc-uid\n"
            "Spec:\n"
            "  Cluster IP:  10.96.0.10\n"
            "  Cluster I Ps:\n"
            "    10.96.0.10\n"
            "  Ip Families:\n"
            "    IPv4\n"
            "  Ports:\n"
            "    Port:         80\n"
            "    Protocol:     TCP\n"
            "    Target Port:  80\n"
            "  Selector:\n"
            "    Run:             my-nginx\n"
            "  Session Affinity:  None\n"
            "  Type:              ClusterIP\n"
            "Status:\n"
            "  Load Balancer:\n"
            "Events:  <none>\n");
}

// The tutorial's my-nginx Service (ClusterIP, one unnamed port 80) as the API server returns it.
Json service() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "my-nginx", "namespace": "default", "creationTimestamp": "2026-11-26T09:40:12Z",
                 "labels": {"run": "my-nginx"}},
    "spec": {"clusterIP": "10.0.162.149", "clusterIPs": ["10.0.162.149"], "type": "ClusterIP",
             "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"run": "my-nginx"},
             "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
             "internalTrafficPolicy": "Cluster"},
    "status": {"loadBalancer": {}}
  })");
}

// The tutorial's NodePort version: http 8080 -> 80 and https 443, node ports 31704 and 32453.
Json node_port_service() {
  Json svc = service();
  svc["spec"]["type"] = "NodePort";
  svc["spec"]["externalTrafficPolicy"] = "Cluster";
  svc["spec"]["ports"] = Json::parse(R"([
      {"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 80, "nodePort": 31704},
      {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443, "nodePort": 32453}])");
  return svc;
}

Json endpoint(const std::string& ip, Json ready = true) {
  Json e = {{"addresses", {ip}},
            {"conditions", {{"serving", true}, {"terminating", false}}},
            {"nodeName", "node-1"},
            {"targetRef", {{"kind", "Pod"}, {"name", "my-nginx-3800858182-jr4a2"}, {"namespace", "default"}}}};
  if (!ready.is_null()) e["conditions"]["ready"] = ready;
  return e;
}

Json slice(const std::string& name, Json endpoints,
           Json ports = Json::parse(R"([{"name": "", "port": 80, "protocol": "TCP"}])"),
           const std::string& service = "my-nginx") {
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", name},
            {"namespace", "default"},
            {"labels",
             {{"kubernetes.io/service-name", service},
              {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}}}},
          {"addressType", "IPv4"},
          {"endpoints", std::move(endpoints)},
          {"ports", std::move(ports)}};
}

TEST_F(Describe, TutorialServiceAsTheTutorialShowsIt) {
  // The tutorial's objects predate internalTrafficPolicy; without it the layout is the tutorial's own
  // (with kubectl's real two-space gap after <unset>).
  Json svc = service();
  svc["spec"].erase("internalTrafficPolicy");
  Json slices = {{"items", {slice("my-nginx-7vzhx", {endpoint("10.244.2.5"), endpoint("10.244.3.4")})}}};
  EXPECT_EQ(describe_service(svc, slices, Json::array(), kNow),
            "Name:              my-nginx\n"
            "Namespace:         default\n"
            "Labels:            run=my-nginx\n"
            "Annotations:       <none>\n"
            "Selector:          run=my-nginx\n"
            "Type:              ClusterIP\n"
            "IP Family Policy:  SingleStack\n"
            "IP Families:       IPv4\n"
            "IP:                10.0.162.149\n"
            "IPs:               10.0.162.149\n"
            "Port:              <unset>  80/TCP\n"
            "TargetPort:        80/TCP\n"
            "Endpoints:         10.244.2.5:80,10.244.3.4:80\n"
            "Session Affinity:  None\n"
            "Events:            <none>\n");
}

TEST_F(Describe, ServiceAsKubectl130ShowsIt) {
  // The API server fills internalTrafficPolicy, and kubectl 1.30 prints it.
  Json slices = {{"items", {slice("my-nginx-7vzhx", {endpoint("10.244.2.5"), endpoint("10.244.3.4")})}}};
  Json events = {{"items",
                  {{{"type", "Normal"},
                    {"reason", "Created"},
                    {"message", "Allocated cluster IP 10.0.162.149"},
                    {"source", {{"component", "service-controller"}}},
                    {"count", 1},
                    {"firstTimestamp", "2026-11-26T09:40:12Z"},
                    {"lastTimestamp", "2026-11-26T09:40:12Z"}}}}};
  EXPECT_EQ(describe_service(service(), slices, events, kNow),
            "Name:                     my-nginx\n"
            "Namespace:                default\n"
            "Labels:                   run=my-nginx\n"
            "Annotations:              <none>\n"
            "Selector:                 run=my-nginx\n"
            "Type:                     ClusterIP\n"
            "IP Family Policy:         SingleStack\n"
            "IP Families:              IPv4\n"
            "IP:                       10.0.162.149\n"
            "IPs:                      10.0.162.149\n"
            "Port:                     <unset>  80/TCP\n"
            "TargetPort:               80/TCP\n"
            "Endpoints:                10.244.2.5:80,10.244.3.4:80\n"
            "Session Affinity:         None\n"
            "Internal Traffic Policy:  Cluster\n"
            "Events:\n"
            "  Type    Reason   Age   From                Message\n"
            "  ----    ------   ----  ----                -------\n"
            "  Normal  Created  21s   service-controller  Allocated cluster IP 10.0.162.149\n");
}

TEST_F(Describe, NodePortServiceMatchesPortsByName) {
  Json ports = Json::parse(R"([{"name": "http", "port": 80, "protocol": "TCP"},
                               {"name": "https", "port": 443, "protocol": "TCP"}])");
  Json slices = Json::array({slice("my-nginx-7vzhx", {endpoint("10.244.2.5"), endpoint("10.244.3.4")}, ports)});
  EXPECT_EQ(describe_service(node_port_service(), slices, Json::array(), kNow),
            "Name:                     my-nginx\n"
            "Namespace:                default\n"
            "Labels:                   run=my-nginx\n"
            "Annotations:              <none>\n"
            "Selector:                 run=my-nginx\n"
            "Type:                     NodePort\n"
            "IP Family Policy:         SingleStack\n"
            "IP Families:              IPv4\n"
            "IP:                       10.0.162.149\n"
            "IPs:                      10.0.162.149\n"
            "Port:                     http  8080/TCP\n"
            "TargetPort:               80/TCP\n"
            "NodePort:                 http  31704/TCP\n"
            "Endpoints:                10.244.2.5:80,10.244.3.4:80\n"
            "Port:                     https  443/TCP\n"
            "TargetPort:               443/TCP\n"
            "NodePort:                 https  32453/TCP\n"
            "Endpoints:                10.244.2.5:443,10.244.3.4:443\n"
            "Session Affinity:         None\n"
            "External Traffic Policy:  Cluster\n"
            "Internal Traffic Policy:  Cluster\n"
            "Events:                   <none>\n");
}

TEST_F(Describe, LoadBalancerServiceFields) {
  Json svc = node_port_service();
  svc["spec"]["type"] = "LoadBalancer";
  svc["spec"]["ports"].erase(1);
  svc["spec"]["ports"][0]["targetPort"] = "http";  // a container port name, resolved per pod
  svc["spec"]["loadBalancerIP"] = "172.18.255.201";
  svc["spec"]["externalTrafficPolicy"] = "Local";
  svc["spec"]["healthCheckNodePort"] = 32000;
  svc["spec"]["sessionAffinity"] = "ClientIP";
  svc["status"]["loadBalancer"]["ingress"] = {{{"ip", "172.18.255.201"}, {"ipMode", "VIP"}},
                                              {{"hostname", "lb.example.com"}}};
  std::string out = describe_service(svc, Json::array(), Json::array(), kNow);
  EXPECT_NE(out.find("IPs:                      10.0.162.149\n"
                     "Desired LoadBalancer IP:  172.18.255.201\n"
                     "LoadBalancer Ingress:     172.18.255.201 (VIP), lb.example.com\n"
                     "Port:                     http  8080/TCP\n"
                     "TargetPort:               http/TCP\n"
                     "NodePort:                 http  31704/TCP\n"
                     "Endpoints:                <none>\n"
                     "Session Affinity:         ClientIP\n"
                     "External Traffic Policy:  Local\n"
                     "Internal Traffic Policy:  Cluster\n"
                     "HealthCheck NodePort:     32000\n"
                     "Events:                   <none>\n"),
            std::string::npos)
      << out;
  // Pending: no ingress line at all.
  svc["status"]["loadBalancer"] = Json::object();
  EXPECT_EQ(describe_service(svc, Json::array(), Json::array(), kNow).find("LoadBalancer Ingress"), std::string::npos);
}

// Only the Endpoints line of the tutorial Service, for a given set of slices.
std::string endpoints_line(const Json& slices, Json svc = service()) {
  std::string out = describe_service(svc, slices, Json::array(), Clock::time_point{});
  size_t b = out.find("Endpoints:");
  std::string line = out.substr(b, out.find('\n', b) - b);
  line.erase(0, line.find_first_not_of(' ', std::string("Endpoints:").size()));
  return line;
}

TEST_F(Describe, ServiceEndpointsLine) {
  // Ready ones only (a missing condition counts as ready), across slices in name order, three at most.
  Json two = Json::array({slice("my-nginx-b", {endpoint("10.244.3.4"), endpoint("10.244.3.5", false)}),
                          slice("my-nginx-a", {endpoint("10.244.2.5", nullptr)})});
  EXPECT_EQ(endpoints_line(two), "10.244.2.5:80,10.244.3.4:80");
  Json five = Json::array({slice("my-nginx-a", {endpoint("10.244.1.5"), endpoint("10.244.1.6"), endpoint("10.244.2.5"),
                                                endpoint("10.244.2.6"), endpoint("10.244.3.4")})});
  EXPECT_EQ(endpoints_line(five), "10.244.1.5:80,10.244.1.6:80,10.244.2.5:80 + 2 more...");
  // kubectl's quirk: "more" is decided before readiness.
  Json quirk = Json::array({slice("my-nginx-a", {endpoint("10.244.1.5"), endpoint("10.244.1.6"), endpoint("10.244.2.5"),
                                                 endpoint("10.244.2.6", false)})});
  EXPECT_EQ(endpoints_line(quirk), "10.244.1.5:80,10.244.1.6:80,10.244.2.5:80 + 0 more...");
  // No slices: <none>. A slice without ready endpoints (the controller's placeholder): empty.
  EXPECT_EQ(endpoints_line(Json::array()), "<none>");
  EXPECT_EQ(endpoints_line(Json::array({slice("my-nginx-a", Json::array(), Json::array())})), "");
  EXPECT_EQ(endpoints_line(Json::array({slice("my-nginx-a", {endpoint("10.244.1.5", false)})})), "");
  // Another Service's slices do not count; nor do slices whose port has another name.
  EXPECT_EQ(endpoints_line(Json::array({slice("web-a", {endpoint("10.244.1.5")}, Json::parse(R"([{"port": 80}])"),
                                              "web")})),
            "<none>");
  EXPECT_EQ(endpoints_line(Json::array({slice("my-nginx-a", {endpoint("10.244.1.5")},
                                              Json::parse(R"([{"name": "http", "port": 80}])"))})),
            "");
  // Headless Services may have no ports: bare addresses. IPv6 addresses get brackets.
  EXPECT_EQ(endpoints_line(Json::array({slice("my-nginx-a", {endpoint("10.244.1.5")}, Json::array())})),
            "10.244.1.5");
  EXPECT_EQ(endpoints_line(Json::array({slice("my-nginx-a", {endpoint("fd00::5")})})), "[fd00::5]:80");
}

TEST_F(Describe, ServiceWithoutOptionalFields) {
  Json svc = Json::parse(R"({"metadata": {"name": "db", "namespace": "default"},
                             "spec": {"ports": [{"port": 5432}]}})");
  EXPECT_EQ(describe_service(svc, Json::array(), Json::array(), kNow),
            "Name:              db\n"
            "Namespace:         default\n"
            "Labels:            <none>\n"
            "Annotations:       <none>\n"
            "Selector:          <none>\n"
            "Type:              ClusterIP\n"
            "IP Families:       <none>\n"
            "IP:                \n"
            "IPs:               <none>\n"
            "Port:              <unset>  5432/TCP\n"
            "TargetPort:        5432/TCP\n"
            "Endpoints:         <none>\n"
            "Session Affinity:  None\n"
            "Events:            <none>\n");
}

TEST_F(Describe, EndpointSlice) {
  Json s = slice("my-nginx-7vzhx", {endpoint("10.244.2.5"), endpoint("10.244.3.4", nullptr)});
  s["endpoints"][1]["zone"] = "zone-a";
  s["endpoints"][1].erase("targetRef");
  EXPECT_EQ(describe_endpoint_slice(s, Json::array(), kNow),
            "Name:         my-nginx-7vzhx\n"
            "Namespace:    default\n"
            "Labels:       endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io\n"
            "              kubernetes.io/service-name=my-nginx\n"
            "Annotations:  <none>\n"
            "AddressType:  IPv4\n"
            "Ports:\n"
            "  Name     Port  Protocol\n"
            "  ----     ----  --------\n"
            "  <unset>  80    TCP\n"
            "Endpoints:\n"
            "  - Addresses:  10.244.2.5\n"
            "    Conditions:\n"
            "      Ready:    true\n"
            "    Hostname:   <unset>\n"
            "    TargetRef:  Pod/my-nginx-3800858182-jr4a2\n"
            "    NodeName:   node-1\n"
            "    Zone:       <unset>\n"
            "  - Addresses:  10.244.3.4\n"
            "    Conditions:\n"
            "      Ready:   <unset>\n"
            "    Hostname:  <unset>\n"
            "    NodeName:  node-1\n"
            "    Zone:      zone-a\n"
            "Events:        <none>\n");
  Json empty = slice("my-nginx-zzzzz", Json::array(), Json::array());
  std::string out = describe_endpoint_slice(empty, Json::array(), kNow);
  EXPECT_NE(out.find("AddressType:  IPv4\nPorts: <unset>\nEndpoints: <none>\nEvents:  <none>\n"), std::string::npos)
      << out;
}

TEST_F(Describe, NamespaceBeingDeletedShowsItsConditions) {
  Json ns = Json::parse(R"({"apiVersion":"v1","kind":"Namespace",
    "metadata":{"name":"shop","labels":{"kubernetes.io/metadata.name":"shop"},"deletionTimestamp":"2026-11-26T09:40:29Z"},
    "spec":{"finalizers":["kubernetes"]},
    "status":{"phase":"Terminating","conditions":[
      {"type":"NamespaceDeletionContentFailure","status":"False","lastTransitionTime":"2026-11-26T09:40:30Z",
       "reason":"ContentDeleted","message":"All content successfully deleted, may be waiting on finalization"},
      {"type":"NamespaceContentRemaining","status":"True","lastTransitionTime":"2026-11-26T09:40:30Z",
       "reason":"SomeResourcesRemain","message":"Some resources are remaining: pods. has 1 resource instances"}]}})");
  EXPECT_EQ(describe_namespace(ns),
            "Name:         shop\n"
            "Labels:       kubernetes.io/metadata.name=shop\n"
            "Annotations:  <none>\n"
            "Status:       Terminating\n"
            "Conditions:\n"
            "  Type                             Status  LastTransitionTime               Reason               Message\n"
            "  ----                             ------  ------------------               ------               -------\n"
            "  NamespaceDeletionContentFailure  False   Thu, 26 Nov 2026 09:40:30 +0000  ContentDeleted       All content successfully deleted, may be waiting on finalization\n"
            "  NamespaceContentRemaining        True    Thu, 26 Nov 2026 09:40:30 +0000  SomeResourcesRemain  Some resources are remaining: pods. has 1 resource instances\n");
  // An Active one: the four lines kubectl prints against a server without ResourceQuotas.
  ns["status"] = {{"phase", "Active"}};
  ns["metadata"]["annotations"] = {{"team", "blue"}};
  EXPECT_EQ(describe_namespace(ns),
            "Name:         shop\nLabels:       kubernetes.io/metadata.name=shop\nAnnotations:  team: blue\nStatus:       Active\n");
}

}  // namespace
}  // namespace lab::cli
