// `lab create secret generic|tls` and `lab create configmap`: the objects kubectl's generators build
// from --from-literal, --from-file and --from-env-file (k8s.io/kubectl/pkg/cmd/create), with its
// rules and error words; and tls.X509KeyPair's check of a certificate and its key (OpenSSL).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/base/result.h"

namespace lab::cli {

struct ConfigSources {
  std::vector<std::string> literals;   // --from-literal=KEY=VALUE, as given
  std::vector<std::string> files;      // --from-file=[KEY=]PATH, comma lists already split
  std::vector<std::string> env_files;  // --from-env-file=PATH
};

// util.ParseLiteralSource: "k=v=w" -> {"k", "v=w"}; no '=' or a leading one is an error.
Result<std::pair<std::string, std::string>> parse_literal_source(const std::string& source);
// util.ParseFileSource: "path/to/f" -> {"f", "path/to/f"}, "k=path" -> {"k", "path"}.
Result<std::pair<std::string, std::string>> parse_file_source(const std::string& source);
// pflag's StringSlice: each value of a repeated flag split at commas.
std::vector<std::string> split_slice(const std::vector<std::string>& values);

// The Secret `kubectl create secret generic NAME` sends (data base64-encoded; type as given, ""
// for the server's Opaque). ns "" leaves metadata.namespace out (the URL's namespace applies).
Result<nlohmann::json> build_generic_secret(const std::string& name, const std::string& ns, const std::string& type,
                                            const ConfigSources& sources);
// `kubectl create configmap NAME`: UTF-8 file contents go to data, anything else to binaryData.
Result<nlohmann::json> build_configmap(const std::string& name, const std::string& ns, const ConfigSources& sources);
// `kubectl create secret tls NAME --cert --key`: type kubernetes.io/tls, keys tls.crt and tls.key,
// once the pair passes check_tls_key_pair.
Result<nlohmann::json> build_tls_secret(const std::string& name, const std::string& ns, const std::string& cert_path,
                                        const std::string& key_path);

// Go's tls.X509KeyPair: a CERTIFICATE PEM block that parses, a PRIVATE KEY block (PKCS#1, PKCS#8
// or SEC 1) that parses, and the key matching the certificate's public key; errors in Go's words
// ("tls: private key does not match public key").
Result<void> check_tls_key_pair(std::string_view cert_pem, std::string_view key_pem);

}  // namespace lab::cli
