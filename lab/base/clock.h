// Wall-clock time as the API writes it (RFC 3339, seconds, UTC), and the calling thread's CPU
// time.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace lab {

// "2026-11-26T09:40:00Z" for t (UTC).
std::string rfc3339(std::time_t t);
// The same for now.
std::string now_rfc3339();
// Now with microseconds ("2026-11-26T09:40:00.123456Z"), as metav1.MicroTime serializes: a
// Lease's renewTime.
std::string now_rfc3339_micro();
// The time in "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)", the only shape metav1.Time serializes
// to; nullopt for anything else (the text is input: a stored or received object).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

// The CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID, which cannot fail for the
// caller's own thread): what a piece of work cost, however long it waited for a CPU.
inline std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace lab
