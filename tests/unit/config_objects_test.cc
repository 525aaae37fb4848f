// Secrets and ConfigMaps: the API server's validation and defaulting (ValidateSecret,
// ValidateConfigMap, their update rules, stringData), scenario files, the registry's writes, the
// builders of `lab create secret|configmap` with kubectl's errors, tls.X509KeyPair's checks, and the
// get and describe output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lab/api/fields.h"
#include "lab/api/resources.h"
#include "lab/api/scenario.h"
#include "lab/api/schema_config.h"
#include "lab/api/validate.h"
#include "lab/base/base64.h"
#include "lab/cli/create_config.h"
#include "lab/cli/describe.h"
#include "lab/cli/printers.h"
#include "lab/store/registry.h"

namespace lab {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

const std::string kSource = LAB_SOURCE_DIR;

std::string messages(const api::Validation& v) {
  std::string out;
  for (const auto& e : v.errors) out += e.field + ": " + e.detail + "\n";
  return out;
}

std::string errors_of(Json obj, const Json* old = nullptr) { return messages(api::validate_object(obj, old)); }

// The Status message the API answers with for obj (422 unless bad_request).
std::string status_of(Json obj, const Json* old = nullptr) {
  auto v = api::validate_object(obj, old);
  return v.errors.empty() ? "(valid)" : api::invalid_message(obj, v.errors);
}

Json expect_clean(Json obj, const Json* old = nullptr) {
  auto v = api::validate_object(obj, old);
  EXPECT_TRUE(v.errors.empty()) << messages(v) << obj.dump(2);
  Json again = obj;
  EXPECT_TRUE(api::validate_object(again, old).errors.empty());
  EXPECT_EQ(again, obj) << "a second pass changed the object";
  return obj;
}

Json secret(Json data = Json::object(), const std::string& type = "") {
  Json s = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}};
  if (!data.empty()) s["data"] = data;
  if (!type.empty()) s["type"] = type;
  return s;
}

Json configmap(Json data = Json::object(), Json binary = Json::object()) {
  Json c = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}}}};
  if (!data.empty()) c["data"] = data;
  if (!binary.empty()) c["binaryData"] = binary;
  return c;
}

const std::string kKeyRule =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key_name', regex used for validation is '[-._a-zA-Z0-9]+')";

// ---- the API objects ----

TEST(ConfigObjects, ServedWithKubectlsNames) {
  auto s = api::find_resource("secrets");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, "Secret");
  EXPECT_EQ(s->collection_path("default"), "/api/v1/namespaces/default/secrets");
  EXPECT_EQ(api::find_resource("secret")->kind, "Secret");
  EXPECT_EQ(api::find_resource("cm")->kind, "ConfigMap");
  EXPECT_EQ(api::find_resource("configmaps")->object_path("web", "x"), "/api/v1/namespaces/web/configmaps/x");
}

TEST(ConfigObjects, SecretDefaultsAndStringDataMerge) {
  Json s = expect_clean(secret({{"a", "YWJj"}}));
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_EQ(s["metadata"]["namespace"], "default");

  // stringData is write-only: merged into data, base64-encoded, over data's key of the same name.
  Json w = secret({{"a", "YWJj"}, {"b", "eHl6"}});
  w["stringData"] = {{"b", "new"}, {"c", "hello world"}};
  Json merged = expect_clean(w);
  EXPECT_FALSE(merged.contains("stringData"));
  EXPECT_EQ(merged["data"], Json({{"a", "YWJj"}, {"b", base64_encode("new")}, {"c", base64_encode("hello world")}}));

  Json empty = secret();
  empty["data"] = Json::object();
  empty["stringData"] = Json::object();
  empty = expect_clean(empty);
  EXPECT_FALSE(empty.contains("data"));
  EXPECT_FALSE(empty.contains("stringData"));

  Json any_type = expect_clean(secret({}, "example.com/custom"));
  EXPECT_EQ(any_type["type"], "example.com/custom");
}

TEST(ConfigObjects, BadBase64IsRefusedWithGosWordsAndTheField) {
  EXPECT_EQ(status_of(secret({{"password", "billy"}})),
            "Secret \"s\" is invalid: data[password]: Invalid value: \"<secret contents redacted>\": illegal base64 "
            "data at input byte 4");
  Json bang = secret({{"k", "!"}});
  EXPECT_FALSE(api::validate_object(bang).bad_request);  // 422, naming the field
  // A ConfigMap's binaryData is no secret: the value is shown.
  EXPECT_EQ(errors_of(configmap({}, {{"bin", "Zg="}})),
            "binaryData[bin]: Invalid value: \"Zg=\": illegal base64 data at input byte 3\n");
  EXPECT_EQ(errors_of(secret({{"k", 5}})), "data[k]: Invalid value: 5: must be a string\n");
}

TEST(ConfigObjects, TypesRequireTheirKeys) {
  EXPECT_EQ(errors_of(secret({{"tls.crt", "YQ=="}}, "kubernetes.io/tls")), "data[tls.key]: Required value\n");
  EXPECT_EQ(errors_of(secret({{"tls.key", "YQ=="}}, "kubernetes.io/tls")), "data[tls.crt]: Required value\n");
  expect_clean(secret({{"tls.crt", "YQ=="}, {"tls.key", "Yg=="}}, "kubernetes.io/tls"));
  EXPECT_EQ(errors_of(secret({{"x", "YQ=="}}, "kubernetes.io/basic-auth")), "data[username]: Required value\n");
  expect_clean(secret({{"password", ""}}, "kubernetes.io/basic-auth"));
  EXPECT_EQ(errors_of(secret({}, "kubernetes.io/dockerconfigjson")), "data[.dockerconfigjson]: Required value\n");
  EXPECT_EQ(errors_of(secret({{".dockerconfigjson", base64_encode("[1]")}}, "kubernetes.io/dockerconfigjson")),
            "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array "
            "into Go value of type map[string]interface {}\n");
  EXPECT_EQ(errors_of(secret({{".dockerconfigjson", base64_encode("{\"auths\":")}}, "kubernetes.io/dockerconfigjson")),
            "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": unexpected end of JSON input\n");
  expect_clean(secret({{".dockerconfigjson", base64_encode("{\"auths\":{}}")}}, "kubernetes.io/dockerconfigjson"));
  EXPECT_EQ(errors_of(secret({}, "kubernetes.io/ssh-auth")), "data[ssh-privatekey]: Required value\n");
  EXPECT_EQ(errors_of(secret({{"token", "YQ=="}}, "kubernetes.io/service-account-token")),
            "type: Forbidden: not supported yet (lab has no service accounts or token controller)\n");
}

TEST(ConfigObjects, KeysFollowIsConfigMapKey) {
  EXPECT_EQ(errors_of(secret({{"a b", "YQ=="}})), "data[a b]: Invalid value: \"a b\": " + kKeyRule + "\n");
  EXPECT_EQ(errors_of(configmap({{"..", "x"}})), "data[..]: Invalid value: \"..\": must not be '..'\n");
  EXPECT_EQ(errors_of(configmap({}, {{"..x", "YQ=="}})),
            "binaryData[..x]: Invalid value: \"..x\": must not start with '..'\n");
  Json s = secret();
  s["stringData"] = {{"a/b", "x"}};
  EXPECT_EQ(errors_of(s), "stringData[a/b]: Invalid value: \"a/b\": " + kKeyRule + "\n");
  EXPECT_TRUE(errors_of(configmap({{std::string(254, 'k'), "x"}})).ends_with("...\": must be no more than 253 characters\n"));
  expect_clean(configmap({{"-._Az09", "x"}, {".hidden", "y"}}));
  EXPECT_EQ(api::config_key_errors("").size(), 1u);
  EXPECT_EQ(api::config_key_errors(".").front(), "must not be '.'");
}

TEST(ConfigObjects, ConfigMapKeyInBothDataAndBinaryData) {
  EXPECT_EQ(status_of(configmap({{"k", "x"}}, {{"k", "YQ=="}})),
            "ConfigMap \"c\" is invalid: data[k]: Invalid value: \"k\": duplicate of key present in binaryData");
  Json c = expect_clean(configmap({{"a", "text"}}, {{"b", "AAEC"}}));
  EXPECT_EQ(c["binaryData"]["b"], "AAEC");
}

TEST(ConfigObjects, TotalSizeAtMostOneMebibyte) {
  const std::string half(api::kMaxConfigBytes / 2, 'x');
  expect_clean(configmap({{"a", half}, {"b", half}}));
  EXPECT_EQ(status_of(configmap({{"a", half}, {"b", half + "y"}})),
            "ConfigMap \"c\" is invalid: []: Too long: must have at most 1048576 bytes");
  // binaryData counts its bytes, not its base64 text.
  EXPECT_EQ(status_of(configmap({{"a", half}}, {{"b", base64_encode(half + "y")}})),
            "ConfigMap \"c\" is invalid: []: Too long: must have at most 1048576 bytes");
  expect_clean(secret({{"a", base64_encode(std::string(api::kMaxConfigBytes, 'z'))}}));
  EXPECT_EQ(errors_of(secret({{"a", base64_encode(std::string(api::kMaxConfigBytes, 'z'))}, {"b", "YQ=="}})),
            "data: Too long: must have at most 1048576 bytes\n");
  Json s = secret();
  s["stringData"] = {{"a", std::string(api::kMaxConfigBytes + 1, 'z')}};
  EXPECT_EQ(errors_of(s), "data: Too long: must have at most 1048576 bytes\n");
}

TEST(ConfigObjects, ImmutableUpdatesAreRefused) {
  Json old = expect_clean(secret({{"a", "YQ=="}}));
  old["immutable"] = true;
  old = expect_clean(old);
  Json changed = old;
  changed["data"]["a"] = "Yg==";
  EXPECT_EQ(errors_of(changed, &old), "data: Forbidden: field is immutable when `immutable` is set\n");
  Json via_string = old;
  via_string["stringData"] = {{"a", "b"}};
  EXPECT_EQ(errors_of(via_string, &old), "data: Forbidden: field is immutable when `immutable` is set\n");
  Json unset = old;
  unset["immutable"] = false;
  EXPECT_EQ(status_of(unset, &old),
            "Secret \"s\" is invalid: immutable: Forbidden: field is immutable when `immutable` is set");
  Json labelled = old;
  labelled["metadata"]["labels"] = {{"app", "web"}};
  expect_clean(labelled, &old);  // metadata may change
  Json retyped = old;
  retyped["type"] = "kubernetes.io/basic-auth";
  retyped["data"]["username"] = "dQ==";
  EXPECT_NE(errors_of(retyped, &old).find("type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable\n"),
            std::string::npos);

  Json cm = configmap({{"a", "x"}}, {{"b", "YQ=="}});
  cm["immutable"] = true;
  cm = expect_clean(cm);
  Json cm2 = cm;
  cm2["binaryData"]["b"] = "Yg==";
  cm2.erase("immutable");
  EXPECT_EQ(errors_of(cm2, &cm),
            "immutable: Forbidden: field is immutable when `immutable` is set\n"
            "binaryData: Forbidden: field is immutable when `immutable` is set\n");
  // Mutable ones change freely, and may become immutable.
  Json mutable_cm = expect_clean(configmap({{"a", "x"}}));
  Json next = mutable_cm;
  next["data"]["a"] = "y";
  next["immutable"] = true;
  expect_clean(next, &mutable_cm);
}

TEST(ConfigObjects, RegistryMergesStringDataAndRefusesImmutableWrites) {
  store::Store st;
  store::Registry reg(st, {*net::Cidr::parse("10.96.0.0/12")});
  Json s = secret();
  s["stringData"] = {{"user", "admin"}};
  s["immutable"] = true;
  auto created = reg.create(s);
  ASSERT_TRUE(created.has_value()) << created.error().what();
  EXPECT_EQ((*created)["data"]["user"], base64_encode("admin"));
  EXPECT_FALSE(created->contains("stringData"));
  EXPECT_EQ((*created)["type"], "Opaque");
  auto patched = reg.patch("Secret", "default", "s", {{"stringData", {{"user", "root"}}}});
  ASSERT_FALSE(patched.has_value());
  EXPECT_EQ(patched.error().reason, Reason::Invalid);
  EXPECT_EQ(patched.error().message,
            "Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set");
  EXPECT_EQ((*reg.get("Secret", "default", "s"))["data"]["user"], base64_encode("admin"));
  auto dup = reg.create(secret());
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().message, "secrets \"s\" already exists");
}

TEST(ConfigObjects, SecretsSelectByType) {
  Json tls = expect_clean(secret({{"tls.crt", "YQ=="}, {"tls.key", "Yg=="}}, "kubernetes.io/tls"));
  auto sel = api::FieldSelector::parse("type=kubernetes.io/tls", "Secret");
  ASSERT_TRUE(sel.has_value()) << sel.error().what();
  EXPECT_TRUE(sel->matches(tls));
  EXPECT_FALSE(sel->matches(expect_clean(secret())));
  EXPECT_FALSE(api::FieldSelector::parse("type=x", "ConfigMap").has_value());  // ConfigMaps select by metadata only
}

// ---- scenario files ----

TEST(ConfigObjects, ScenarioFilesTakeThemAndPlaceErrors) {
  const std::string good =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: nginxsecret\ntype: kubernetes.io/tls\n"
      "data:\n  tls.crt: YQ==\n  tls.key: Yg==\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  default.conf: |\n    server {}\n";
  auto s = api::parse_scenario(good, "s.yaml", api::ScenarioUse::Objects);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  ASSERT_EQ(s->objects.size(), 2u);
  EXPECT_EQ(s->objects[1]["data"]["default.conf"], "server {}\n");

  const std::string bad =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: nginxsecret\ntype: kubernetes.io/tls\n"
      "data:\n  tls.crt: YQ==\n  tls.key: not-base64!\n";
  auto b = api::parse_scenario(bad, "s.yaml", api::ScenarioUse::Objects);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().what(), "s.yaml:8:12: Secret \"nginxsecret\": data[tls.key]: Invalid value: "
                              "\"<secret contents redacted>\": illegal base64 data at input byte 3");
  auto n = api::parse_scenario("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  port: 80\n", "s.yaml",
                               api::ScenarioUse::Objects);
  ASSERT_FALSE(n.has_value());
  EXPECT_NE(n.error().what().find("s.yaml:5:9: ConfigMap \"c\": data[port]: Invalid value: 80: must be a string"),
            std::string::npos)
      << n.error().what();
}

// ---- the create builders ----

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("h1-config-test-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& content) {
    std::ofstream(path / name, std::ios::binary) << content;
    return (path / name).string();
  }
};

using SP = std::pair<std::string, std::string>;

std::string error_message(const Result<Json>& r) { return r ? "(built)" : r.error().what(); }

TEST(CreateConfig, SourceParsing) {
  EXPECT_EQ(*cli::parse_literal_source("k=v=w"), SP("k", "v=w"));
  EXPECT_EQ(*cli::parse_literal_source("k="), SP("k", ""));
  EXPECT_EQ(cli::parse_literal_source("=v").error().what(), "invalid literal source =v, expected key=value");
  EXPECT_EQ(cli::parse_literal_source("kv").error().what(), "invalid literal source kv, expected key=value");
  EXPECT_EQ(*cli::parse_file_source("dir/default.conf"),
            SP("default.conf", "dir/default.conf"));
  EXPECT_EQ(*cli::parse_file_source("a/b/"), SP("b", "a/b/"));
  EXPECT_EQ(*cli::parse_file_source("k=/p"), SP("k", "/p"));
  EXPECT_EQ(cli::parse_file_source("=/p").error().what(), "key name for file path /p missing");
  EXPECT_EQ(cli::parse_file_source("k=").error().what(), "file path for key name k missing");
  EXPECT_EQ(cli::parse_file_source("a=b=c").error().what(), "key names or file paths cannot contain '='");
  EXPECT_EQ(cli::split_slice({"a,b", "c", ""}), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(CreateConfig, GenericSecretFromLiteralsFilesAndDirectories) {
  TempDir t;
  t.write("id_rsa", "PRIVATE\n");
  fs::create_directories(t.path / "dir" / "sub");
  t.write("dir/b.txt", "bee");
  t.write("dir/a.txt", "ay");
  fs::create_symlink(t.path / "id_rsa", t.path / "dir" / "link");
  cli::ConfigSources src{{"user=admin", "pw=a=b"}, {"ssh=" + (t.path / "id_rsa").string(), (t.path / "dir").string()}, {}};
  auto s = cli::build_generic_secret("my-secret", "", "", src);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ((*s)["data"], Json({{"user", base64_encode("admin")}, {"pw", base64_encode("a=b")},
                               {"ssh", base64_encode("PRIVATE\n")}, {"a.txt", base64_encode("ay")},
                               {"b.txt", base64_encode("bee")}}));  // the symlink and subdirectory skipped
  EXPECT_FALSE((*s)["metadata"].contains("namespace"));
  EXPECT_FALSE(s->contains("type"));
  auto typed = cli::build_generic_secret("x", "web", "kubernetes.io/basic-auth", {{"username=u"}, {}, {}});
  EXPECT_EQ((*typed)["type"], "kubernetes.io/basic-auth");
  EXPECT_EQ((*typed)["metadata"]["namespace"], "web");
  expect_clean(*typed);

  EXPECT_EQ(error_message(cli::build_generic_secret("x", "", "", {{"a=1", "a=2"}, {}, {}})),
            "cannot add key a, another key by that name already exists");
  EXPECT_EQ(error_message(cli::build_generic_secret("x", "", "", {{"a b=1"}, {}, {}})),
            "\"a b\" is not valid key name for a Secret " + kKeyRule);
  EXPECT_EQ(error_message(cli::build_generic_secret("x", "", "", {{}, {(t.path / "nope").string()}, {}})),
            "error reading " + (t.path / "nope").string() + ": no such file or directory");
  EXPECT_EQ(error_message(cli::build_generic_secret("x", "", "", {{}, {"k=" + (t.path / "dir").string()}, {}})),
            "cannot give a key name for a directory path");
}

TEST(CreateConfig, ConfigMapTextAndBinary) {
  TempDir t;
  t.write("default.conf", "server {\n  listen 80;\n}\n");
  t.write("logo.bin", std::string("\x89PNG\x00\xff", 6));
  auto c = cli::build_configmap("nginxconfigmap", "",
                                {{"mode=fast"}, {(t.path / "default.conf").string(), (t.path / "logo.bin").string()}, {}});
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_EQ((*c)["data"], Json({{"default.conf", "server {\n  listen 80;\n}\n"}, {"mode", "fast"}}));
  EXPECT_EQ((*c)["binaryData"], Json({{"logo.bin", base64_encode(std::string("\x89PNG\x00\xff", 6))}}));
  expect_clean(*c);
  // Files come first, then literals: the literal is the duplicate.
  EXPECT_EQ(error_message(cli::build_configmap("c", "", {{"logo.bin=x"}, {(t.path / "logo.bin").string()}, {}})),
            "cannot add key \"logo.bin\", another key by that name already exists in BinaryData for ConfigMap \"c\"");
  EXPECT_EQ(error_message(cli::build_configmap("c", "", {{"..=x"}, {}, {}})),
            "\"..\" is not a valid key name for a ConfigMap: must not be '..'");
}

TEST(CreateConfig, EnvFiles) {
  TempDir t;
  ::setenv("H1_FROM_ENV", "from the environment", 1);
  const std::string env = t.write("app.env", "\xEF\xBB\xBF# a comment\n\n  DB_HOST=db.local\r\nPASSWORD=a=b \nH1_FROM_ENV\n");
  auto c = cli::build_configmap("c", "", {{}, {}, {env}});
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_EQ((*c)["data"], Json({{"DB_HOST", "db.local"}, {"PASSWORD", "a=b "}, {"H1_FROM_ENV", "from the environment"}}));
  auto s = cli::build_generic_secret("s", "", "", {{}, {}, {env}});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)["data"]["DB_HOST"], base64_encode("db.local"));

  const std::string bad = t.write("bad.env", "1X=2\n");
  EXPECT_EQ(error_message(cli::build_configmap("c", "", {{}, {}, {bad}})),
            "\"1X\" is not a valid key name: a valid environment variable name must consist of alphabetic "
            "characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or "
            "'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
  const std::string latin1 = t.write("latin1.env", "A=1\nB=\xe9\n");
  EXPECT_EQ(error_message(cli::build_configmap("c", "", {{}, {}, {latin1}})),
            "env file " + latin1 + " contains invalid utf8 bytes at line 2: [66 61 233]");
  EXPECT_EQ(error_message(cli::build_generic_secret("s", "", "", {{}, {}, {t.path.string()}})),
            "env secret file cannot be a directory");
  EXPECT_EQ(error_message(cli::build_configmap("c", "", {{}, {}, {t.path.string()}})),
            "env config file cannot be a directory");
}

// ---- tls.X509KeyPair ----

std::string fixture(const std::string& name) {
  std::ifstream in(kSource + "/tests/fixtures/tls/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string pair_error(const std::string& cert, const std::string& key) {
  auto r = cli::check_tls_key_pair(cert, key);
  return r ? "(matches)" : r.error().what();
}

TEST(CreateConfig, TlsKeyPairAsGoChecksIt) {
  const std::string cert = fixture("a.crt"), key = fixture("a.key");
  ASSERT_FALSE(cert.empty());
  EXPECT_EQ(pair_error(cert, key), "(matches)");
  EXPECT_EQ(pair_error(cert, fixture("a-pkcs1.key")), "(matches)");
  EXPECT_EQ(pair_error(cert, fixture("b.key")), "tls: private key does not match public key");
  EXPECT_EQ(pair_error(cert, fixture("ec.key")), "tls: private key type does not match public key type");
  EXPECT_EQ(pair_error("", key), "tls: failed to find any PEM data in certificate input");
  EXPECT_EQ(pair_error(key, cert),
            "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs "
            "may have been switched");
  EXPECT_EQ(pair_error(cert, cert), "tls: found a certificate rather than a key in the PEM for the private key");
  EXPECT_EQ(pair_error(cert, "junk"), "tls: failed to find any PEM data in key input");
  EXPECT_EQ(pair_error(cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            "tls: failed to parse private key");
  EXPECT_EQ(pair_error("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key),
            "x509: malformed certificate");

  TempDir t;
  const std::string crt_path = t.write("tls.crt", cert), key_path = t.write("tls.key", key);
  auto s = cli::build_tls_secret("nginxsecret", "", crt_path, key_path);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ((*s)["type"], "kubernetes.io/tls");
  EXPECT_EQ((*s)["data"]["tls.crt"], base64_encode(cert));
  EXPECT_EQ((*s)["data"]["tls.key"], base64_encode(key));
  expect_clean(*s);
  EXPECT_EQ(error_message(cli::build_tls_secret("x", "", crt_path, (t.path / "missing").string())),
            "Cannot read file " + (t.path / "missing").string() + ", open " + (t.path / "missing").string() +
                ": no such file or directory");
}

// ---- get and describe ----

TEST(ConfigObjects, GetTables) {
  const std::string created = "2026-11-26T09:40:00Z";
  auto now = *cli::parse_time("2026-11-26T09:40:05Z");
  Json s = expect_clean(secret({{"tls.crt", "YQ=="}, {"tls.key", "Yg=="}}, "kubernetes.io/tls"));
  s["metadata"]["name"] = "nginxsecret";
  s["metadata"]["creationTimestamp"] = created;
  EXPECT_EQ(cli::secrets_table({{"items", {s}}}, false, true, now),
            "NAME          TYPE                DATA   AGE\n"
            "nginxsecret   kubernetes.io/tls   2      5s\n");
  Json c = configmap({{"a", "x"}}, {{"b", "YQ=="}});
  c["metadata"]["creationTimestamp"] = created;
  Json none = configmap();
  none["metadata"]["name"] = "empty";
  none["metadata"]["creationTimestamp"] = created;
  EXPECT_EQ(cli::configmaps_table({{"items", {c, none}}}, false, true, now),
            "NAME    DATA   AGE\n"
            "c       2      5s\n"
            "empty   0      5s\n");
}

TEST(ConfigObjects, DescribeAsKubectl) {
  Json s = expect_clean(secret({{"tls.crt", base64_encode(std::string(1164, 'c'))}, {"tls.key", base64_encode("k")}},
                               "kubernetes.io/tls"));
  s["metadata"]["name"] = "nginxsecret";
  EXPECT_EQ(cli::describe_secret(s),
            "Name:         nginxsecret\n"
            "Namespace:    default\n"
            "Labels:       <none>\n"
            "Annotations:  <none>\n"
            "\n"
            "Type:  kubernetes.io/tls\n"
            "\n"
            "Data\n"
            "====\n"
            "tls.crt:  1164 bytes\n"
            "tls.key:  1 bytes\n");

  Json c = configmap({{"default.conf", "server {\n    listen 80;\n}\n"}}, {{"logo", base64_encode("abc")}});
  c["metadata"]["name"] = "nginxconfigmap";
  c = expect_clean(c);
  EXPECT_EQ(cli::describe_configmap(c, Json::array(), cli::Clock::now()),
            "Name:         nginxconfigmap\n"
            "Namespace:    default\n"
            "Labels:       <none>\n"
            "Annotations:  <none>\n"
            "\n"
            "Data\n"
            "====\n"
            "default.conf:\n"
            "----\n"
            "server {\n"
            "    listen 80;\n"
            "}\n"
            "\n"
            "\n"
            "\n"
            "BinaryData\n"
            "====\n"
            "logo: 3 bytes\n"
            "\n"
            "Events:  <none>\n");
}

}  // namespace
}  // namespace lab
