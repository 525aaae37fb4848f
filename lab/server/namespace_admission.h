// kube-apiserver's NamespaceLifecycle admission, for requests that reach the API: an object is
// created only in a namespace that exists (404 `namespaces "x" not found`), and the namespaces a
// cluster cannot run without are never deleted (403). The lab's own writers (the scenario at
// `lab up`, controllers, the kubelet) go through the registry directly and only write where
// their objects already live. No creation in a namespace being deleted (403) is the registry's
// rule, for every writer (Registry::create).
#pragma once

#include <optional>

#include "lab/server/api_server.h"
#include "lab/server/http.h"
#include "lab/store/store.h"

namespace lab::server {

// The refusal for req on route r, or nullopt when it may go on.
std::optional<HttpResponse> admit_namespace(const store::Store& st, const HttpRequest& req, const Route& r);

}  // namespace lab::server
