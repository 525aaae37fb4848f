// The lab's PKI, as kubeadm lays out a cluster's: a CA (EC P-256, 10 years, CN lab-<lab>-ca), the
// API server's certificate (1 year, CN kube-apiserver, SANs 127.0.0.1, the `kubernetes` Service's
// ClusterIP, kubernetes[.default[.svc[.cluster.local]]], localhost), the admin client certificate
// (CN kubernetes-admin, O system:masters, as admin.conf's) and the service-account signing key.
// Made with OpenSSL 3's EVP/X509 APIs at the lab's first daemon start, under /run/lab/<lab>/pki
// (0700, keys 0600, root's), and reused by a restarted daemon so that kubeconfigs stay valid.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::server {

// Every piece as PEM text.
struct Pki {
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;
  std::string admin_cert, admin_key;
  std::string sa_key, sa_pub;  // the service-account token signing key (private) and its public half
};

struct PkiRequest {
  std::string lab;
  std::string service_ip;  // the `kubernetes` Service's ClusterIP ("10.96.0.1")
  std::time_t now = 0;     // 0: the current time
};

// A fresh CA, server and admin certificates, and a service-account key. Pure (no files).
Result<Pki> make_pki(const PkiRequest& req);

// Whether pki's certificates chain to its CA, each key matches its certificate, and the server
// certificate names service_ip and is valid at `now` (0: the current time) for another day.
Result<void> check_pki(const Pki& pki, const std::string& service_ip, std::time_t now = 0);

// /run/lab/<lab>/pki
std::string pki_dir(const std::string& lab);

// The files in dir (kubeadm's names: ca.crt ca.key apiserver.crt apiserver.key admin.crt
// admin.key sa.key sa.pub) when they are all there and check_pki passes; otherwise a new PKI
// written there (dir made 0700, keys 0600, certificates 0644).
Result<Pki> load_or_create_pki(const std::string& dir, const PkiRequest& req);
// The files in dir, or an error naming the one missing.
Result<Pki> load_pki(const std::string& dir);

}  // namespace lab::server
