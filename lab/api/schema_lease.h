// The Lease table (coordination.k8s.io/v1; ValidateLease): the node heartbeats the kubelet renews
// in kube-node-lease, and any other lease a client takes.
#pragma once

#include "lab/api/schema.h"

namespace lab::api::schema {

extern const ObjectSchema kLeaseDocument;

}  // namespace lab::api::schema
