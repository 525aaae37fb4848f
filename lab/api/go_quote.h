// Go's strconv.Quote (the %q of fmt), as Kubernetes' messages quote values: one place for it, so
// a field error, a label selector error, a downward API file and a JSONPath error quote alike.
#pragma once

#include <string>
#include <string_view>

namespace lab::api {

// "..." with `"` and `\` escaped, \a \b \f \n \r \t \v as Go writes them, other control bytes and
// DEL as \xNN; bytes past ASCII kept when s is valid UTF-8, else each one as \xNN (so the result
// is always one line of valid UTF-8, which a JSON Status needs).
std::string go_quote(std::string_view s);

}  // namespace lab::api
