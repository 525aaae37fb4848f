// Base64 (RFC 4648, standard alphabet, '=' padding) as Go's encoding/base64.StdEncoding has it:
// Kubernetes carries a Secret's data and a ConfigMap's binaryData as such text in JSON, and the API
// server decodes it with Go's decoder, so a bad value is refused with Go's words and position.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lab/base/result.h"

namespace lab {

std::string base64_encode(std::string_view bytes);

// The bytes the text stands for. Like Go's decoder, '\r' and '\n' anywhere are skipped and padding
// is required; an error reads `illegal base64 data at input byte N` (Go's CorruptInputError, N the
// offset Go reports), with Reason::Invalid.
Result<std::string> base64_decode(std::string_view text);

// base64url without padding (RFC 7515 §2; Go's base64.RawURLEncoding): JWS parts, and the API's
// continue tokens.
std::string base64url_encode(std::string_view bytes);
// Only the canonical spelling is taken (no padding, no standard-alphabet characters, zero unused
// bits): two spellings of one signature would let an altered token pass as the same.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace lab
