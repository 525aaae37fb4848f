// Numbers from text the user (or a peer) wrote: the whole string must be the number, in range,
// or the result is an error naming what was wrong. Never std::stoi: it throws and takes prefixes.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "lab/base/result.h"

namespace lab {

template <typename T>
Result<T> parse_number(std::string_view s, T min = std::numeric_limits<T>::lowest(),
                       T max = std::numeric_limits<T>::max()) {
  T value{};
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;  // "+3" is 3, as strconv.Atoi takes it
  auto [end, ec] = std::from_chars(first, last, value);
  if (s.empty() || ec == std::errc::invalid_argument || end != last)
    return fail_api(Reason::BadRequest, "invalid number \"" + std::string(s) + "\"");
  if (ec == std::errc::result_out_of_range || value < min || value > max)
    return fail_api(Reason::BadRequest, "number out of range: \"" + std::string(s) + "\"");
  return value;
}

inline Result<int> parse_int(std::string_view s, int min = std::numeric_limits<int>::min(),
                             int max = std::numeric_limits<int>::max()) {
  return parse_number<int>(s, min, max);
}
inline Result<uint64_t> parse_uint64(std::string_view s) { return parse_number<uint64_t>(s); }

// s without the ASCII white space (space, tab, CR, LF) at either end: a number a file holds
// ("1234\n"), a line of a configuration file.
inline std::string_view trim_space(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  const size_t first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(ws) - first + 1);
}

}  // namespace lab
