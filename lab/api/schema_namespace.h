// The Namespace table (ValidateNamespace and the namespace strategy's defaults).
#pragma once

#include "lab/api/schema.h"

namespace lab::api::schema {

extern const ObjectSchema kNamespaceDocument;

}  // namespace lab::api::schema
