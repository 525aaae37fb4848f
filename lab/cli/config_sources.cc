// The objects of `create secret generic|tls` and `create configmap`, built as kubectl's generators
// build them (pkg/cmd/create/create_secret.go, create_configmap.go, pkg/util, pkg/cmd/util/env_file.go):
// the same order of sources, the same key rules, the same errors.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>

#include "lab/api/schema_config.h"
#include "lab/api/scenario.h"
#include "lab/api/utf8.h"
#include "lab/base/base64.h"
#include "lab/base/unique_fd.h"
#include "lab/cli/create_config.h"

namespace lab::cli {

namespace {

using Json = nlohmann::json;

// Go's %q of a string, near enough: JSON's quoting.
std::string quote(const std::string& s) { return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace); }

// Go's errno text: strerror in lower case ("no such file or directory").
std::string errno_text(int code) {
  std::string s = std::strerror(code);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Text as Go's JSON encoder sends it: invalid UTF-8 becomes U+FFFD (never an exception on dump).
std::string valid_text(const std::string& s) {
  if (api::valid_utf8(s)) return s;
  return Json::parse(Json(s).dump(-1, ' ', false, Json::error_handler_t::replace)).get<std::string>();
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// path.Base: the last element, trailing slashes aside; "." for "", "/" for all slashes.
std::string base_name(std::string p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return "/";
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// os.ReadFile, bounded: what no API request could carry is refused rather than read for ever
// (a --from-file of /dev/zero).
Result<std::string> read_whole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open " + path + ": " + errno_text(errno));
  UniqueFd owner(fd);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read " + path + ": " + errno_text(errno));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > api::kMaxScenarioBytes)
      return fail("read " + path + ": too large: an API request carries at most " +
                  std::to_string(api::kMaxScenarioBytes) + " bytes");
  }
  return out;
}

// os.Stat with kubectl's wrapping of its error: "error reading PATH: no such file or directory".
Result<bool> is_directory(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return fail("error reading " + path + ": " + errno_text(errno));
  return S_ISDIR(st.st_mode);
}

// os.ReadDir: the regular files of a directory (symlinks, subdirectories and devices are skipped),
// sorted by name.
Result<std::vector<std::string>> regular_files(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return fail("error listing files in " + dir + ": " + errno_text(ec.value()));
  for (const auto& entry : it) {
    std::error_code type_ec;
    if (entry.symlink_status(type_ec).type() == std::filesystem::file_type::regular)
      names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Each regular file a --from-file names: (key, path).
using FileVisitor = std::function<Result<void>(const std::string& key, const std::string& path)>;

Result<void> each_file_source(const std::vector<std::string>& sources, const FileVisitor& visit) {
  for (const auto& source : sources) {
    auto parsed = parse_file_source(source);
    if (!parsed) return std::unexpected(parsed.error());
    const auto& [key, path] = *parsed;
    auto dir = is_directory(path);
    if (!dir) return std::unexpected(dir.error());
    if (!*dir) {
      LAB_TRY(visit(key, path));
      continue;
    }
    if (source.find('=') != std::string::npos) return fail("cannot give a key name for a directory path");
    auto names = regular_files(path);
    if (!names) return std::unexpected(names.error());
    for (const auto& name : *names) LAB_TRY(visit(name, (std::filesystem::path(path) / name).string()));
  }
  return {};
}

// cmdutil.AddFromEnvFile: KEY=VALUE lines; blank lines and '#' comments skipped; a KEY alone takes
// the value from this process's environment. `what` is "secret" or "config" for the messages.
Result<void> each_env_file(const std::vector<std::string>& files, const char* what,
                           const std::function<Result<void>(const std::string&, const std::string&)>& add) {
  for (const auto& file : files) {
    auto dir = is_directory(file);
    if (!dir) return std::unexpected(dir.error());
    if (*dir) return fail(std::string("env ") + what + " file cannot be a directory");
    auto text = read_whole(file);
    if (!text) return std::unexpected(text.error());
    size_t line_no = 0;
    for (size_t start = 0; start < text->size(); ++line_no) {
      size_t nl = text->find('\n', start);
      std::string line = text->substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      start = nl == std::string::npos ? text->size() : nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();  // bufio.ScanLines drops it
      if (!api::valid_utf8(line)) {
        std::string bytes;
        for (unsigned char c : line) bytes += (bytes.empty() ? "" : " ") + std::to_string(c);
        return fail("env file " + file + " contains invalid utf8 bytes at line " + std::to_string(line_no + 1) +
                    ": [" + bytes + "]");
      }
      if (line_no == 0 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      line.erase(0, line.find_first_not_of(" \t\n\v\f\r"));
      if (line.empty() || line[0] == '#') continue;
      const size_t eq = line.find('=');
      const std::string key = line.substr(0, eq);
      if (auto errs = api::env_var_name_errors(key); !errs.empty())
        return fail(quote(key) + " is not a valid key name: " + join(errs, ";"));
      std::string value;
      if (eq != std::string::npos) value = line.substr(eq + 1);
      else if (const char* env = std::getenv(key.c_str())) value = env;
      LAB_TRY(add(key, value));
    }
  }
  return {};
}

Json new_object(const char* kind, const std::string& name, const std::string& ns) {
  Json meta = {{"name", valid_text(name)}};
  if (!ns.empty()) meta["namespace"] = valid_text(ns);
  return {{"apiVersion", "v1"}, {"kind", kind}, {"metadata", meta}};
}

}  // namespace

Result<std::pair<std::string, std::string>> parse_literal_source(const std::string& source) {
  const size_t eq = source.find('=');
  if (eq == 0 || eq == std::string::npos) return fail("invalid literal source " + source + ", expected key=value");
  return std::pair{source.substr(0, eq), source.substr(eq + 1)};
}

Result<std::pair<std::string, std::string>> parse_file_source(const std::string& source) {
  const auto separators = std::count(source.begin(), source.end(), '=');
  if (separators == 0) return std::pair{base_name(source), source};
  if (separators == 1 && source.front() == '=') return fail("key name for file path " + source.substr(1) + " missing");
  if (separators == 1 && source.back() == '=')
    return fail("file path for key name " + source.substr(0, source.size() - 1) + " missing");
  if (separators > 1) return fail("key names or file paths cannot contain '='");
  const size_t eq = source.find('=');
  return std::pair{source.substr(0, eq), source.substr(eq + 1)};
}

std::vector<std::string> split_slice(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    if (v.empty()) continue;  // pflag reads "" as no values
    for (size_t start = 0;;) {
      const size_t comma = v.find(',', start);
      out.push_back(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

Result<Json> build_generic_secret(const std::string& name, const std::string& ns, const std::string& type,
                                  const ConfigSources& sources) {
  Json secret = new_object("Secret", name, ns);
  if (!type.empty()) secret["type"] = valid_text(type);
  Json data = Json::object();
  // addKeyFromLiteralToSecret
  auto add = [&](const std::string& key, const std::string& bytes) -> Result<void> {
    if (auto errs = api::config_key_errors(key); !errs.empty())
      return fail(quote(key) + " is not valid key name for a Secret " + join(errs, ";"));
    if (data.contains(key)) return fail("cannot add key " + key + ", another key by that name already exists");
    data[key] = base64_encode(bytes);
    return {};
  };
  for (const auto& literal : sources.literals) {
    auto kv = parse_literal_source(literal);
    if (!kv) return std::unexpected(kv.error());
    LAB_TRY(add(kv->first, kv->second));
  }
  LAB_TRY(each_file_source(sources.files, [&](const std::string& key, const std::string& path) -> Result<void> {
    auto bytes = read_whole(path);
    if (!bytes) return std::unexpected(bytes.error());
    return add(key, *bytes);
  }));
  LAB_TRY(each_env_file(sources.env_files, "secret", add));
  if (!data.empty()) secret["data"] = std::move(data);
  return secret;
}

Result<Json> build_configmap(const std::string& name, const std::string& ns, const ConfigSources& sources) {
  Json cm = new_object("ConfigMap", name, ns);
  Json data = Json::object(), binary = Json::object();
  const std::string shown = quote(valid_text(name));
  // validateNewConfigMap
  auto check = [&](const std::string& key) -> Result<void> {
    if (auto errs = api::config_key_errors(key); !errs.empty())
      return fail(quote(key) + " is not a valid key name for a ConfigMap: " + join(errs, ","));
    if (data.contains(key))
      return fail("cannot add key " + quote(key) + ", another key by that name already exists in Data for ConfigMap " + shown);
    if (binary.contains(key))
      return fail("cannot add key " + quote(key) + ", another key by that name already exists in BinaryData for ConfigMap " +
                  shown);
    return {};
  };
  auto add_text = [&](const std::string& key, const std::string& value) -> Result<void> {
    LAB_TRY(check(key));
    data[key] = valid_text(value);
    return {};
  };
  LAB_TRY(each_file_source(sources.files, [&](const std::string& key, const std::string& path) -> Result<void> {
    auto bytes = read_whole(path);
    if (!bytes) return std::unexpected(bytes.error());
    if (api::valid_utf8(*bytes)) return add_text(key, *bytes);
    LAB_TRY(check(key));
    binary[key] = base64_encode(*bytes);
    return {};
  }));
  for (const auto& literal : sources.literals) {
    auto kv = parse_literal_source(literal);
    if (!kv) return std::unexpected(kv.error());
    LAB_TRY(add_text(kv->first, kv->second));
  }
  LAB_TRY(each_env_file(sources.env_files, "config", add_text));
  if (!data.empty()) cm["data"] = std::move(data);
  if (!binary.empty()) cm["binaryData"] = std::move(binary);
  return cm;
}

Result<Json> build_tls_secret(const std::string& name, const std::string& ns, const std::string& cert_path,
                              const std::string& key_path) {
  auto read = [](const std::string& path) -> Result<std::string> {
    auto bytes = read_whole(path);
    if (!bytes) return fail("Cannot read file " + path + ", " + bytes.error().message);
    return bytes;
  };
  auto cert = read(cert_path);
  if (!cert) return std::unexpected(cert.error());
  auto key = read(key_path);
  if (!key) return std::unexpected(key.error());
  LAB_TRY(check_tls_key_pair(*cert, *key));
  Json secret = new_object("Secret", name, ns);
  secret["type"] = "kubernetes.io/tls";
  secret["data"] = {{"tls.crt", base64_encode(*cert)}, {"tls.key", base64_encode(*key)}};
  return secret;
}

}  // namespace lab::cli
