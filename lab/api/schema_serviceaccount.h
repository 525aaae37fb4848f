// The ServiceAccount table (core/v1; ValidateServiceAccount: a DNS-subdomain name, secrets and
// imagePullSecrets as object references).
#pragma once

#include "lab/api/schema.h"

namespace lab::api::schema {

extern const ObjectSchema kServiceAccountDocument;

}  // namespace lab::api::schema
