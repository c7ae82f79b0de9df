#include "control/metering/calendar.h"

#include <chrono>
#include <cstdio>

namespace locai::control::metering {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

year_month_day CivilDay(int64_t unix_ms) {
  auto tp = std::chrono::sys_time<milliseconds>(milliseconds(unix_ms));
  return year_month_day(std::chrono::floor<days>(tp));
}

int64_t DayStartMs(sys_days day) {
  return std::chrono::duration_cast<milliseconds>(day.time_since_epoch()).count();
}

MonthSpan SpanOf(std::chrono::year_month ym) {
  char key[16];
  std::snprintf(key, sizeof(key), "%04d-%02u", static_cast<int>(ym.year()),
                static_cast<unsigned>(ym.month()));
  MonthSpan span;
  span.key = key;
  span.start_ms = DayStartMs(sys_days(ym / 1));
  span.end_ms = DayStartMs(sys_days((ym + std::chrono::months(1)) / 1));
  return span;
}

}  // namespace

std::string MonthKey(int64_t unix_ms) { return MonthOf(unix_ms).key; }

std::string DayKey(int64_t unix_ms) {
  year_month_day ymd = CivilDay(unix_ms);
  char key[24];
  std::snprintf(key, sizeof(key), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return key;
}

MonthSpan MonthOf(int64_t unix_ms) {
  year_month_day ymd = CivilDay(unix_ms);
  return SpanOf(ymd.year() / ymd.month());
}

Result<MonthSpan> ParseMonth(std::string_view key) {
  auto bad = [&] {
    return Err(
        Status::InvalidArgument("month must look like 2026-11, got '" + std::string(key) + "'"));
  };
  if (key.size() != 7 || key[4] != '-') return bad();
  int year = 0;
  unsigned month = 0;
  for (size_t i = 0; i < 7; ++i) {
    if (i == 4) continue;
    if (key[i] < '0' || key[i] > '9') return bad();
    if (i < 4) {
      year = year * 10 + (key[i] - '0');
    } else {
      month = month * 10 + static_cast<unsigned>(key[i] - '0');
    }
  }
  if (year < 1970 || month < 1 || month > 12) return bad();
  return SpanOf(std::chrono::year(year) / std::chrono::month(month));
}

}  // namespace locai::control::metering
