// Wall-clock time as the API writes it (RFC 3339, seconds, UTC).
#pragma once

#include <string>

namespace lab {

// "2026-11-26T09:40:00Z" for now.
std::string now_rfc3339();

}  // namespace lab
