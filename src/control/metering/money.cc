#include "control/metering/money.h"

#include <cstdio>
#include <limits>

#include "control/metering/wide_int.h"

namespace locai::control::metering {
namespace {

// Divides rounding half up; numerator and denominator are non-negative.
int64_t DivRoundHalfUp(Int128 numerator, Int128 denominator) {
  return static_cast<int64_t>((numerator + denominator / 2) / denominator);
}

std::string TrimZeros(std::string text, size_t min_decimals) {
  size_t dot = text.find('.');
  if (dot == std::string::npos) return text;
  size_t keep = dot + 1 + min_decimals;
  while (text.size() > keep && text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

Result<int64_t> ParseScaledDecimal(std::string_view text, int scale) {
  auto bad = [&](std::string_view why) {
    return Err(
        Status::InvalidArgument("bad decimal '" + std::string(text) + "': " + std::string(why)));
  };
  std::string digits;  // all significant digits, integer and fraction
  int fraction_digits = 0;
  size_t i = 0;
  bool seen_dot = false;
  bool any_digit = false;
  if (i < text.size() && text[i] == '-') return bad("negative");
  if (i < text.size() && text[i] == '+') ++i;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      any_digit = true;
      if (seen_dot) ++fraction_digits;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!any_digit) return bad("no digits");
  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative_exp = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative_exp = text[i++] == '-';
    if (i == text.size()) return bad("empty exponent");
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return bad("bad exponent");
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 100) return bad("exponent out of range");
    }
    if (negative_exp) exponent = -exponent;
  }
  if (i != text.size()) return bad("unexpected character");
  // value = digits * 10^(exponent - fraction_digits); we want value * 10^scale.
  int shift = scale + exponent - fraction_digits;
  while (shift < 0) {
    if (digits.empty() || digits.back() != '0') return bad("more decimals than allowed");
    digits.pop_back();
    ++shift;
  }
  Int128 value = 0;
  const Int128 kMax = std::numeric_limits<int64_t>::max();
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > kMax) return bad("too large");
  }
  for (; shift > 0; --shift) {
    value *= 10;
    if (value > kMax) return bad("too large");
  }
  return static_cast<int64_t>(value);
}

int64_t MicroToPence(int64_t micro_gbp) { return DivRoundHalfUp(micro_gbp, kMicroPerPenny); }

std::string FormatPence(int64_t pence) {
  char buf[48];
  const char* sign = pence < 0 ? "-" : "";
  uint64_t magnitude = pence < 0 ? 0 - static_cast<uint64_t>(pence) : static_cast<uint64_t>(pence);
  std::snprintf(buf, sizeof(buf), "%s%llu.%02llu", sign,
                static_cast<unsigned long long>(magnitude / 100),
                static_cast<unsigned long long>(magnitude % 100));
  return buf;
}

std::string FormatMicroGbp(int64_t micro_gbp) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld.%06lld", static_cast<long long>(micro_gbp / kMicroPerGbp),
                static_cast<long long>(micro_gbp % kMicroPerGbp));
  return TrimZeros(buf, 2);
}

std::string FormatGb(int64_t bytes, int decimals) {
  if (decimals < 0) decimals = 0;
  if (decimals > 9) decimals = 9;
  int64_t unit = 1;
  for (int d = 0; d < 9 - decimals; ++d) unit *= 10;
  int64_t scaled = DivRoundHalfUp(bytes, unit);  // in 10^-decimals GB
  int64_t denominator = kBytesPerGb / unit;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%lld.%0*lld", static_cast<long long>(scaled / denominator),
                decimals, static_cast<long long>(scaled % denominator));
  return TrimZeros(buf, 0);
}

std::string FormatMilli(int64_t milli) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(milli / 1000),
                static_cast<long long>(milli % 1000));
  return buf;
}

}  // namespace locai::control::metering
