// A pod's resolv.conf and host name as the kubelet forms them (pkg/kubelet/network/dns
// dns_test.go's cases), and dnsConfig validation as the API server words it.
#include "lab/api/pod_dns.h"

#include <gtest/gtest.h>

#include "lab/api/validate.h"

namespace lab::api {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

TEST(PodDns, ParsesResolvConf) {
  auto c = parse_resolv_conf(
      "# comment\n; other comment\nnameserver 10.0.0.2\nnameserver\t10.0.0.3 # trailing\n"
      "search old.example\nsearch a.example. . b.example\noptions ndots:2 timeout:1\noptions ndots:3 rotate\n");
  EXPECT_EQ(c.servers, (Strings{"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(c.searches, (Strings{"a.example", "b.example"}));  // the last search line wins
  EXPECT_EQ(c.options, (Strings{"ndots:3", "timeout:1", "rotate"}));
  EXPECT_EQ(parse_resolv_conf(""), ResolverConfig{});
  EXPECT_EQ(parse_resolv_conf("nameserver\n").servers, Strings{});
}

const ResolverConfig kNode{{"10.255.255.53"}, {"corp.example"}, {"edns0"}};

TEST(PodDns, ClusterFirst) {
  auto d = pod_dns(json::parse(R"({"dnsPolicy":"ClusterFirst"})"), "web", kNode, "10.96.0.10");
  EXPECT_EQ(d.config.servers, Strings{"10.96.0.10"});
  EXPECT_EQ(d.config.searches,
            (Strings{"web.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"}));
  EXPECT_EQ(d.config.options, Strings{"ndots:5"});  // the node's options are not the pod's
  EXPECT_TRUE(d.warnings.empty());
  // Without a policy (never stored so, but the default is ClusterFirst), without node searches.
  auto plain = pod_dns(json::object(), "default", ResolverConfig{}, "10.96.0.10");
  EXPECT_EQ(plain.config.searches, (Strings{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}));
  // The node's search list repeating a cluster domain is not written twice.
  auto dup = pod_dns(json::object(), "default", ResolverConfig{{}, {"cluster.local", "x"}, {}}, "10.96.0.10");
  EXPECT_EQ(dup.config.searches,
            (Strings{"default.svc.cluster.local", "svc.cluster.local", "cluster.local", "x"}));
}

TEST(PodDns, DefaultIsTheNodesResolver) {
  auto d = pod_dns(json::parse(R"({"dnsPolicy":"Default"})"), "web", kNode, "10.96.0.10");
  EXPECT_EQ(d.config, kNode);
}

TEST(PodDns, NoneWithDnsConfig) {
  auto d = pod_dns(json::parse(R"({"dnsPolicy":"None","dnsConfig":{"nameservers":["1.2.3.4"],
      "searches":["ns1.svc.cluster-domain.example","my.dns.search.suffix"],
      "options":[{"name":"ndots","value":"2"},{"name":"edns0"}]}})"),
                   "web", kNode, "10.96.0.10");
  EXPECT_EQ(d.config.servers, Strings{"1.2.3.4"});
  EXPECT_EQ(d.config.searches, (Strings{"ns1.svc.cluster-domain.example", "my.dns.search.suffix"}));
  EXPECT_EQ(d.config.options, (Strings{"ndots:2", "edns0"}));
}

TEST(PodDns, DnsConfigMergesIntoThePolicy) {
  auto d = pod_dns(json::parse(R"({"dnsPolicy":"ClusterFirst","dnsConfig":{"nameservers":["10.96.0.10","1.1.1.1"],
      "searches":["svc.cluster.local","extra.example"],"options":[{"name":"ndots","value":"1"},{"name":"single-request"}]}})"),
                   "web", ResolverConfig{}, "10.96.0.10");
  EXPECT_EQ(d.config.servers, (Strings{"10.96.0.10", "1.1.1.1"}));  // duplicates omitted
  EXPECT_EQ(d.config.searches,
            (Strings{"web.svc.cluster.local", "svc.cluster.local", "cluster.local", "extra.example"}));
  EXPECT_EQ(d.config.options, (Strings{"ndots:1", "single-request"}));  // the pod's ndots wins
}

TEST(PodDns, LimitsCutTheListsWithAWarning) {
  auto d = pod_dns(json::parse(R"({"dnsConfig":{"nameservers":["1.1.1.1","2.2.2.2","3.3.3.3"]}})"), "web",
                   ResolverConfig{}, "10.96.0.10");
  EXPECT_EQ(d.config.servers, (Strings{"10.96.0.10", "1.1.1.1", "2.2.2.2"}));
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0],
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: "
            "10.96.0.10 1.1.1.1 2.2.2.2");
  ResolverConfig many;
  for (int i = 0; i < 40; ++i) many.searches.push_back("d" + std::to_string(i) + ".example");
  auto s = pod_dns(json::object(), "web", many, "10.96.0.10");
  EXPECT_EQ(s.config.searches.size(), 32u);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_TRUE(s.warnings[0].starts_with("Search Line limits were exceeded")) << s.warnings[0];
  ResolverConfig long_ones;
  for (int i = 0; i < 10; ++i) long_ones.searches.push_back(std::string(250, 'a' + i));
  auto l = pod_dns(json::parse(R"({"dnsPolicy":"Default"})"), "web", long_ones, "10.96.0.10");
  size_t chars = 0;
  for (const auto& x : l.config.searches) chars += x.size() + 1;
  EXPECT_LE(chars - 1, 2048u);
  EXPECT_EQ(l.config.searches.size(), 8u);  // 8 x 251 - 1 = 2007 fits, 9 does not
}

TEST(PodDns, HostnameAndDomain) {
  auto h = pod_hostname("busybox-1-abc", "default", json::parse(R"({"hostname":"busybox-1","subdomain":"sub"})"));
  EXPECT_EQ(h.hostname, "busybox-1");
  EXPECT_EQ(h.domain, "sub.default.svc.cluster.local");
  auto plain = pod_hostname("web-7d4b9", "prod", json::object());
  EXPECT_EQ(plain.hostname, "web-7d4b9");
  EXPECT_EQ(plain.domain, "");
  // A long pod name is cut to 63 characters, without a trailing '-' or '.'.
  std::string name = std::string(62, 'a') + "-b" + std::string(10, 'c');
  EXPECT_EQ(pod_hostname(name, "default", json::object()).hostname, std::string(62, 'a'));
}

// validatePodDNSConfig's rules and words, through the API's validation of a whole Pod.
std::string pod_errors(const json& spec_extra) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
  pod["spec"].update(spec_extra);
  auto v = validate_object(pod);
  return v.errors.empty() ? "" : invalid_message(pod, v.errors);
}

TEST(PodDns, ValidationAsTheApiServer) {
  EXPECT_EQ(pod_errors({{"dnsPolicy", "None"}}),
            "Pod \"p\" is invalid: spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None");
  EXPECT_EQ(pod_errors({{"dnsPolicy", "None"}, {"dnsConfig", json::object()}}),
            "Pod \"p\" is invalid: spec.dnsConfig.nameservers: Required value: must provide at least one DNS "
            "nameserver when `dnsPolicy` is None");
  EXPECT_EQ(pod_errors({{"dnsPolicy", "None"}, {"dnsConfig", {{"nameservers", {"1.2.3.4"}}}}}), "");
  EXPECT_NE(pod_errors({{"dnsConfig", {{"nameservers", {"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"}}}}})
                .find("spec.dnsConfig.nameservers: Invalid value: [\"1.1.1.1\",\"2.2.2.2\",\"3.3.3.3\",\"4.4.4.4\"]: "
                      "must not have more than 3 nameservers"),
            std::string::npos);
  EXPECT_NE(pod_errors({{"dnsConfig", {{"nameservers", {"1.2.3.c"}}}}})
                .find("spec.dnsConfig.nameservers[0]: Invalid value: \"1.2.3.c\": must be a valid IP address"),
            std::string::npos);
  EXPECT_EQ(pod_errors({{"dnsConfig", {{"nameservers", {"2001:db8::1"}}, {"searches", {"trailing.dot."}}}}}), "");
  json searches = json::array();
  for (int i = 0; i < 33; ++i) searches.push_back("s" + std::to_string(i));
  EXPECT_NE(pod_errors({{"dnsConfig", {{"searches", searches}}}}).find("must not have more than 32 search paths"),
            std::string::npos);
  EXPECT_NE(pod_errors({{"dnsConfig", {{"searches", {std::string(200, 'a') + ".b", "Bad_Domain"}}}}})
                .find("spec.dnsConfig.searches[1]: Invalid value: \"Bad_Domain\""),
            std::string::npos);
  json wide = json::array();
  for (int i = 0; i < 10; ++i) wide.push_back(std::string(63, 'a' + i) + "." + std::string(150, 'z'));
  EXPECT_NE(pod_errors({{"dnsConfig", {{"searches", wide}}}})
                .find("must not have more than 2048 characters (including spaces) in the search list"),
            std::string::npos);
  EXPECT_EQ(pod_errors({{"dnsConfig", {{"options", {{{"value", "2"}}}}}}}),
            "Pod \"p\" is invalid: spec.dnsConfig.options[0]: Required value: Option.Name must not be empty");
  EXPECT_NE(pod_errors({{"dnsPolicy", "Sometimes"}}).find("spec.dnsPolicy: Unsupported value: \"Sometimes\""),
            std::string::npos);
  EXPECT_NE(pod_errors({{"enableServiceLinks", "no"}}).find("spec.enableServiceLinks"), std::string::npos);
}

TEST(PodDns, DefaultsAsTheApiServer) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
  ASSERT_TRUE(validate_object(pod).errors.empty());
  EXPECT_EQ(pod["spec"]["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(pod["spec"]["enableServiceLinks"], true);
}

}  // namespace
}  // namespace lab::api
