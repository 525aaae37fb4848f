// Identifiers the API hands out: object uids and the random suffixes of generated names.
#pragma once

#include <cstddef>
#include <string>

namespace lab {

// A random RFC 4122 v4 uid.
std::string new_uid();
// n characters of Kubernetes' "safe" alphabet (bcdfghjklmnpqrstvwxz2456789), as generated names
// use: no vowels, so no accidental words.
std::string random_suffix(size_t n = 5);
inline constexpr char kSafeAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

}  // namespace lab
