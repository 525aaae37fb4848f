// Go's tls.X509KeyPair as `kubectl create secret tls` runs it before anything is sent: the PEM blocks
// found as encoding/pem finds them, the certificate and key parsed with OpenSSL, and the key matched
// against the certificate's public key. Errors carry Go's words.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "lab/base/base64.h"
#include "lab/cli/create_config.h"

namespace lab::cli {

namespace {

struct PemBlock {
  std::string type;
  std::string bytes;
};

// getLine: a line without its newline and trailing blanks, and what follows it.
std::pair<std::string_view, std::string_view> get_line(std::string_view data) {
  const size_t nl = data.find('\n');
  std::string_view line = nl == std::string_view::npos ? data : data.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  return {line, rest};
}

// encoding/pem.Decode: the next block, and the text after it; nullopt when none is left.
std::optional<PemBlock> pem_decode(std::string_view& data) {
  constexpr std::string_view kBegin = "\n-----BEGIN ", kEnd = "\n-----END ", kDashes = "-----";
  std::string_view rest = data;
  for (;;) {
    if (rest.starts_with(kBegin.substr(1))) {
      rest.remove_prefix(kBegin.size() - 1);
    } else if (size_t at = rest.find(kBegin); at != std::string_view::npos) {
      rest.remove_prefix(at + kBegin.size());
    } else {
      return std::nullopt;
    }
    auto [type_line, after_type] = get_line(rest);
    rest = after_type;
    if (!type_line.ends_with(kDashes)) continue;
    type_line.remove_suffix(kDashes.size());
    // Headers ("Proc-Type: 4,ENCRYPTED") until the first line without a colon.
    bool headers = false;
    for (;;) {
      if (rest.empty()) return std::nullopt;
      auto [line, next] = get_line(rest);
      if (line.find(':') == std::string_view::npos) break;
      headers = true;
      rest = next;
    }
    size_t end_index, trailer_index;
    if (!headers && rest.starts_with(kEnd.substr(1))) {
      end_index = 0;
      trailer_index = kEnd.size() - 1;
    } else {
      end_index = rest.find(kEnd);
      if (end_index == std::string_view::npos) continue;
      trailer_index = end_index + kEnd.size();
    }
    std::string_view trailer = rest.substr(trailer_index);
    const size_t trailer_len = type_line.size() + kDashes.size();
    if (trailer.size() < trailer_len) continue;
    if (!trailer.substr(0, trailer_len).starts_with(type_line) || !trailer.substr(0, trailer_len).ends_with(kDashes))
      continue;
    if (!get_line(trailer.substr(trailer_len)).first.empty()) continue;
    std::string text;
    for (char c : rest.substr(0, end_index))
      if (c != ' ' && c != '\t') text += c;
    auto bytes = base64_decode(text);
    if (!bytes) continue;
    data = get_line(trailer.substr(trailer_len)).second;
    return PemBlock{std::string(type_line), std::move(*bytes)};
  }
}

// "[A B]": Go's %v of a []string.
std::string go_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return "[" + out + "]";
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct Pkcs8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

bool go_supports(const EVP_PKEY* k) {
  const int id = EVP_PKEY_get_base_id(k);
  return id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_ED25519;
}

// A DER parser that must consume the whole input, as Go's parsers refuse trailing data.
template <typename F>
auto parse_der(const std::string& der, F parse) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* start = p;
  auto* out = parse(&p, static_cast<long>(der.size()));
  const bool whole = out && p == start + der.size();
  return std::pair{out, whole};
}

// tls.parsePrivateKey: PKCS #1 (RSA), then PKCS #8 (RSA, ECDSA, Ed25519), then SEC 1 (EC).
Result<Pkey> parse_private_key(const std::string& der) {
  {
    auto [k, whole] = parse_der(der, [](const unsigned char** p, long n) { return d2i_PrivateKey(EVP_PKEY_RSA, nullptr, p, n); });
    Pkey key(k);
    if (key && whole) return key;
  }
  {
    auto [info, whole] = parse_der(der, [](const unsigned char** p, long n) { return d2i_PKCS8_PRIV_KEY_INFO(nullptr, p, n); });
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Free> owned(info);
    if (owned && whole) {
      Pkey key(EVP_PKCS82PKEY(owned.get()));
      if (key) {
        if (!go_supports(key.get())) return fail("tls: found unknown private key type in PKCS#8 wrapping");
        return key;
      }
    }
  }
  {
    auto [k, whole] = parse_der(der, [](const unsigned char** p, long n) { return d2i_PrivateKey(EVP_PKEY_EC, nullptr, p, n); });
    Pkey key(k);
    if (key && whole) return key;
  }
  return fail("tls: failed to parse private key");
}

}  // namespace

Result<void> check_tls_key_pair(std::string_view cert_pem, std::string_view key_pem) {
  std::vector<std::string> certs, skipped;
  for (std::string_view rest = cert_pem; auto block = pem_decode(rest);) {
    if (block->type == "CERTIFICATE") certs.push_back(std::move(block->bytes));
    else skipped.push_back(block->type);
  }
  if (certs.empty()) {
    if (skipped.empty()) return fail("tls: failed to find any PEM data in certificate input");
    if (skipped.size() == 1 && skipped[0].ends_with("PRIVATE KEY"))
      return fail("tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM "
                  "inputs may have been switched");
    return fail("tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of "
                "the following types: " + go_list(skipped));
  }
  skipped.clear();
  std::optional<PemBlock> key_block;
  for (std::string_view rest = key_pem;;) {
    auto block = pem_decode(rest);
    if (!block) {
      if (skipped.empty()) return fail("tls: failed to find any PEM data in key input");
      if (skipped.size() == 1 && skipped[0] == "CERTIFICATE")
        return fail("tls: found a certificate rather than a key in the PEM for the private key");
      return fail("tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM "
                  "blocks of the following types: " + go_list(skipped));
    }
    if (block->type == "PRIVATE KEY" || block->type.ends_with(" PRIVATE KEY")) {
      key_block = std::move(block);
      break;
    }
    skipped.push_back(block->type);
  }

  auto [x, whole] = parse_der(certs[0], [](const unsigned char** p, long n) { return d2i_X509(nullptr, p, n); });
  std::unique_ptr<X509, X509Free> cert(x);
  if (!cert) return fail("x509: malformed certificate");
  if (!whole) return fail("x509: trailing data");
  auto key = parse_private_key(key_block->bytes);
  if (!key) return std::unexpected(key.error());

  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  if (!pub || !go_supports(pub)) return fail("tls: unknown public key algorithm");
  switch (EVP_PKEY_eq(pub, key->get())) {
    case 1: return {};
    case 0: return fail("tls: private key does not match public key");
    case -1: return fail("tls: private key type does not match public key type");
    default: return fail("tls: unknown public key algorithm");
  }
}

}  // namespace lab::cli
