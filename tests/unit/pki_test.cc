// The lab's PKI: the chain, the SANs, the subjects and the files' modes, checked with OpenSSL
// itself (X509_verify_cert, X509_check_host/ip), not with the code that made them.
#include "lab/server/pki.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "lab/base/unique_fd.h"

namespace lab::server {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert parse(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* c = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  return Cert(c);
}

std::string subject_entry(X509* c, int nid, int index = 0) {
  X509_NAME* name = X509_get_subject_name(c);
  int at = -1;
  for (int i = 0; i <= index; ++i) {
    at = X509_NAME_get_index_by_NID(name, nid, at);
    if (at < 0) return "";
  }
  const unsigned char* data = ASN1_STRING_get0_data(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  return reinterpret_cast<const char*>(data);
}

// 0 when cert chains to ca at time t with the given purpose.
int verify(X509* ca, X509* cert, int purpose, time_t t) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  X509_STORE_CTX_set_time(ctx, 0, t);
  int rc = X509_verify_cert(ctx) == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return rc;
}

class PkiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = make_pki({.lab = "demo", .service_ip = "10.96.0.1"});
    ASSERT_TRUE(p) << p.error().what();
    pki_ = new Pki(*p);
  }
  static void TearDownTestSuite() { delete pki_; }
  static Pki* pki_;
};
Pki* PkiTest::pki_ = nullptr;

TEST_F(PkiTest, ServerAndAdminChainToTheCa) {
  auto ca = parse(pki_->ca_cert), server = parse(pki_->server_cert), admin = parse(pki_->admin_cert);
  ASSERT_TRUE(ca && server && admin);
  const time_t now = time(nullptr);
  EXPECT_EQ(verify(ca.get(), server.get(), X509_PURPOSE_SSL_SERVER, now), 0);
  EXPECT_EQ(verify(ca.get(), admin.get(), X509_PURPOSE_SSL_CLIENT, now), 0);
  // Usages are what they say: the server certificate is no client certificate and vice versa.
  EXPECT_NE(verify(ca.get(), server.get(), X509_PURPOSE_SSL_CLIENT, now), 0);
  EXPECT_NE(verify(ca.get(), admin.get(), X509_PURPOSE_SSL_SERVER, now), 0);
  // Another lab's CA does not vouch for this lab's certificates.
  auto other = make_pki({.lab = "other", .service_ip = "10.96.0.1"});
  ASSERT_TRUE(other);
  auto other_ca = parse(other->ca_cert);
  EXPECT_NE(verify(other_ca.get(), admin.get(), X509_PURPOSE_SSL_CLIENT, now), 0);
  EXPECT_TRUE(check_pki(*pki_, "10.96.0.1"));
  EXPECT_FALSE(check_pki(*pki_, "10.100.0.1"));
}

TEST_F(PkiTest, Lifetimes) {
  auto ca = parse(pki_->ca_cert), server = parse(pki_->server_cert);
  const time_t now = time(nullptr);
  EXPECT_EQ(verify(ca.get(), server.get(), X509_PURPOSE_SSL_SERVER, now + 364L * 86400), 0);
  EXPECT_EQ(verify(ca.get(), server.get(), X509_PURPOSE_SSL_SERVER, now + 366L * 86400), X509_V_ERR_CERT_HAS_EXPIRED);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca.get()), X509_get0_notAfter(ca.get())), 1);
  EXPECT_GE(days, 3650);
  EXPECT_LE(days, 3651);
  // A PKI about to expire is not reused.
  EXPECT_FALSE(check_pki(*pki_, "10.96.0.1", now + 365L * 86400));
}

TEST_F(PkiTest, SubjectsAndCaFlags) {
  auto ca = parse(pki_->ca_cert), server = parse(pki_->server_cert), admin = parse(pki_->admin_cert);
  EXPECT_EQ(subject_entry(ca.get(), NID_commonName), "lab-demo-ca");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_EQ(subject_entry(server.get(), NID_commonName), "kube-apiserver");
  EXPECT_EQ(subject_entry(admin.get(), NID_commonName), "kubernetes-admin");
  EXPECT_EQ(subject_entry(admin.get(), NID_organizationName), "system:masters");
  EVP_PKEY* k = X509_get0_pubkey(ca.get());
  char group[64] = {};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(k, group, sizeof group, &len), 1);
  EXPECT_STREQ(group, "prime256v1");
}

TEST_F(PkiTest, ServerSans) {
  auto server = parse(pki_->server_cert);
  for (const char* ip : {"127.0.0.1", "10.96.0.1"}) EXPECT_EQ(X509_check_ip_asc(server.get(), ip, 0), 1) << ip;
  EXPECT_EQ(X509_check_ip_asc(server.get(), "10.96.0.2", 0), 0);
  for (const char* host : {"kubernetes", "kubernetes.default", "kubernetes.default.svc",
                           "kubernetes.default.svc.cluster.local", "localhost"})
    EXPECT_EQ(X509_check_host(server.get(), host, 0, 0, nullptr), 1) << host;
  EXPECT_EQ(X509_check_host(server.get(), "example.com", 0, 0, nullptr), 0);
  auto admin = parse(pki_->admin_cert);
  EXPECT_EQ(X509_check_ip_asc(admin.get(), "127.0.0.1", 0), 0);
}

TEST_F(PkiTest, FilesAreMadeOnceWithRootOnlyKeys) {
  char tmpl[] = "/tmp/pki_test.XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  const std::string dir = std::string(tmpl) + "/pki";
  auto first = load_or_create_pki(dir, {.lab = "demo", .service_ip = "10.96.0.1"});
  ASSERT_TRUE(first) << first.error().what();
  struct stat st{};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* key : {"ca.key", "apiserver.key", "admin.key", "sa.key"}) {
    ASSERT_EQ(stat((dir + "/" + key).c_str(), &st), 0) << key;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  // A restarted daemon finds and keeps them.
  auto again = load_or_create_pki(dir, {.lab = "demo", .service_ip = "10.96.0.1"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ca_cert, first->ca_cert);
  EXPECT_EQ(again->admin_key, first->admin_key);
  EXPECT_EQ(again->sa_key, first->sa_key);
  // A damaged one is replaced whole.
  ASSERT_TRUE(write_file(dir + "/apiserver.key", "garbage", 0600));
  auto fixed = load_or_create_pki(dir, {.lab = "demo", .service_ip = "10.96.0.1"});
  ASSERT_TRUE(fixed);
  EXPECT_NE(fixed->ca_cert, first->ca_cert);
  EXPECT_TRUE(check_pki(*fixed, "10.96.0.1"));
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace lab::server
