// Calendar arithmetic for metering: UTC months and days of a unix-millisecond timestamp.
//
// Usage is kept per calendar month (UTC), keyed "YYYY-MM", and node activity per UTC day, keyed
// "YYYY-MM-DD". All functions are pure. Thread-safety: free functions without state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::metering {

inline constexpr int64_t kMsPerDay = 86'400'000;

// [start_ms, end_ms) of one UTC calendar month.
struct MonthSpan {
  std::string key;  // "2026-11"
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t length_ms() const { return end_ms - start_ms; }
};

// "2026-11" for any instant of November 2026 (UTC).
std::string MonthKey(int64_t unix_ms);
// "2026-11-05" for any instant of that UTC day.
std::string DayKey(int64_t unix_ms);
// The month containing `unix_ms`.
MonthSpan MonthOf(int64_t unix_ms);
// Parses "YYYY-MM" (4-digit year 1970..9999, month 01..12); InvalidArgument otherwise.
Result<MonthSpan> ParseMonth(std::string_view key);

}  // namespace locai::control::metering
