#include "lab/api/schema_serviceaccount.h"

#include "lab/api/schema_rules.h"

namespace lab::api::schema {

namespace {

using enum Type;

const ObjectSchema kLocalObjectReference{{
    {.name = "name", .type = String},
}};

}  // namespace

const ObjectSchema kServiceAccountDocument{{
    {.name = "apiVersion", .type = String, .required = true},
    {.name = "kind", .type = String, .required = true},
    {.name = "metadata", .type = Object, .object = &kObjectMeta, .required = true},
    {.name = "secrets", .type = ObjectList, .object = &kObjectReference},
    {.name = "imagePullSecrets", .type = ObjectList, .object = &kLocalObjectReference},
    {.name = "automountServiceAccountToken", .type = Bool},
}};

}  // namespace lab::api::schema
