// The lab's kubeconfig, as kind writes one: cluster, user and context `lab-<name>` (server
// https://127.0.0.1:PORT, the lab's CA, the admin client certificate of lab/server/pki.h), merged
// into the file kubectl reads by `lab up` and taken out again by `lab down`.
//
// The file is written the way kubectl (client-go's clientcmd) writes it: keys sorted, the
// named lists sorted by name, `clusters: null` when a list is empty, go-yaml's quoting. So a file
// kubectl wrote comes back byte for byte once the lab's entries are gone.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::cli {

struct KubeconfigEntry {
  std::string name;    // "lab-<lab>": the cluster's, the user's and the context's name
  std::string server;  // "https://127.0.0.1:PORT"
  std::string ca_pem, cert_pem, key_pem;
  std::string ns = "default";
};

// A whole kubeconfig holding only entry, current-context entry.name (`lab kubeconfig`).
std::string render_kubeconfig(const KubeconfigEntry& entry);

// existing ("" for no file) with entry's cluster, user and context added or replaced and
// current-context set to it. An error (file:line-less, the caller adds the path) when existing
// is not a kubeconfig.
Result<std::string> merge_kubeconfig(const std::string& existing, const KubeconfigEntry& entry);

// existing without the cluster, user and context called name; current-context becomes
// restore_context if it was name (restore_context "" or naming a context that is gone: unset).
Result<std::string> remove_kubeconfig(const std::string& existing, const std::string& name,
                                      const std::string& restore_context = "");

// Whether a kubeconfig has no clusters, contexts or users left (a file `lab up` made and `lab
// down` emptied is removed).
bool kubeconfig_empty(const std::string& text);

// The file kubectl reads and writes: $KUBECONFIG's first entry, else $HOME/.kube/config.
std::string default_kubeconfig_path();

// The lab's entry from its files: /run/lab/<lab>/api-address and /run/lab/<lab>/pki.
Result<KubeconfigEntry> lab_kubeconfig_entry(const std::string& lab);

// `lab up`: merge the lab's entry into default_kubeconfig_path() (made 0600 if missing) and
// remember in the lab's run dir where, and which context was current, for `lab down`.
Result<std::string> install_lab_kubeconfig(const std::string& lab);
// `lab down` (before the run dir goes): take the lab's entries out of the file it went into.
Result<void> uninstall_lab_kubeconfig(const std::string& lab);

// `lab kubeconfig [--lab NAME]`: the lab's kubeconfig on stdout (root only: it holds the key).
int cmd_kubeconfig(const std::vector<std::string>& args);

}  // namespace lab::cli
