// The lab's certificates, made with OpenSSL 3 (EVP for keys, X509 for certificates). Extensions
// follow kubeadm's certs: the CA has basicConstraints CA:TRUE and keyCertSign; leaves have
// digitalSignature/keyEncipherment and one extended usage (serverAuth or clientAuth).
#include "lab/server/pki.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <cstring>

#include <memory>

#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"

namespace lab::server {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using Bio = std::unique_ptr<BIO, Free>;

constexpr long kDay = 24L * 3600;

// OpenSSL's error queue as text, emptied.
std::string ssl_error(const std::string& what) {
  std::string msg = what;
  unsigned long e;
  char buf[256];
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    msg += (first ? ": " : "; ") + std::string(buf);
    first = false;
  }
  return msg;
}

Result<Key> new_key() {
  Key k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k) return fail(ssl_error("generate an EC P-256 key"));
  return k;
}

std::string bio_text(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Result<std::string> key_pem(EVP_PKEY* k) {
  Bio b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(ssl_error("encode a private key"));
  return bio_text(b.get());
}

Result<std::string> pub_pem(EVP_PKEY* k) {
  Bio b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PUBKEY(b.get(), k) != 1) return fail(ssl_error("encode a public key"));
  return bio_text(b.get());
}

Result<std::string> cert_pem(X509* c) {
  Bio b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_X509(b.get(), c) != 1) return fail(ssl_error("encode a certificate"));
  return bio_text(b.get());
}

Result<Key> parse_key(const std::string& pem, const std::string& what) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key k(b ? PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!k) return fail(ssl_error("parse " + what));
  return k;
}

Result<Cert> parse_cert(const std::string& pem, const std::string& what) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert c(b ? PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!c) return fail(ssl_error("parse " + what));
  return c;
}

Result<void> add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return fail(ssl_error("certificate extension " + value));
  return {};
}

struct CertSpec {
  std::string cn;
  std::vector<std::string> orgs = {};
  long days = 365;
  bool ca = false;
  std::string ext_usage = "";  // "serverAuth", "clientAuth"
  std::string sans = "";       // "IP:127.0.0.1,DNS:kubernetes,..."
};

// A certificate for key, signed by issuer_key (issuer == nullptr: self-signed).
Result<Cert> make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, std::time_t now) {
  Cert c(X509_new());
  if (!c) return fail(ssl_error("X509_new"));
  X509_set_version(c.get(), X509_VERSION_3);
  // A random positive 127-bit serial, as Go's crypto/x509 users (kubeadm) pick them.
  std::unique_ptr<BIGNUM, Free> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(c.get())))
    return fail(ssl_error("certificate serial"));
  // Valid from a few minutes back, for clocks of clients slightly behind (kubeadm does the same).
  std::time_t from = now - 5 * 60;
  if (!X509_time_adj_ex(X509_getm_notBefore(c.get()), 0, 0, &from) ||
      !X509_time_adj_ex(X509_getm_notAfter(c.get()), static_cast<int>(spec.days), 0, &now))
    return fail(ssl_error("certificate validity"));
  X509_NAME* name = X509_get_subject_name(c.get());
  for (const auto& o : spec.orgs)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  if (X509_set_pubkey(c.get(), key) != 1) return fail(ssl_error("certificate public key"));
  X509* signer = issuer ? issuer : c.get();
  if (spec.ca) {
    LAB_TRY(add_ext(c.get(), signer, NID_basic_constraints, "critical,CA:TRUE"));
    LAB_TRY(add_ext(c.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign"));
    LAB_TRY(add_ext(c.get(), signer, NID_subject_key_identifier, "hash"));
  } else {
    LAB_TRY(add_ext(c.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    LAB_TRY(add_ext(c.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment"));
    LAB_TRY(add_ext(c.get(), signer, NID_ext_key_usage, spec.ext_usage));
    LAB_TRY(add_ext(c.get(), signer, NID_authority_key_identifier, "keyid:always"));
  }
  if (!spec.sans.empty()) LAB_TRY(add_ext(c.get(), signer, NID_subject_alt_name, spec.sans));
  if (X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
    return fail(ssl_error("sign the certificate " + spec.cn));
  return c;
}

std::time_t resolve_now(std::time_t now) { return now != 0 ? now : std::time(nullptr); }

struct FileOf {
  const char* name;
  std::string Pki::*field;
  bool secret;
};
constexpr FileOf kFiles[] = {
    {"ca.crt", &Pki::ca_cert, false},         {"ca.key", &Pki::ca_key, true},
    {"apiserver.crt", &Pki::server_cert, false}, {"apiserver.key", &Pki::server_key, true},
    {"admin.crt", &Pki::admin_cert, false},   {"admin.key", &Pki::admin_key, true},
    {"sa.key", &Pki::sa_key, true},           {"sa.pub", &Pki::sa_pub, false},
};

// Whether cert names ip among its IP SANs.
bool has_ip_san(X509* cert, const std::string& ip) {
  in_addr addr{};
  if (::inet_pton(AF_INET, ip.c_str(), &addr) != 1) return false;
  std::unique_ptr<GENERAL_NAMES, Free> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != GEN_IPADD) continue;
    const int len = ASN1_STRING_length(n->d.iPAddress);
    if (len == 4 && std::memcmp(ASN1_STRING_get0_data(n->d.iPAddress), &addr, 4) == 0) return true;
  }
  return false;
}

}  // namespace

Result<Pki> make_pki(const PkiRequest& req) {
  const std::time_t now = resolve_now(req.now);
  Pki pki;
  auto ca_key = new_key();
  if (!ca_key) return std::unexpected(ca_key.error());
  auto ca = make_cert({.cn = "lab-" + req.lab + "-ca", .days = 3650, .ca = true}, ca_key->get(), nullptr, nullptr, now);
  if (!ca) return std::unexpected(ca.error());

  auto server_key = new_key();
  if (!server_key) return std::unexpected(server_key.error());
  std::string sans = "IP:127.0.0.1";
  if (!req.service_ip.empty() && req.service_ip != "127.0.0.1") sans += ",IP:" + req.service_ip;
  sans += ",DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
          "DNS:kubernetes.default.svc.cluster.local,DNS:localhost";
  auto server = make_cert({.cn = "kube-apiserver", .ext_usage = "serverAuth", .sans = sans}, server_key->get(),
                          ca->get(), ca_key->get(), now);
  if (!server) return std::unexpected(server.error());

  auto admin_key = new_key();
  if (!admin_key) return std::unexpected(admin_key.error());
  auto admin = make_cert({.cn = "kubernetes-admin", .orgs = {"system:masters"}, .ext_usage = "clientAuth"},
                         admin_key->get(), ca->get(), ca_key->get(), now);
  if (!admin) return std::unexpected(admin.error());

  auto sa_key = new_key();
  if (!sa_key) return std::unexpected(sa_key.error());

  struct Out {
    std::string* field;
    Result<std::string> text;
  };
  Out outs[] = {
      {&pki.ca_cert, cert_pem(ca->get())},         {&pki.ca_key, key_pem(ca_key->get())},
      {&pki.server_cert, cert_pem(server->get())}, {&pki.server_key, key_pem(server_key->get())},
      {&pki.admin_cert, cert_pem(admin->get())},   {&pki.admin_key, key_pem(admin_key->get())},
      {&pki.sa_key, key_pem(sa_key->get())},       {&pki.sa_pub, pub_pem(sa_key->get())},
  };
  for (auto& o : outs) {
    if (!o.text) return std::unexpected(o.text.error());
    *o.field = std::move(*o.text);
  }
  return pki;
}

Result<void> check_pki(const Pki& pki, const std::string& service_ip, std::time_t now) {
  now = resolve_now(now);
  auto ca = parse_cert(pki.ca_cert, "ca.crt");
  if (!ca) return std::unexpected(ca.error());
  struct Pair {
    const std::string *cert, *key;
    const char* name;
  };
  const Pair pairs[] = {{&pki.server_cert, &pki.server_key, "apiserver"}, {&pki.admin_cert, &pki.admin_key, "admin"}};
  std::unique_ptr<X509_STORE, Free> store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca->get()) != 1) return fail(ssl_error("CA store"));
  auto ca_key = parse_key(pki.ca_key, "ca.key");
  if (!ca_key) return std::unexpected(ca_key.error());
  if (X509_check_private_key(ca->get(), ca_key->get()) != 1) return fail(ssl_error("ca.key does not match ca.crt"));
  for (const auto& p : pairs) {
    auto cert = parse_cert(*p.cert, std::string(p.name) + ".crt");
    if (!cert) return std::unexpected(cert.error());
    auto key = parse_key(*p.key, std::string(p.name) + ".key");
    if (!key) return std::unexpected(key.error());
    if (X509_check_private_key(cert->get(), key->get()) != 1)
      return fail(ssl_error(std::string(p.name) + ".key does not match its certificate"));
    std::unique_ptr<X509_STORE_CTX, Free> ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1)
      return fail(ssl_error("verify context"));
    // Valid now and still tomorrow: a certificate about to expire is made again.
    X509_STORE_CTX_set_time(ctx.get(), 0, now + kDay);
    if (X509_verify_cert(ctx.get()) != 1)
      return fail(std::string(p.name) + ".crt: " +
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
    if (std::string(p.name) == "apiserver" && !service_ip.empty() && !has_ip_san(cert->get(), service_ip))
      return fail("apiserver.crt does not name " + service_ip);
  }
  auto sa = parse_key(pki.sa_key, "sa.key");
  if (!sa) return std::unexpected(sa.error());
  auto pub = pub_pem(sa->get());
  if (!pub) return std::unexpected(pub.error());
  if (*pub != pki.sa_pub) return fail("sa.pub is not sa.key's public key");
  return {};
}

std::string pki_dir(const std::string& lab) { return cluster::lab_dir(lab) + "/pki"; }

Result<Pki> load_pki(const std::string& dir) {
  Pki pki;
  for (const auto& f : kFiles) {
    auto text = read_file(dir + "/" + f.name);
    if (!text) return std::unexpected(text.error());
    pki.*f.field = std::move(*text);
  }
  return pki;
}

Result<Pki> load_or_create_pki(const std::string& dir, const PkiRequest& req) {
  if (auto old = load_pki(dir); old && check_pki(*old, req.service_ip, req.now)) return *old;
  auto pki = make_pki(req);
  if (!pki) return std::unexpected(pki.error());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("mkdir " + dir);
  // An existing directory (a half-made PKI) may have other modes: keys stay root's alone.
  if (::chmod(dir.c_str(), 0700) != 0) return fail_errno("chmod " + dir);
  for (const auto& f : kFiles)
    if (auto w = write_file_atomic(dir + "/" + f.name, (*pki).*f.field, f.secret ? 0600 : 0644); !w)
      return std::unexpected(w.error().context("write the lab's PKI"));
  return pki;
}

}  // namespace lab::server
