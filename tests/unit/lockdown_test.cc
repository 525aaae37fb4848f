// Lockdown without root: capability names and add/drop, the securityContext merge and
// runAsNonRoot, quantities, cgroup paths and values, the OOM and usage files' parsing, the
// securityContext schema, and `lab top`'s tables.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include "lab/api/validate.h"
#include "lab/cli/top.h"
#include "lab/node/pod_security.h"
#include "runtime/caps.h"
#include "runtime/cgroups.h"
#include "runtime/pod_spec.h"
#include "runtime/supervisor.h"

namespace lab {
namespace {

using Json = nlohmann::json;
using runtime::cap_bit;

// ---- capabilities ----

TEST(Caps, DockersDefaultSetIsFourteen) {
  EXPECT_EQ(__builtin_popcountll(runtime::default_caps()), 14);
  EXPECT_TRUE(runtime::default_caps() & cap_bit(CAP_NET_BIND_SERVICE));
  EXPECT_FALSE(runtime::default_caps() & cap_bit(CAP_SYS_ADMIN));
  EXPECT_FALSE(runtime::default_caps() & cap_bit(CAP_NET_ADMIN));
}

TEST(Caps, NamesWithOrWithoutThePrefixInAnyCase) {
  EXPECT_EQ(runtime::capability_from_name("NET_ADMIN").value(), CAP_NET_ADMIN);
  EXPECT_EQ(runtime::capability_from_name("CAP_NET_ADMIN").value(), CAP_NET_ADMIN);
  EXPECT_EQ(runtime::capability_from_name("cap_sys_ptrace").value(), CAP_SYS_PTRACE);
  EXPECT_EQ(runtime::capability_from_name("chown").value(), CAP_CHOWN);
  EXPECT_FALSE(runtime::capability_from_name("NET_ADMINS"));
  EXPECT_FALSE(runtime::capability_from_name(""));
  EXPECT_FALSE(runtime::capability_from_name("CAP_"));
  EXPECT_EQ(runtime::capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
}

TEST(Caps, AddAndDropInContainerdsOrder) {
  auto d = runtime::default_caps();
  EXPECT_EQ(runtime::adjust_caps(d, {"NET_ADMIN"}, {}).value(), d | cap_bit(CAP_NET_ADMIN));
  EXPECT_EQ(runtime::adjust_caps(d, {}, {"ALL"}).value(), 0u);
  EXPECT_EQ(runtime::adjust_caps(d, {"NET_BIND_SERVICE"}, {"all"}).value(), cap_bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(runtime::adjust_caps(d, {"ALL"}, {"CHOWN"}).value(), runtime::all_caps() & ~cap_bit(CAP_CHOWN));
  // A drop wins over an add of the same capability.
  EXPECT_EQ(runtime::adjust_caps(d, {"KILL"}, {"CAP_KILL"}).value(), d & ~cap_bit(CAP_KILL));
  EXPECT_FALSE(runtime::adjust_caps(d, {"NOPE"}, {}));
}

// ---- securityContext and resources ----

Json pod_with(Json pod_sc, Json container_sc, Json resources = Json::object()) {
  Json c = {{"name", "app"}, {"image", "busybox"}};
  if (!container_sc.is_null()) c["securityContext"] = container_sc;
  if (!resources.empty()) c["resources"] = resources;
  Json spec = {{"containers", Json::array({c})}};
  if (!pod_sc.is_null()) spec["securityContext"] = pod_sc;
  return {{"metadata", {{"name", "p"}, {"namespace", "default"}, {"uid", "u-1"}}}, {"spec", spec}};
}

runtime::PodRuntimeSpec runtime_for(const Json& pod) {
  runtime::PodRuntimeSpec s;
  for (const auto& c : pod["spec"]["containers"]) {
    s.containers.emplace_back();
    s.containers.back().name = c["name"].get<std::string>();
  }
  return s;
}

TEST(PodSecurity, NothingSetIsDockersDefaults) {
  Json pod = pod_with(nullptr, nullptr);
  auto spec = runtime_for(pod);
  EXPECT_FALSE(node::resolve_security("l1", pod, spec));
  EXPECT_EQ(spec.containers[0].security, runtime::SecuritySpec{});
  EXPECT_EQ(spec.containers[0].resources, runtime::CgroupLimits{});
  EXPECT_EQ(spec.cgroup, "lab-l1/pod-u-1");
  EXPECT_EQ(spec.pod_resources.pids_max, node::kPodPidsLimit);
  EXPECT_EQ(spec.pod_resources.memory_bytes, 0);
}

TEST(PodSecurity, TheContainersFieldsWinOverThePods) {
  Json pod = pod_with({{"runAsUser", 1000}, {"runAsGroup", 3000}, {"supplementalGroups", {4000, 4001}},
                       {"fsGroup", 2000}, {"seccompProfile", {{"type", "Unconfined"}}}},
                      {{"runAsUser", 1001}, {"readOnlyRootFilesystem", true},
                       {"capabilities", {{"add", {"NET_ADMIN"}}, {"drop", {"KILL"}}}}});
  auto spec = runtime_for(pod);
  ASSERT_FALSE(node::resolve_security("l1", pod, spec));
  const auto& s = spec.containers[0].security;
  EXPECT_EQ(s.run_as_user, 1001);
  EXPECT_EQ(s.run_as_group, 3000);
  EXPECT_EQ(s.supplemental_groups, (std::vector<int64_t>{4000, 4001, 2000}));
  EXPECT_EQ(spec.fs_group, 2000);
  EXPECT_TRUE(s.seccomp_unconfined);
  EXPECT_TRUE(s.read_only_root);
  EXPECT_EQ(s.capabilities, (runtime::default_caps() | cap_bit(CAP_NET_ADMIN)) & ~cap_bit(CAP_KILL));
  // The container's own seccompProfile wins over the pod's.
  pod["spec"]["containers"][0]["securityContext"]["seccompProfile"] = {{"type", "RuntimeDefault"}};
  ASSERT_FALSE(node::resolve_security("l1", pod, spec));
  EXPECT_FALSE(spec.containers[0].security.seccomp_unconfined);
}

TEST(PodSecurity, RunAsNonRootRefusesARootContainer) {
  Json pod = pod_with({{"runAsNonRoot", true}}, nullptr);
  auto spec = runtime_for(pod);
  auto bad = node::resolve_security("l1", pod, spec);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->container, "app");
  EXPECT_EQ(bad->message,
            "container has runAsNonRoot and image will run as root (pod: \"p_default(u-1)\", container: app)");
  pod["spec"]["containers"][0]["securityContext"] = {{"runAsUser", 0}};
  bad = node::resolve_security("l1", pod, spec);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(bad->message.starts_with("container's runAsUser breaks non-root policy")) << bad->message;
  pod["spec"]["containers"][0]["securityContext"] = {{"runAsUser", 1000}};
  EXPECT_FALSE(node::resolve_security("l1", pod, spec));
  pod["spec"]["containers"][0]["securityContext"] = {{"runAsNonRoot", false}};
  EXPECT_FALSE(node::resolve_security("l1", pod, spec));
}

TEST(PodSecurity, LimitsBecomeCgroupValues) {
  Json pod = pod_with(nullptr, nullptr,
                      {{"limits", {{"memory", "32Mi"}, {"cpu", "100m"}}}, {"requests", {{"cpu", "50m"}}}});
  auto spec = runtime_for(pod);
  ASSERT_FALSE(node::resolve_security("l1", pod, spec));
  const auto& r = spec.containers[0].resources;
  EXPECT_EQ(r.memory_bytes, 32 * 1024 * 1024);
  EXPECT_EQ(r.cpu_quota_us, 10'000);
  EXPECT_EQ(r.cpu_period_us, 100'000);
  EXPECT_EQ(r.cpu_shares, 51);  // 50m * 1024 / 1000
  // Every container has limits: the pod's are their sum.
  EXPECT_EQ(spec.pod_resources.memory_bytes, 32 * 1024 * 1024);
  EXPECT_EQ(spec.pod_resources.cpu_quota_us, 10'000);
  // A limit alone is its request too.
  pod = pod_with(nullptr, nullptr, {{"limits", {{"cpu", "2"}}}});
  ASSERT_FALSE(node::resolve_security("l1", pod, spec));
  EXPECT_EQ(spec.containers[0].resources.cpu_shares, 2048);
  EXPECT_EQ(spec.containers[0].resources.cpu_quota_us, 200'000);
  EXPECT_EQ(spec.pod_resources.memory_bytes, 0);  // not every container has a memory limit
}

TEST(PodSecurity, Quantities) {
  EXPECT_EQ(node::quantity_milli("100m").value(), 100);
  EXPECT_EQ(node::quantity_milli("0.5").value(), 500);
  EXPECT_EQ(node::quantity_milli("2").value(), 2000);
  EXPECT_EQ(node::quantity_milli("1.0001").value(), 1001);  // rounded up, as MilliValue
  EXPECT_EQ(node::quantity_value("128Mi").value(), 128 * 1024 * 1024);
  EXPECT_EQ(node::quantity_value("1G").value(), 1'000'000'000);
  EXPECT_EQ(node::quantity_value("1e3").value(), 1000);
  EXPECT_EQ(node::quantity_value("1.5Ki").value(), 1536);
  EXPECT_FALSE(node::quantity_value("12MB"));
  EXPECT_FALSE(node::quantity_value("Mi"));
  EXPECT_FALSE(node::quantity_value("1.2.3"));
  EXPECT_FALSE(node::quantity_value("1e"));
}

TEST(PodSecurity, TheRuntimeSpecCarriesItThroughJson) {
  runtime::PodRuntimeSpec p;
  p.name = "p";
  p.state_dir = "/x";
  p.cgroup = "lab-l/pod-u";
  p.pod_resources.pids_max = 4096;
  p.fs_group = 2000;
  runtime::ContainerSpec c;
  c.name = "a";
  c.image = "busybox";
  c.security.run_as_user = 1000;
  c.security.supplemental_groups = {2000};
  c.security.capabilities = cap_bit(CAP_CHOWN);
  c.security.read_only_root = true;
  c.resources.memory_bytes = 1 << 25;
  c.resources.cpu_quota_us = 10'000;
  p.containers.push_back(c);
  auto back = Json(p).get<runtime::PodRuntimeSpec>();
  EXPECT_EQ(back.cgroup, p.cgroup);
  EXPECT_EQ(back.pod_resources, p.pod_resources);
  EXPECT_EQ(back.fs_group, 2000);
  EXPECT_EQ(back.containers[0].security, c.security);
  EXPECT_EQ(back.containers[0].resources, c.resources);
  // Without the keys: Docker's defaults.
  runtime::ContainerSpec plain;
  plain.name = "b";
  plain.image = "busybox";
  EXPECT_EQ(Json(plain).get<runtime::ContainerSpec>().security, runtime::SecuritySpec{});
}

// ---- cgroups ----

constexpr const char* kHybrid =
    "25 1 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw\n"
    "34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory\n"
    "35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct\n"
    "36 30 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids\n"
    "37 30 0:33 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,freezer\n";

TEST(Cgroups, HybridHostsUseV1AndCoMountedControllersShareADirectory) {
  auto l = runtime::parse_cgroup_layout(kHybrid);
  ASSERT_EQ(l.version, runtime::CgroupVersion::V1);
  EXPECT_EQ(l.v1.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(l.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l.v1.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_FALSE(l.v1.contains("freezer"));
  std::string pod = runtime::pod_cgroup("demo", "u-1");
  EXPECT_EQ(pod, "lab-demo/pod-u-1");
  EXPECT_EQ(runtime::container_cgroup(pod, "tasks"), "lab-demo/pod-u-1/ctr-tasks");
  EXPECT_EQ(runtime::cgroup_dirs(l, pod),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/lab-demo/pod-u-1", "/sys/fs/cgroup/cpu,cpuacct/lab-demo/pod-u-1",
                                      "/sys/fs/cgroup/pids/lab-demo/pod-u-1"}));
  runtime::CgroupLimits lim{.memory_bytes = 33554432, .cpu_quota_us = 10000, .cpu_period_us = 100000,
                            .cpu_shares = 102, .pids_max = 4096};
  using W = runtime::CgroupWrite;
  EXPECT_EQ(runtime::limit_writes(l, "x", lim),
            (std::vector<W>{{"/sys/fs/cgroup/memory/x/memory.limit_in_bytes", "33554432"},
                            {"/sys/fs/cgroup/cpu,cpuacct/x/cpu.cfs_period_us", "100000"},
                            {"/sys/fs/cgroup/cpu,cpuacct/x/cpu.cfs_quota_us", "10000"},
                            {"/sys/fs/cgroup/cpu,cpuacct/x/cpu.shares", "102"},
                            {"/sys/fs/cgroup/pids/x/pids.max", "4096"}}));
  EXPECT_TRUE(runtime::limit_writes(l, "x", {}).empty());
  EXPECT_EQ(runtime::oom_events_file(l, "x"), "/sys/fs/cgroup/memory/x/memory.oom_control");
}

TEST(Cgroups, UnifiedHostsUseV2Files) {
  auto l = runtime::parse_cgroup_layout(
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_EQ(l.version, runtime::CgroupVersion::V2);
  EXPECT_EQ(runtime::cgroup_dirs(l, "lab-a/pod-b"), (std::vector<std::string>{"/sys/fs/cgroup/lab-a/pod-b"}));
  runtime::CgroupLimits lim{.memory_bytes = 1024, .cpu_quota_us = 50000, .cpu_period_us = 100000,
                            .cpu_shares = 1024, .pids_max = 10};
  using W = runtime::CgroupWrite;
  EXPECT_EQ(runtime::limit_writes(l, "x", lim),
            (std::vector<W>{{"/sys/fs/cgroup/x/memory.max", "1024"},
                            {"/sys/fs/cgroup/x/cpu.max", "50000 100000"},
                            {"/sys/fs/cgroup/x/cpu.weight", "39"},
                            {"/sys/fs/cgroup/x/pids.max", "10"}}));
  EXPECT_EQ(runtime::oom_events_file(l, "x"), "/sys/fs/cgroup/x/memory.events");
  EXPECT_EQ(runtime::parse_cgroup_layout("").version, runtime::CgroupVersion::None);
}

TEST(Cgroups, KubernetesCpuConversions) {
  EXPECT_EQ(runtime::cpu_shares_from_milli(0), 2);
  EXPECT_EQ(runtime::cpu_shares_from_milli(1), 2);
  EXPECT_EQ(runtime::cpu_shares_from_milli(100), 102);
  EXPECT_EQ(runtime::cpu_shares_from_milli(1000), 1024);
  EXPECT_EQ(runtime::cpu_quota_from_milli(100, 100000), 10000);
  EXPECT_EQ(runtime::cpu_quota_from_milli(1, 100000), 1000);  // the kernel's minimum
  EXPECT_EQ(runtime::cpu_weight_from_shares(2), 1);
  EXPECT_EQ(runtime::cpu_weight_from_shares(262144), 10000);
}

TEST(Cgroups, OomKillsAndWorkingSet) {
  EXPECT_EQ(runtime::parse_oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3u);
  EXPECT_EQ(runtime::parse_oom_kills("low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n"), 1u);
  EXPECT_EQ(runtime::parse_oom_kills("oom_kill_disable 0\n"), 0u);
  EXPECT_EQ(runtime::working_set(1000, "cache 10\ntotal_inactive_file 300\n", runtime::CgroupVersion::V1), 700u);
  EXPECT_EQ(runtime::working_set(1000, "inactive_file 2000\n", runtime::CgroupVersion::V2), 0u);
  EXPECT_EQ(runtime::working_set(1000, "", runtime::CgroupVersion::V1), 1000u);
  EXPECT_EQ(runtime::termination_reason(137, true), "OOMKilled");
  EXPECT_EQ(runtime::termination_reason(137, false), "Error");
  EXPECT_EQ(runtime::termination_reason(0, false), "Completed");
}

// ---- the schema ----

std::string errors_of(Json pod) {
  auto v = api::validate_object(pod, nullptr);
  std::string out;
  for (const auto& e : v.errors) out += e.field + ": " + e.detail + "\n";
  return out;
}

Json api_pod(Json pod_sc, Json container_sc) {
  Json pod = pod_with(std::move(pod_sc), std::move(container_sc));
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  pod["metadata"].erase("uid");
  return pod;
}

TEST(SecuritySchema, ValidContextsPass) {
  EXPECT_EQ(errors_of(api_pod({{"runAsUser", 1000}, {"runAsGroup", 1000}, {"runAsNonRoot", true},
                               {"supplementalGroups", {1, 2}}, {"fsGroup", 2000},
                               {"seccompProfile", {{"type", "RuntimeDefault"}}}},
                              {{"capabilities", {{"add", {"NET_ADMIN", "CAP_SYS_TIME"}}, {"drop", {"ALL"}}}},
                               {"allowPrivilegeEscalation", false}, {"readOnlyRootFilesystem", true},
                               {"privileged", false}, {"seccompProfile", {{"type", "Unconfined"}}}})),
            "");
}

TEST(SecuritySchema, BadValuesGetKubernetesWords) {
  EXPECT_EQ(errors_of(api_pod(nullptr, {{"privileged", true}})),
            "spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy\n");
  EXPECT_EQ(errors_of(api_pod({{"runAsUser", -1}}, nullptr)),
            "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive\n");
  EXPECT_EQ(errors_of(api_pod({{"supplementalGroups", {1, "x"}}}, nullptr)).find("supplementalGroups[1]") !=
                std::string::npos,
            true);
  EXPECT_NE(errors_of(api_pod(nullptr, {{"capabilities", {{"add", {"NET_ADMINS"}}}}})).find(
                "spec.containers[0].securityContext.capabilities.add[0]: Invalid value: \"NET_ADMINS\""),
            std::string::npos);
  EXPECT_NE(errors_of(api_pod(nullptr, {{"seccompProfile", {{"type", "Localhost"}, {"localhostProfile", "x.json"}}}}))
                .find("seccompProfile.type: Forbidden: Localhost profiles are not supported"),
            std::string::npos);
  EXPECT_NE(errors_of(api_pod(nullptr, {{"seccompProfile", {{"type", "Other"}}}})).find("Unsupported value: \"Other\""),
            std::string::npos);
  EXPECT_NE(errors_of(api_pod(nullptr, {{"runAsUsr", 1}})).find("runAsUsr"), std::string::npos);
}

// ---- lab top ----

TEST(Top, KubectlsTables) {
  EXPECT_EQ(cli::cpu_milli(0, 100'000'000, 1'000'000'000), 100);
  EXPECT_EQ(cli::cpu_milli(0, 100'000'001, 1'000'000'000), 101);  // rounded up
  EXPECT_EQ(cli::cpu_milli(5, 5, 1'000'000'000), 0);
  std::vector<cli::TopUsage> pods = {{"default", "web-1", 12, 3 * 1024 * 1024 + 5}, {"kube", "dns", 1, 0}};
  EXPECT_EQ(cli::top_pods_table(pods, false, true),
            "NAME    CPU(cores)   MEMORY(bytes)\n"
            "web-1   12m          3Mi\n"
            "dns     1m           0Mi\n");
  EXPECT_EQ(cli::top_pods_table(pods, true, false),
            "default   web-1   12m   3Mi\n"
            "kube      dns     1m    0Mi\n");
  EXPECT_EQ(cli::top_nodes_table({{"", "node-1", 500, 512ull << 20}}, 2000, 2048ull << 20, true),
            "NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\n"
            "node-1   500m         25%    512Mi           25%\n");
}

}  // namespace
}  // namespace lab
