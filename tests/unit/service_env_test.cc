// Service environment variables as the kubelet writes them (pkg/kubelet/envvars
// envvars_test.go's cases and kubelet_pods_test.go's selection and precedence rules).
#include "lab/api/service_env.h"

#include <gtest/gtest.h>

namespace lab::api {
namespace {

using nlohmann::json;

ServiceEnvSource svc(std::string ns, std::string name, std::string ip, std::vector<ServicePortEnv> ports) {
  return ServiceEnvSource{std::move(ns), std::move(name), std::move(ip), std::move(ports)};
}

TEST(ServiceEnv, NameMangling) {
  EXPECT_EQ(env_var_name("my-nginx"), "MY_NGINX");
  EXPECT_EQ(env_var_name("kubernetes"), "KUBERNETES");
  EXPECT_EQ(env_var_name("a-b-c1"), "A_B_C1");
  EXPECT_EQ(env_var_name("dns-tcp"), "DNS_TCP");
}

// envvars_test.go TestFromServices, the multi-port case.
TEST(ServiceEnv, FromServicesOrderAndNames) {
  auto s = svc("default", "super-ipv4", "9.8.7.6",
               {{"u-d-p", 8081, "UDP"}, {"t-c-p", 8081, "TCP"}});
  EnvList want = {
      {"SUPER_IPV4_SERVICE_HOST", "9.8.7.6"},
      {"SUPER_IPV4_SERVICE_PORT", "8081"},
      {"SUPER_IPV4_SERVICE_PORT_U_D_P", "8081"},
      {"SUPER_IPV4_SERVICE_PORT_T_C_P", "8081"},
      {"SUPER_IPV4_PORT", "udp://9.8.7.6:8081"},
      {"SUPER_IPV4_PORT_8081_UDP", "udp://9.8.7.6:8081"},
      {"SUPER_IPV4_PORT_8081_UDP_PROTO", "udp"},
      {"SUPER_IPV4_PORT_8081_UDP_PORT", "8081"},
      {"SUPER_IPV4_PORT_8081_UDP_ADDR", "9.8.7.6"},
      {"SUPER_IPV4_PORT_8081_TCP", "tcp://9.8.7.6:8081"},
      {"SUPER_IPV4_PORT_8081_TCP_PROTO", "tcp"},
      {"SUPER_IPV4_PORT_8081_TCP_PORT", "8081"},
      {"SUPER_IPV4_PORT_8081_TCP_ADDR", "9.8.7.6"},
  };
  EXPECT_EQ(service_env_vars(s), want);
}

TEST(ServiceEnv, UnnamedFirstPortAndIpv6) {
  auto s = svc("default", "my-nginx", "10.96.12.34", {{"", 80, "TCP"}});
  EnvList want = {
      {"MY_NGINX_SERVICE_HOST", "10.96.12.34"},       {"MY_NGINX_SERVICE_PORT", "80"},
      {"MY_NGINX_PORT", "tcp://10.96.12.34:80"},      {"MY_NGINX_PORT_80_TCP", "tcp://10.96.12.34:80"},
      {"MY_NGINX_PORT_80_TCP_PROTO", "tcp"},          {"MY_NGINX_PORT_80_TCP_PORT", "80"},
      {"MY_NGINX_PORT_80_TCP_ADDR", "10.96.12.34"},
  };
  EXPECT_EQ(service_env_vars(s), want);
  auto v6 = svc("default", "v6", "2001:db8::1", {{"", 80, "TCP"}});
  EXPECT_EQ(service_env_vars(v6)[2], (std::pair<std::string, std::string>{"V6_PORT", "tcp://[2001:db8::1]:80"}));
  EXPECT_TRUE(service_env_vars(svc("default", "none", "10.0.0.1", {})).empty());
}

TEST(ServiceEnv, FromJsonSkipsServicesWithoutClusterIP) {
  auto k = service_env_source(json::parse(R"({"metadata":{"name":"kubernetes","namespace":"default"},
      "spec":{"clusterIP":"10.96.0.1","ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":6443}]}})"));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->cluster_ip, "10.96.0.1");
  ASSERT_EQ(k->ports.size(), 1u);
  EXPECT_EQ(k->ports[0].name, "https");
  EXPECT_EQ(k->ports[0].port, 443);
  auto env = service_env_vars(*k);
  EXPECT_EQ(env[2], (std::pair<std::string, std::string>{"KUBERNETES_SERVICE_PORT_HTTPS", "443"}));
  EXPECT_FALSE(service_env_source(json::parse(R"({"metadata":{"name":"h"},"spec":{"clusterIP":"None","ports":[{"port":80}]}})")));
  EXPECT_FALSE(service_env_source(json::parse(R"({"metadata":{"name":"e"},"spec":{"type":"ExternalName","externalName":"x.org"}})")));
  EXPECT_FALSE(service_env_source(json::parse(R"({"metadata":{"name":"odd"},"spec":"not an object"})")));
  // Protocol defaults to TCP; a port that is not a number reads as 0 rather than throwing.
  auto p = service_env_source(json::parse(R"({"metadata":{"name":"p"},"spec":{"clusterIP":"10.0.0.2","ports":[{"port":"x"}]}})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ns, "default");
  EXPECT_EQ(p->ports[0].protocol, "TCP");
  EXPECT_EQ(p->ports[0].port, 0);
}

// kubelet_pods_test.go TestMakeEnvironmentVariables: which Services a pod sees.
TEST(ServiceEnv, SelectionByNamespaceAndServiceLinks) {
  std::vector<ServiceEnvSource> all = {
      svc("default", "kubernetes", "1.2.3.1", {{"https", 8081, "TCP"}}),
      svc("default", "test", "1.2.3.3", {{"", 8083, "TCP"}}),
      svc("test1", "test", "1.2.3.4", {{"", 8084, "TCP"}}),
      svc("test2", "kubernetes", "1.2.3.6", {{"", 8086, "TCP"}}),
  };
  auto in_test1 = service_env_map(all, "test1", true);
  EXPECT_EQ(in_test1["KUBERNETES_SERVICE_HOST"], "1.2.3.1");
  EXPECT_EQ(in_test1["TEST_SERVICE_HOST"], "1.2.3.4");  // test1's, not default's
  EXPECT_EQ(in_test1["KUBERNETES_SERVICE_PORT_HTTPS"], "8081");

  auto no_links = service_env_map(all, "test1", false);
  EXPECT_EQ(no_links["KUBERNETES_SERVICE_HOST"], "1.2.3.1");
  EXPECT_FALSE(no_links.contains("TEST_SERVICE_HOST"));
  for (const auto& [k, v] : no_links) EXPECT_TRUE(k.starts_with("KUBERNETES_")) << k;

  // A `kubernetes` Service in the pod's own namespace wins over the master service.
  auto in_test2 = service_env_map(all, "test2", true);
  EXPECT_EQ(in_test2["KUBERNETES_SERVICE_HOST"], "1.2.3.6");
  EXPECT_FALSE(in_test2.contains("KUBERNETES_SERVICE_PORT_HTTPS"));
  EXPECT_FALSE(in_test2.contains("TEST_SERVICE_HOST"));
  // ... but not when service links are off: then only the master service.
  EXPECT_EQ(service_env_map(all, "test2", false)["KUBERNETES_SERVICE_HOST"], "1.2.3.1");

  auto in_default = service_env_map(all, "default", true);
  EXPECT_EQ(in_default["TEST_SERVICE_HOST"], "1.2.3.3");
  EXPECT_EQ(in_default["KUBERNETES_SERVICE_HOST"], "1.2.3.1");
  EXPECT_TRUE(service_env_map({}, "default", true).empty());
}

TEST(ServiceEnv, DeclaredEnvWinsAndExpands) {
  EnvMap services{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"MY_NGINX_SERVICE_HOST", "10.96.1.7"},
                  {"MY_NGINX_SERVICE_PORT", "80"}};
  EnvList declared = {
      {"URL", "http://$(MY_NGINX_SERVICE_HOST):$(MY_NGINX_SERVICE_PORT)/"},
      {"KUBERNETES_SERVICE_HOST", "overridden"},
      {"SELF", "$(URL)x"},
      {"LITERAL", "$$(URL)"},
      {"UNKNOWN", "$(NOPE)"},
      {"LATER", "$(EARLIER)"},  // not defined yet: stays as written
      {"EARLIER", "e"},
      {"EMPTY", ""},
      {"URL", "second"},        // a later entry of the same name wins, in the first one's place
  };
  EnvList want = {
      {"URL", "second"},
      {"KUBERNETES_SERVICE_HOST", "overridden"},
      {"SELF", "http://10.96.1.7:80/x"},
      {"LITERAL", "$(URL)"},
      {"UNKNOWN", "$(NOPE)"},
      {"LATER", "$(EARLIER)"},
      {"EARLIER", "e"},
      {"EMPTY", ""},
      {"MY_NGINX_SERVICE_HOST", "10.96.1.7"},
      {"MY_NGINX_SERVICE_PORT", "80"},
  };
  EXPECT_EQ(container_env(declared, services), want);
}

TEST(ServiceEnv, CommandAndArgsExpandAgainstTheFinalEnv) {
  EnvList env = {{"GREETING", "hello"}, {"MY_NGINX_SERVICE_HOST", "10.96.1.7"}};
  EXPECT_EQ(expand_words({"echo", "$(GREETING) $(MY_NGINX_SERVICE_HOST)", "$$(GREETING)", "$(HOME)"}, env),
            (std::vector<std::string>{"echo", "hello 10.96.1.7", "$(GREETING)", "$(HOME)"}));
  EXPECT_TRUE(expand_words({}, env).empty());
}

}  // namespace
}  // namespace lab::api
