// Scenario checks that must all happen before anything is built, with file:line:field: ranges a
// lab must never route, NodePorts and ClusterIPs the allocator would refuse, nodes that do not
// exist, text that is not UTF-8, and files too large to ever finish.
#include <gtest/gtest.h>

#include <string>

#include "lab/api/scenario.h"

namespace lab::api {
namespace {

std::string error_of(const std::string& yaml, ScenarioUse use = ScenarioUse::Up) {
  auto s = parse_scenario(yaml, "s.yaml", use);
  return s ? "(no error)" : s.error().what();
}

std::string lab(const std::string& field, const std::string& value) {
  return "kind: Lab\nmetadata: {name: x}\nspec:\n  " + field + ": " + value + "\n";
}

std::string service(const std::string& name, const std::string& spec_lines) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\nspec:\n" + spec_lines;
}

const std::string kThisNetwork =
    "must not overlap the \"this network\" block 0.0.0.0/8 (unspecified addresses; routed there, node traffic "
    "would leave through the host's uplink)";

TEST(ScenarioRanges, SpecialBlocksAreRefusedWithLineAndField) {
  EXPECT_EQ(error_of(lab("nodeCIDR", "0.0.0.0/16")),
            "s.yaml:4:13: Lab \"x\": spec.nodeCIDR: Invalid value: \"0.0.0.0/16\": " + kThisNetwork);
  EXPECT_EQ(error_of(lab("nodeCIDR", "127.0.0.0/16")),
            "s.yaml:4:13: Lab \"x\": spec.nodeCIDR: Invalid value: \"127.0.0.0/16\": must not overlap the loopback "
            "block 127.0.0.0/8");
  EXPECT_EQ(error_of(lab("nodeCIDR", "224.0.0.0/16")),
            "s.yaml:4:13: Lab \"x\": spec.nodeCIDR: Invalid value: \"224.0.0.0/16\": must not overlap the multicast "
            "block 224.0.0.0/4");
  EXPECT_EQ(error_of(lab("podCIDR", "127.0.0.0/16")),
            "s.yaml:4:12: Lab \"x\": spec.podCIDR: Invalid value: \"127.0.0.0/16\": must not overlap the loopback "
            "block 127.0.0.0/8");
  EXPECT_EQ(error_of(lab("serviceCIDR", "169.254.0.0/16")),
            "s.yaml:4:16: Lab \"x\": spec.serviceCIDR: Invalid value: \"169.254.0.0/16\": must not overlap the "
            "link-local block 169.254.0.0/16");
  EXPECT_EQ(error_of(lab("nodeCIDR", "255.255.255.0/24")),
            "s.yaml:4:13: Lab \"x\": spec.nodeCIDR: Invalid value: \"255.255.255.0/24\": must not overlap the "
            "reserved block 240.0.0.0/4 (which holds the broadcast address 255.255.255.255)");
  EXPECT_EQ(error_of(lab("loadBalancerPool", "127.0.0.10-127.0.0.20")),
            "s.yaml:4:21: Lab \"x\": spec.loadBalancerPool: Invalid value: \"127.0.0.10-127.0.0.20\": must not "
            "overlap the loopback block 127.0.0.0/8");
  // A block that only reaches into one: 126.0.0.0/7 holds 127.0.0.0/8.
  EXPECT_NE(error_of(lab("nodeCIDR", "126.0.0.0/7")).find("must not overlap the loopback block"), std::string::npos);
  EXPECT_NE(error_of(lab("nodeCIDR", "0.0.0.0/0")).find("must not overlap"), std::string::npos);
  // Private and shared ranges next to them are fine.
  for (const char* ok : {"10.50.0.0/16", "192.168.0.0/16", "100.64.0.0/16", "1.0.0.0/16", "223.255.0.0/16"})
    EXPECT_EQ(error_of(lab("nodeCIDR", ok)), "(no error)") << ok;
  EXPECT_EQ(error_of(lab("podCIDR", "10.200.0.0/16")), "(no error)");
}

TEST(ScenarioRanges, SpecialRangeProblemBounds) {
  EXPECT_EQ(special_range_problem(0x7effffff, 0x7effffff), "");               // 126.255.255.255
  EXPECT_NE(special_range_problem(0x7effffff, 0x7f000000), "");               // reaches 127.0.0.0
  EXPECT_EQ(special_range_problem(0xdfffffff, 0xdfffffff), "");               // 223.255.255.255
  EXPECT_NE(special_range_problem(0xffffffff, 0xffffffff), "");               // broadcast
  EXPECT_EQ(special_range_problem(0x01000000, 0x7effffff), "");               // 1.0.0.0 - 126.255.255.255
}

TEST(ScenarioServices, NodePortOutsideTheRangeIsRefusedWithItsLine) {
  const std::string yaml = service("np", "  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 1\n");
  const std::string want = "s.yaml:9:15: Service \"np\": spec.ports[0].nodePort: Invalid value: 1: provided port is "
                           "not in the valid range. The range of valid ports is 30000-32767";
  EXPECT_EQ(error_of(yaml), want);
  EXPECT_EQ(error_of(yaml, ScenarioUse::Objects), want);  // the range is the same in every lab
  EXPECT_NE(error_of(service("np", "  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 32768\n"))
                .find("The range of valid ports is 30000-32767"),
            std::string::npos);
  EXPECT_EQ(error_of(service("np", "  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30000\n")), "(no error)");
  EXPECT_EQ(error_of(service("np", "  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 0\n")), "(no error)");
}

TEST(ScenarioServices, TwoServicesMayNotAskForTheSameNodePortOrClusterIP) {
  const std::string a = service("a", "  type: NodePort\n  clusterIP: 10.96.0.50\n  ports:\n  - port: 80\n"
                                     "    nodePort: 30080\n");
  EXPECT_EQ(error_of(a + "---\n" + service("b", "  type: NodePort\n  ports:\n  - port: 81\n    nodePort: 30080\n")),
            "s.yaml:20:15: Service \"b\": spec.ports[0].nodePort: Invalid value: 30080: provided port is already "
            "allocated (by Service \"a\" at line 10)");
  EXPECT_EQ(error_of(a + "---\n" + service("b", "  clusterIP: 10.96.0.50\n  ports:\n  - port: 81\n")),
            "s.yaml:17:14: Service \"b\": spec.clusterIP: Invalid value: \"10.96.0.50\": failed to allocate IP "
            "10.96.0.50: provided IP is already allocated (by Service \"a\" at line 7)");
  EXPECT_EQ(error_of(a + "---\n" + service("b", "  clusterIP: None\n  ports:\n  - port: 81\n") + "---\n" +
                     service("c", "  clusterIP: None\n  ports:\n  - port: 81\n")),
            "(no error)");
}

TEST(ScenarioServices, ClusterIPOutsideTheLabsServiceCidr) {
  const std::string svc = service("s", "  clusterIPs: [192.168.77.7]\n  ports:\n  - port: 80\n");
  EXPECT_EQ(error_of(svc),
            "s.yaml:6:16: Service \"s\": spec.clusterIPs[0]: Invalid value: \"192.168.77.7\": failed to allocate IP "
            "192.168.77.7: the provided IP (192.168.77.7) is not in the valid range. The range of valid IPs is "
            "10.96.0.0/12 (spec.serviceCIDR of the Lab)");
  EXPECT_EQ(error_of(lab("serviceCIDR", "192.168.0.0/16") + "---\n" + svc), "(no error)");
  // `lab apply` sends them to a running lab, whose own range the server checks.
  EXPECT_EQ(error_of(svc, ScenarioUse::Objects), "(no error)");
}

TEST(ScenarioNodes, NodeNameMustBeANodeOfTheLab) {
  const std::string p = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  nodeName: node-9\n"
                        "  containers:\n  - {name: c, image: busybox}\n";
  EXPECT_EQ(error_of(p), "s.yaml:5:13: Pod \"p\": spec.nodeName: Invalid value: \"node-9\": not a node of this lab "
                         "(nodes: node-1, node-2)");
  EXPECT_EQ(error_of(lab("nodes", "9") + "---\n" + p), "(no error)");
  EXPECT_EQ(error_of(p, ScenarioUse::Objects), "(no error)");
}

TEST(ScenarioText, InvalidUtf8IsAnErrorWithALine) {
  const std::string env = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                          "  - name: c\n    image: busybox\n    env:\n    - name: A\n      value: \"a\xff\"\n";
  EXPECT_EQ(error_of(env), "s.yaml:10:14: Pod \"p\": spec.containers[0].env[0].value: not valid UTF-8");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"p\xff\"\n"),
            "s.yaml:4:9: Pod \"p\xef\xbf\xbd\": metadata.name: not valid UTF-8");
  EXPECT_EQ(error_of("apiVersion: \"v1\xfe\"\nkind: Pod\n"),
            "s.yaml:1:13: Pod: apiVersion: expected \"v1\" for kind Pod, got \"v1\xef\xbf\xbd\"");
  EXPECT_EQ(error_of("apiVersion: v1\nkind: \"Pod\xc0\"\n"),
            "s.yaml:2:7: kind \"Pod\xef\xbf\xbd\" is not supported (supported: Lab, Pod, Deployment, Service, Secret, ConfigMap, Namespace, "
            "ServiceAccount, Endpoints, EndpointSlice)");
  EXPECT_EQ(error_of("kind: Lab\nmetadata: {name: \"\xff\"}\n"),
            "s.yaml:2:18: Lab \"\xef\xbf\xbd\": metadata.name: not valid UTF-8");
  for (const std::string& bad : {env, std::string("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"p\xff\"\n")})
    EXPECT_EQ(error_of(bad).find("internal error"), std::string::npos);
}

TEST(ScenarioLimits, TooLargeAFileIsRefusedAtOnce) {
  const std::string big(kMaxScenarioBytes + 1, '#');
  EXPECT_EQ(error_of(big), "s.yaml: too large: a scenario holds at most 3 MiB (3145728 bytes), as the API takes in "
                           "one request");
  auto zero = load_scenario("/dev/zero");  // never ends: reading stops past the limit
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message,
            "/dev/zero: too large: a scenario holds at most 3 MiB (3145728 bytes), as the API takes in one request");
}

TEST(ScenarioLimits, TooManyDocuments) {
  std::string yaml;
  for (size_t i = 0; i <= kMaxScenarioDocuments; ++i) yaml += "a: 1\n---\n";
  EXPECT_EQ(error_of(yaml), "s.yaml:" + std::to_string(2 * kMaxScenarioDocuments + 1) +
                                ":1: too many documents: a scenario holds at most 10000 (a Deployment's replicas "
                                "make many pods from one)");
}

TEST(ScenarioLimits, AliasesThatExpandWithoutEnd) {
  // Eight lines that stand for 10^9 values once aliases are copied.
  std::string yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx0: &a0 [1,1,1,1,1,1,1,1,1,1]\n";
  for (int i = 1; i <= 8; ++i) {
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ",*a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  const std::string e = error_of(yaml);
  EXPECT_NE(e.find("too many values: a scenario holds at most 500000 (scalars, lists and mappings; an alias counts "
                   "each time it is used)"),
            std::string::npos)
      << e;
  EXPECT_TRUE(e.starts_with("s.yaml:")) << e;
}

}  // namespace
}  // namespace lab::api

namespace lab::api {
namespace {

TEST(ScenarioLab, PodEvictionTimeoutIsReadAndChecked) {
  auto s = parse_scenario(lab("podEvictionTimeoutSeconds", "5"), "s.yaml", ScenarioUse::Up);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->lab.pod_eviction_timeout_seconds, 5);
  auto d = parse_scenario(lab("nodes", "2"), "s.yaml", ScenarioUse::Up);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->lab.pod_eviction_timeout_seconds, 20) << "the default";
  EXPECT_EQ(error_of(lab("podEvictionTimeoutSeconds", "0")),
            "s.yaml:4:30: Lab \"x\": spec.podEvictionTimeoutSeconds: Invalid value: 0: must be between 1 and 3600 "
            "(seconds)");
  EXPECT_NE(error_of(lab("podEvictionTimeoutSeconds", "\"20s\"")).find("spec.podEvictionTimeoutSeconds"),
            std::string::npos);
}

}  // namespace
}  // namespace lab::api
