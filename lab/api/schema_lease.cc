#include "lab/api/schema_lease.h"

#include "lab/api/schema_rules.h"

namespace lab::api::schema {

namespace {

using enum Type;

// ValidateLeaseSpec: a positive duration, transitions never negative; the times are MicroTime.
const ObjectSchema kLeaseSpec{{
    {.name = "holderIdentity", .type = String},
    {.name = "leaseDurationSeconds", .type = Int, .check = positive},
    {.name = "acquireTime", .type = Timestamp},
    {.name = "renewTime", .type = Timestamp},
    {.name = "leaseTransitions", .type = Int, .check = non_negative},
    {.name = "strategy", .type = String, .values = {"OldestEmulationVersion"}},
    {.name = "preferredHolder", .type = String},
}};

}  // namespace

const ObjectSchema kLeaseDocument{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "metadata", .type = Object, .object = &kObjectMeta, .required = true},
    {.name = "spec", .type = Object, .object = &kLeaseSpec},
}};

}  // namespace lab::api::schema
