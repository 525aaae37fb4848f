// The pod spec's JSON form, the generated /etc files, the restart back-off and /proc parsing:
// everything of the pod runtime that needs no root.
#include "runtime/pod_spec.h"

#include <gtest/gtest.h>

#include "runtime/etc_files.h"
#include "runtime/image.h"
#include "runtime/proc.h"
#include "runtime/supervisor.h"

namespace lab::runtime {
namespace {

PodRuntimeSpec sample_pod() {
  PodRuntimeSpec p;
  p.lab = "demo";
  p.namespace_ = "default";
  p.name = "web-1";
  p.ip = "10.244.1.5";
  p.hostname = "web-1";
  p.dns_search = {"default.svc.cluster.local", "svc.cluster.local", "cluster.local"};
  p.dns_servers = {"10.96.0.10"};
  p.dns_options = {"ndots:5"};
  p.state_dir = "/var/lib/lab/demo/pods/default/web-1";
  ContainerSpec c;
  c.name = "nginx";
  c.image = "nginx";
  c.command = {"nginx"};
  c.args = {"-g", "daemon off;"};
  c.env = {{"A", "1"}, {"B", "two words"}};
  c.working_dir = "/tmp";
  c.log_path = p.state_dir + "/nginx.log";
  p.containers.push_back(c);
  return p;
}

TEST(PodSpecJson, RoundTrips) {
  PodRuntimeSpec p = sample_pod();
  nlohmann::json j = p;
  EXPECT_EQ(j["containers"][0]["workingDir"], "/tmp");
  EXPECT_EQ(j["containers"][0]["env"][1]["value"], "two words");
  auto back = nlohmann::json::parse(j.dump()).get<PodRuntimeSpec>();
  EXPECT_EQ(back.lab, p.lab);
  EXPECT_EQ(back.namespace_, p.namespace_);
  EXPECT_EQ(back.name, p.name);
  EXPECT_EQ(back.ip, p.ip);
  EXPECT_EQ(back.hostname, p.hostname);
  EXPECT_EQ(back.host_domain, p.host_domain);
  EXPECT_EQ(back.dns_search, p.dns_search);
  EXPECT_EQ(back.dns_servers, p.dns_servers);
  EXPECT_EQ(back.dns_options, p.dns_options);
  EXPECT_EQ(back.state_dir, p.state_dir);
  ASSERT_EQ(back.containers.size(), 1u);
  const auto& c = back.containers[0];
  EXPECT_EQ(c.name, "nginx");
  EXPECT_EQ(c.command, p.containers[0].command);
  EXPECT_EQ(c.args, p.containers[0].args);
  EXPECT_EQ(c.env, p.containers[0].env);
  EXPECT_EQ(c.log_path, p.containers[0].log_path);
}

TEST(PodSpecJson, OptionalFieldsDefault) {
  auto p = nlohmann::json::parse(
               R"({"name":"p","stateDir":"/s","containers":[{"name":"c","image":"busybox"}]})")
               .get<PodRuntimeSpec>();
  EXPECT_EQ(p.namespace_, "default");
  EXPECT_TRUE(p.dns_servers.empty());
  EXPECT_EQ(p.hostname, "p");  // a spec without one: the pod name
  EXPECT_EQ(p.host_name(), "p");
  ASSERT_EQ(p.containers.size(), 1u);
  EXPECT_TRUE(p.containers[0].command.empty());
  EXPECT_TRUE(p.containers[0].env.empty());
  EXPECT_THROW(nlohmann::json::parse(R"({"stateDir":"/s"})").get<PodRuntimeSpec>(),
               nlohmann::json::exception);
}

TEST(EtcFiles, HostsAndResolvConf) {
  PodRuntimeSpec p = sample_pod();
  // managedHostsFileContent, byte for byte.
  EXPECT_EQ(hosts_file(p),
            "# Kubernetes-managed hosts file.\n"
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "fe00::0\tip6-mcastprefix\n"
            "fe00::1\tip6-allnodes\n"
            "fe00::2\tip6-allrouters\n"
            "10.244.1.5\tweb-1\n");
  // containerd's resolv.conf: search, nameservers, options.
  EXPECT_EQ(resolv_conf(p),
            "search default.svc.cluster.local svc.cluster.local cluster.local\n"
            "nameserver 10.96.0.10\n"
            "options ndots:5\n");
  p.dns_servers = {"1.1.1.1", "8.8.8.8"};
  p.dns_search.clear();
  p.dns_options = {"ndots:2", "edns0"};
  EXPECT_EQ(resolv_conf(p), "nameserver 1.1.1.1\nnameserver 8.8.8.8\noptions ndots:2 edns0\n");
  p.dns_servers.clear();
  p.dns_options.clear();
  EXPECT_EQ(resolv_conf(p), "");
}

TEST(EtcFiles, HostnameAndSubdomain) {
  PodRuntimeSpec p = sample_pod();
  p.hostname = "busybox-1";
  p.host_domain = "busybox-subdomain.default.svc.cluster.local";
  EXPECT_NE(hosts_file(p).find("10.244.1.5\tbusybox-1.busybox-subdomain.default.svc.cluster.local\tbusybox-1\n"),
            std::string::npos);
  auto files = etc_files(p, **find_image("busybox"), "");
  EXPECT_EQ(files[0], (std::pair<std::string, std::string>{"hostname", "busybox-1\n"}));
}

TEST(EtcFiles, NginxImagesGetTheirConfig) {
  PodRuntimeSpec p = sample_pod();
  auto names = [](const auto& files) {
    std::vector<std::string> out;
    for (const auto& [path, content] : files) out.push_back(path);
    return out;
  };
  auto busybox = etc_files(p, **find_image("busybox"), "");
  EXPECT_EQ(names(busybox), (std::vector<std::string>{"hostname", "hosts", "resolv.conf", "passwd",
                                                      "group", "nsswitch.conf"}));
  EXPECT_EQ(busybox[0].second, "web-1\n");
  auto nginx = etc_files(p, **find_image("nginx"), "types { text/html html; }\n");
  ASSERT_EQ(nginx.size(), 9u);
  EXPECT_EQ(nginx[6].first, "nginx/nginx.conf");
  EXPECT_NE(nginx[6].second.find("user www-data;"), std::string::npos);
  EXPECT_NE(nginx[6].second.find("master_process off;"), std::string::npos);
  EXPECT_EQ(nginx[6].second.find("server {"), std::string::npos);  // the servers are in conf.d
  EXPECT_TRUE(nginx[6].second.ends_with("    include /etc/nginx/conf.d/*.conf;\n}\n"));
  EXPECT_EQ(nginx[6].second.find("daemon"), std::string::npos);  // that's the command's job
  EXPECT_EQ(nginx[7].first, "nginx/conf.d/default.conf");
  EXPECT_NE(nginx[7].second.find("listen 80;"), std::string::npos);
  EXPECT_NE(nginx[7].second.find("root /usr/share/nginx/html;"), std::string::npos);
  EXPECT_NE(nginx[7].second.find("index index.html index.htm;"), std::string::npos);
  EXPECT_EQ(nginx[8], (std::pair<std::string, std::string>{"nginx/mime.types",
                                                           "types { text/html html; }\n"}));
  EXPECT_EQ(etc_files(p, **find_image("bprashanth/nginxhttps:1.0"), "")[7].first, "nginx/conf.d/default.conf");
  for (const auto& [path, content] : nginx) {
    if (path == "passwd") {
      EXPECT_NE(content.find("www-data:x:33:33:"), std::string::npos);
    }
  }
}

TEST(RestartBackoff, KubeletCrashLoopSequence) {
  using std::chrono::seconds;
  RestartBackoff b;
  std::vector<long> delays;
  for (int i = 0; i < 8; ++i)
    delays.push_back(std::chrono::duration_cast<seconds>(b.next(seconds(1))).count());
  EXPECT_EQ(delays, (std::vector<long>{0, 10, 20, 40, 80, 160, 300, 300}));
  // Ten minutes of running forgives the past.
  EXPECT_EQ(b.next(std::chrono::minutes(10)).count(), 0);
  EXPECT_EQ(b.next(seconds(1)), seconds(10));
}

TEST(Proc, ParsesStatWithAwkwardComm) {
  std::string line =
      "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 "
      "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto st = parse_proc_stat(line);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 17);
  EXPECT_EQ(st->start_time, 987654u);
  EXPECT_FALSE(parse_proc_stat("garbage"));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 0"));
}

TEST(Proc, SplitsCmdline) {
  using namespace std::string_literals;
  EXPECT_EQ(split_cmdline("lab-pod-init\0__pod-init\0--lab=x\0"s),
            (std::vector<std::string>{"lab-pod-init", "__pod-init", "--lab=x"}));
  EXPECT_EQ(split_cmdline("a\0\0b\0"s), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(split_cmdline("").empty());
}

}  // namespace
}  // namespace lab::runtime
