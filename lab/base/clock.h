// Wall-clock time as the API writes it (RFC 3339, seconds, UTC).
#pragma once

#include <ctime>
#include <string>

namespace lab {

// "2026-11-26T09:40:00Z" for t (UTC).
std::string rfc3339(std::time_t t);
// The same for now.
std::string now_rfc3339();

}  // namespace lab
