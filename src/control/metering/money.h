// Exact decimal amounts for metering: money in integer micro-GBP and pence, sizes in bytes.
//
// Prices are configured as decimals ("0.05" GBP) and held as integer micro-GBP (1 GBP =
// 1,000,000), so no binary floating point ever touches money. Bill lines are rounded once, half
// up, to whole pence; a bill's total is the sum of its rounded lines. Sizes use decimal units:
// 1 GB = 10^9 bytes, as the price list does. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::metering {

inline constexpr int64_t kMicroPerGbp = 1'000'000;
inline constexpr int64_t kMicroPerPenny = 10'000;
inline constexpr int64_t kBytesPerGb = 1'000'000'000;

// Parses a non-negative decimal ("35", "0.05", "1.5e2") into an integer count of 10^-scale units
// (scale 6: micro-GBP; scale 9: bytes per GB). InvalidArgument when negative, malformed, finer
// than the scale allows, or too large for int64.
Result<int64_t> ParseScaledDecimal(std::string_view text, int scale);

// Rounds micro-GBP half up to whole pence (amounts are never negative).
int64_t MicroToPence(int64_t micro_gbp);
// "35.00", "0.05", "1234.50" (no currency sign).
std::string FormatPence(int64_t pence);
// A unit price with at least 2 and at most 6 decimals: "5.00", "0.05", "0.001234".
std::string FormatMicroGbp(int64_t micro_gbp);
// Bytes as decimal GB with up to `decimals` places, trailing zeros dropped: "10", "9.8", "0.5".
std::string FormatGb(int64_t bytes, int decimals = 1);
// A count of thousandths as a decimal with 3 places: 5000 -> "5.000".
std::string FormatMilli(int64_t milli);

}  // namespace locai::control::metering
