// The TLS side of the API's listener on 127.0.0.1: the server's certificate and key, and the lab's
// CA, against which client certificates are verified. As kube-apiserver (tls.RequestClientCert plus
// its x509 authenticator): a client certificate is requested but optional, and one that does not
// verify fails no handshake — the request simply carries no client identity and authentication
// answers 401. Only ALPN http/1.1 is offered: a Go client offered h2 would speak HTTP/2.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::server {

struct TlsFiles {
  std::string cert;  // PEM: the server certificate (and any intermediates after it)
  std::string key;   // PEM: its private key
  std::string ca;    // PEM: the CA that signs client certificates
};

// An OpenSSL server context (opaque here: the server's .cc files use it through tls_internal.h).
class TlsContext;
Result<std::shared_ptr<TlsContext>> make_tls_context(const TlsFiles& files);

// What the handshake established about the client.
struct TlsPeer {
  bool verified = false;           // a client certificate was sent and verifies against the CA
  std::string cn;                  // its subject CN ("" unless verified)
  std::vector<std::string> orgs;   // its subject O values
};

}  // namespace lab::server
