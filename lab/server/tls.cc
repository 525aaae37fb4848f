// The TLS context of the API listener: certificate, key, client-certificate policy, ALPN.
#include "lab/server/tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "lab/server/tls_internal.h"

namespace lab::server {
namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Only http/1.1: a client that offers nothing else (or no ALPN at all) still gets HTTP/1.1.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == 8 && std::memcmp(in + i + 1, "http/1.1", 8) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// The handshake goes on whatever the client certificate's verdict: tls_peer() reads the verdict
// afterwards, and an unverified certificate names nobody (kube-apiserver's RequestClientCert).
int accept_any(int, X509_STORE_CTX*) { return 1; }

std::vector<std::string> name_entries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0;) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> make_tls_context(const TlsFiles& files) {
  auto tls = std::make_shared<TlsContext>();
  SSL_CTX* ctx = tls->ctx.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1)
    return fail("TLS certificate " + files.cert + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("TLS key " + files.key + ": " + openssl_error());
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("TLS key " + files.key + " does not match " + files.cert);
  if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1)
    return fail("TLS CA " + files.ca + ": " + openssl_error());
  // The CA names sent with the certificate request: a Go client sends its certificate only when
  // its issuer is among them.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str());
  if (!names) return fail("TLS CA " + files.ca + ": " + openssl_error());
  SSL_CTX_set_client_CA_list(ctx, names);
  // A client certificate must be one for client authentication (extended key usage clientAuth).
  SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  return tls;
}

TlsPeer tls_peer(SSL* ssl) {
  TlsPeer peer;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return peer;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    peer.verified = true;
    X509_NAME* subject = X509_get_subject_name(cert);
    auto cns = name_entries(subject, NID_commonName);
    if (!cns.empty()) peer.cn = cns.front();
    peer.orgs = name_entries(subject, NID_organizationName);
  }
  X509_free(cert);
  return peer;
}

}  // namespace lab::server
