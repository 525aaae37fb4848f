// The TlsContext behind tls.h's handle, for the server's .cc files (includes Asio's SSL).
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include "lab/server/tls.h"

namespace lab::server {

class TlsContext {
 public:
  TlsContext() : ctx(boost::asio::ssl::context::tls_server) {}
  boost::asio::ssl::context ctx;
};

// The peer of an established TLS connection.
TlsPeer tls_peer(SSL* ssl);

}  // namespace lab::server
