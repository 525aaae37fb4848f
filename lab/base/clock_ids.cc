// Time stamps and identifiers (lab/base/clock.h, lab/base/ids.h).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>

#include "lab/base/clock.h"
#include "lab/base/ids.h"

namespace lab {

std::string now_rfc3339() { return rfc3339(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())); }

std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_uid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string random_suffix(size_t n) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof kSafeAlphabet - 2);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kSafeAlphabet[pick(rng)];
  return s;
}

}  // namespace lab
