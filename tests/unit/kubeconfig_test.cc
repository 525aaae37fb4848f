// The kubeconfig merge: the lab's entries in and out of a file kubectl wrote, which must come back
// byte for byte (the fixtures below are kubectl 1.32's own output), and go-yaml's quoting.
#include "lab/cli/kubeconfig.h"

#include <gtest/gtest.h>

#include "lab/base/base64.h"
#include "lab/cli/kubeconfig_yaml.h"

namespace lab::cli {
namespace {

// `kubectl config set-cluster/set-credentials/set-context/use-context` output, verbatim.
const char kKubectlWritten[] = R"(apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: http://127.0.0.1:8080
  name: dev
- cluster:
    certificate-authority-data: dm0K
    server: https://prod.example.com:6443
  name: prod
contexts:
- context:
    cluster: prod
    namespace: web
    user: alice
  name: prod
current-context: prod
kind: Config
preferences: {}
users:
- name: alice
  user:
    token: 'abc:def #x'
- name: bob
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - eks
      - get-token
      command: aws
      env:
      - name: A
        value: "yes"
      provideClusterInfo: false
)";

// What kubectl leaves when the last entry is deleted.
const char kKubectlEmpty[] = R"(apiVersion: v1
clusters: null
contexts: null
current-context: ""
kind: Config
preferences: {}
users: null
)";

KubeconfigEntry entry() {
  return {.name = "lab-demo", .server = "https://127.0.0.1:40123", .ca_pem = "CA", .cert_pem = "CERT", .key_pem = "KEY"};
}

TEST(Kubeconfig, RenderedAsKindWritesIt) {
  EXPECT_EQ(render_kubeconfig(entry()),
            "apiVersion: v1\n"
            "clusters:\n"
            "- cluster:\n"
            "    certificate-authority-data: " + base64_encode("CA") + "\n"
            "    server: https://127.0.0.1:40123\n"
            "  name: lab-demo\n"
            "contexts:\n"
            "- context:\n"
            "    cluster: lab-demo\n"
            "    namespace: default\n"
            "    user: lab-demo\n"
            "  name: lab-demo\n"
            "current-context: lab-demo\n"
            "kind: Config\n"
            "preferences: {}\n"
            "users:\n"
            "- name: lab-demo\n"
            "  user:\n"
            "    client-certificate-data: " + base64_encode("CERT") + "\n"
            "    client-key-data: " + base64_encode("KEY") + "\n");
}

TEST(Kubeconfig, MergeThenRemoveGivesKubectlsFileBack) {
  auto merged = merge_kubeconfig(kKubectlWritten, entry());
  ASSERT_TRUE(merged) << merged.error().what();
  // Sorted among the others, current.
  EXPECT_NE(merged->find("  name: dev\n- cluster:\n    certificate-authority-data: Q0E=\n"
                         "    server: https://127.0.0.1:40123\n  name: lab-demo\n- cluster:"),
            std::string::npos)
      << *merged;
  EXPECT_NE(merged->find("current-context: lab-demo\n"), std::string::npos);
  EXPECT_NE(merged->find("    token: 'abc:def #x'\n"), std::string::npos);
  // Merging twice replaces, never duplicates.
  auto twice = merge_kubeconfig(*merged, entry());
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, *merged);
  auto removed = remove_kubeconfig(*merged, "lab-demo", "prod");
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, kKubectlWritten);
  // Without a context to go back to, current-context is unset, as kind leaves it.
  auto unset = remove_kubeconfig(*merged, "lab-demo");
  ASSERT_TRUE(unset);
  EXPECT_NE(unset->find("current-context: \"\"\n"), std::string::npos);
  // Another context made current meanwhile stays current.
  std::string other = *merged;
  other.replace(other.find("current-context: lab-demo"), 25, "current-context: prod");
  auto kept = remove_kubeconfig(other, "lab-demo", "dev");
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, kKubectlWritten);
}

TEST(Kubeconfig, EmptyFiles) {
  auto merged = merge_kubeconfig(kKubectlEmpty, entry());
  ASSERT_TRUE(merged);
  EXPECT_EQ(*merged, render_kubeconfig(entry()));
  auto removed = remove_kubeconfig(*merged, "lab-demo");
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, kKubectlEmpty);
  EXPECT_TRUE(kubeconfig_empty(*removed));
  EXPECT_FALSE(kubeconfig_empty(kKubectlWritten));
  auto from_nothing = merge_kubeconfig("", entry());
  ASSERT_TRUE(from_nothing);
  EXPECT_EQ(*from_nothing, render_kubeconfig(entry()));
}

TEST(Kubeconfig, NotAKubeconfigIsAnErrorNotACrash) {
  for (const char* bad : {"- a\n- b\n", "clusters: {a: 1}\n", "clusters: [\n", "users: 3\n", "? [a]\n: b\n"})
    EXPECT_FALSE(merge_kubeconfig(bad, entry())) << bad;
  EXPECT_FALSE(remove_kubeconfig("clusters: [\n", "lab-demo"));
}

TEST(Kubeconfig, DefaultPathFollowsKubeconfigThenHome) {
  setenv("KUBECONFIG", ":/tmp/a:/tmp/b", 1);
  EXPECT_EQ(default_kubeconfig_path(), "/tmp/a");
  unsetenv("KUBECONFIG");
  setenv("HOME", "/home/x", 1);
  EXPECT_EQ(default_kubeconfig_path(), "/home/x/.kube/config");
}

TEST(GoYaml, QuotesAsGoYamlV2) {
  YamlValue doc = YamlValue::mapping();
  const std::pair<const char*, const char*> cases[] = {
      {"plain", "plain"},          {"yes", "\"yes\""},       {"on", "\"on\""},           {"123", "\"123\""},
      {"1.5", "\"1.5\""},          {"0x1F", "\"0x1F\""},     {"", "\"\""},               {"null", "\"null\""},
      {"a: b", "'a: b'"},          {"a:b", "a:b"},           {"x #y", "'x #y'"},         {"x#y", "x#y"},
      {"*star", "'*star'"},        {"-dash", "-dash"},       {"- item", "'- item'"},     {" lead", "' lead'"},
      {"it's", "it's"},            {"'q", "'''q'"},          {"tab\there", "\"tab\\there\""},
      {"https://h:1/p", "https://h:1/p"}, {"ends:", "'ends:'"}, {"1:20", "\"1:20\""}};
  for (const auto& [in, out] : cases) {
    doc.map.clear();
    doc.at("k") = YamlValue::string(in);
    EXPECT_EQ(emit_yaml(doc), std::string("k: ") + out + "\n") << in;
    // And it reads back as the same string.
    auto back = parse_yaml(emit_yaml(doc));
    ASSERT_TRUE(back);
    ASSERT_NE(back->find("k"), nullptr);
    EXPECT_EQ(back->find("k")->text, in);
  }
  doc.map.clear();
  doc.at("k") = YamlValue::string("line1\nline2\n");
  EXPECT_EQ(emit_yaml(doc), "k: |\n  line1\n  line2\n");
  auto back = parse_yaml(emit_yaml(doc));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->find("k")->text, "line1\nline2\n");
}

}  // namespace
}  // namespace lab::cli
