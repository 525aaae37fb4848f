// Tables for Secrets and ConfigMaps, with the API server's defaults and rules (ValidateSecret,
// ValidateConfigMap and their update rules in pkg/apis/core/validation). Values are kept as the JSON
// API carries them: a Secret's data and a ConfigMap's binaryData are base64 text, checked here with
// Go's decoder's words; stringData is write-only and folded into data on every write.
#include "lab/api/schema_config.h"

#include "lab/api/schema_rules.h"
#include "lab/base/base64.h"

namespace lab::api {

namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// hasChDirPrefix: a key becomes a file name in a volume, so it may not climb out of it.
void chdir_prefix(const std::string& s, std::vector<std::string>& out) {
  if (s == ".") out.emplace_back("must not be '.'");
  else if (s == "..") out.emplace_back("must not be '..'");
  else if (s.starts_with("..")) out.emplace_back("must not start with '..'");
}

}  // namespace

std::vector<std::string> config_key_errors(const std::string& key) {
  std::vector<std::string> out;
  if (key.size() > 253) out.emplace_back("must be no more than 253 characters");
  bool ok = !key.empty();
  for (char c : key) ok = ok && key_char(c);
  if (!ok)
    out.emplace_back("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                     "or 'KEY_NAME',  or 'key_name', regex used for validation is '[-._a-zA-Z0-9]+')");
  chdir_prefix(key, out);
  return out;
}

std::vector<std::string> env_var_name_errors(const std::string& name) {
  std::vector<std::string> out;
  bool ok = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) ok = ok && key_char(c);
  if (!ok)
    out.emplace_back("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
                     "or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
                     "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
  chdir_prefix(name, out);
  return out;
}

namespace schema {

namespace {

using enum Type;

constexpr const char* kRedacted = "<secret contents redacted>";

// A key of data, binaryData or stringData: the first rule it breaks (each would be its own error in
// Kubernetes; one names the key well enough).
std::string config_key(const json& v) {
  auto errors = config_key_errors(v.get_ref<const std::string&>());
  return errors.empty() ? "" : errors.front();
}

// binaryData values: base64, as Go decodes []byte from JSON.
std::string base64_value(const json& v) {
  auto decoded = base64_decode(v.get_ref<const std::string&>());
  return decoded ? "" : decoded.error().message;
}

// Bytes of a map's values, base64-decoded or not. The values were checked already.
size_t total_bytes(const json& map, bool base64) {
  size_t total = 0;
  for (const auto& [k, v] : map.items()) {
    const auto& text = v.get_ref<const std::string&>();
    if (!base64) total += text.size();
    else if (auto bytes = base64_decode(text)) total += bytes->size();
  }
  return total;
}

void drop_if_empty(json& o, const char* key) {
  if (o.contains(key) && o[key].empty()) o.erase(key);
}

// json.Unmarshal into map[string]interface{}, as the docker config types need, in Go's words near
// enough (the syntax error's context phrase is Go's most common one): "" when it decodes.
std::string json_object_problem(const std::string& text) {
  json parsed;
  try {
    parsed = json::parse(text);
  } catch (const json::parse_error& e) {
    if (e.byte == 0 || e.byte > text.size() || text.find_first_not_of(" \t\r\n") == std::string::npos)
      return "unexpected end of JSON input";
    return "invalid character '" + std::string(1, text[e.byte - 1]) + "' looking for beginning of value";
  }
  if (parsed.is_object() || parsed.is_null()) return "";
  const char* what = parsed.is_array() ? "array" : parsed.is_string() ? "string" : parsed.is_boolean() ? "bool" : "number";
  return std::string("json: cannot unmarshal ") + what + " into Go value of type map[string]interface {}";
}

std::optional<Problem> required_key(const json& data, const char* key) {
  if (data.contains(key)) return std::nullopt;
  return Problem{"data[" + std::string(key) + "]", "", ErrorType::Required};
}

// ValidateSecret's rules by type; data holds base64 text already checked.
std::optional<Problem> check_secret_type(const json& s) {
  const std::string type = s["type"].get<std::string>();
  const json data = s.contains("data") ? s["data"] : json::object();
  if (type == "kubernetes.io/service-account-token")
    return Problem{"type", "not supported yet (lab has no service accounts or token controller)", ErrorType::Forbidden};
  if (type == "kubernetes.io/tls") {
    if (auto p = required_key(data, "tls.crt")) return p;
    return required_key(data, "tls.key");
  }
  if (type == "kubernetes.io/basic-auth") {
    // username or password may be empty, but one of the two must be there.
    if (!data.contains("username") && !data.contains("password")) return required_key(data, "username");
    return std::nullopt;
  }
  if (type == "kubernetes.io/ssh-auth") {
    const bool empty = !data.contains("ssh-privatekey") || data["ssh-privatekey"].get<std::string>().empty();
    return empty ? std::optional(Problem{"data[ssh-privatekey]", "", ErrorType::Required}) : std::nullopt;
  }
  for (const auto& [docker_type, key] : {std::pair{"kubernetes.io/dockercfg", ".dockercfg"},
                                         std::pair{"kubernetes.io/dockerconfigjson", ".dockerconfigjson"}}) {
    if (type != docker_type) continue;
    if (auto p = required_key(data, key)) return p;
    auto bytes = base64_decode(data[key].get<std::string>());
    if (!bytes) return std::nullopt;  // refused already
    if (std::string problem = json_object_problem(*bytes); !problem.empty())
      return Problem{"data[" + std::string(key) + "]", problem, ErrorType::Invalid, json(kRedacted)};
  }
  return std::nullopt;
}

std::optional<Problem> finish_secret(json& s) {
  // data is []byte in Go: text that is not base64 never decodes. The value is not shown back.
  if (s.contains("data"))
    for (const auto& [k, v] : s["data"].items())
      if (auto bytes = base64_decode(v.get_ref<const std::string&>()); !bytes)
        return Problem{"data[" + k + "]", bytes.error().message, ErrorType::Invalid, json(kRedacted)};
  // The v1 conversion: stringData overwrites data's keys, and is never stored or returned.
  if (s.contains("stringData")) {
    for (const auto& [k, v] : s["stringData"].items()) s["data"][k] = base64_encode(v.get_ref<const std::string&>());
    s.erase("stringData");
  }
  drop_if_empty(s, "data");  // omitempty: `data: {}` reads back as no data, as in Kubernetes
  if (!s.contains("type") || s["type"] == "") s["type"] = "Opaque";
  if (s.contains("data") && total_bytes(s["data"], true) > kMaxConfigBytes)
    return Problem{"data", "must have at most " + std::to_string(kMaxConfigBytes) + " bytes", ErrorType::TooLong};
  return check_secret_type(s);
}

std::optional<Problem> finish_configmap(json& c) {
  drop_if_empty(c, "data");
  drop_if_empty(c, "binaryData");
  const json data = c.value("data", json::object()), binary = c.value("binaryData", json::object());
  for (const auto& [k, v] : data.items())
    if (binary.contains(k))
      return Problem{"data[" + k + "]", "duplicate of key present in binaryData", ErrorType::Invalid, json(k)};
  if (total_bytes(data, false) + total_bytes(binary, true) > kMaxConfigBytes)
    // "[]": the whole object, as the API server's field.NewPath("") prints.
    return Problem{"[]", "must have at most " + std::to_string(kMaxConfigBytes) + " bytes", ErrorType::TooLong};
  return std::nullopt;
}

}  // namespace

const ObjectSchema kSecretDocument{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "metadata", .type = Object, .object = &kObjectMeta, .required = true},
    {.name = "type", .type = String},
    {.name = "data", .type = StringMap, .key_check = config_key},
    {.name = "stringData", .type = StringMap, .key_check = config_key},
    {.name = "immutable", .type = Bool},
}, finish_secret};

const ObjectSchema kConfigMapDocument{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "metadata", .type = Object, .object = &kObjectMeta, .required = true},
    {.name = "data", .type = StringMap, .key_check = config_key},
    {.name = "binaryData", .type = StringMap, .check = base64_value, .key_check = config_key},
    {.name = "immutable", .type = Bool},
}, finish_configmap};

}  // namespace schema

namespace {

using nlohmann::json;

const json& field_or_empty(const json& o, const char* key) {
  static const json empty = json::object();
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? empty : *it;
}

bool is_true(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::vector<FieldError> config_update_errors(const std::string& kind, const json& obj, const json& old) {
  std::vector<FieldError> out;
  if (!obj.is_object() || !old.is_object()) return out;
  const std::string forbidden = "Forbidden: field is immutable when `immutable` is set";
  if (kind == "Secret") {
    const json& type = field_or_empty(obj, "type");
    if (obj.contains("type") && old.contains("type") && type != old["type"])
      out.push_back({"type", "Invalid value: " + schema::show(type) + ": field is immutable"});
  }
  if (!is_true(old, "immutable")) return out;
  if (!is_true(obj, "immutable")) out.push_back({"immutable", forbidden});
  if (field_or_empty(obj, "data") != field_or_empty(old, "data")) out.push_back({"data", forbidden});
  if (kind == "ConfigMap" && field_or_empty(obj, "binaryData") != field_or_empty(old, "binaryData"))
    out.push_back({"binaryData", forbidden});
  return out;
}

}  // namespace lab::api
