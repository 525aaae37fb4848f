// Time stamps and identifiers (lab/base/clock.h, lab/base/ids.h).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string_view>

#include "lab/base/clock.h"
#include "lab/base/ids.h"

namespace lab {

std::string now_rfc3339() { return rfc3339(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())); }

std::string now_rfc3339_micro() {
  const auto now = std::chrono::system_clock::now();
  const std::string seconds = rfc3339(std::chrono::system_clock::to_time_t(now));
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
  return seconds.substr(0, seconds.size() - 1) + frac;
}

std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)", the only shape metav1.Time serializes to.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, Y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' ||
      !digits(8, 2, D) || (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' ||
      !digits(14, 2, m) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{Y}, std::chrono::month(M), std::chrono::day(D)};
  if (!ymd.ok() || h > 23 || m > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  std::chrono::nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    long long scale = 100'000'000, ns = 0;
    size_t start = ++pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10) ns += (s[pos] - '0') * scale;
    if (pos == start) return std::nullopt;
    frac = std::chrono::nanoseconds(ns);
  }
  std::chrono::minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om))
      return std::nullopt;
    offset = std::chrono::minutes((s[pos] == '-' ? -1 : 1) * (oh * 60 + om));
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(m) +
            std::chrono::seconds(sec) + frac - offset;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(tp);
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
