#include "control/metering/wide_int.h"

#include <algorithm>

namespace locai::control::metering {

std::string Int128ToString(Int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  std::string text;
  while (value != 0) {
    int digit = static_cast<int>(value % 10);
    text.push_back(static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  if (negative) text.push_back('-');
  std::reverse(text.begin(), text.end());
  return text;
}

Result<Int128> ParseInt128(std::string_view text) {
  auto bad = [&] {
    return Err(Status::InvalidArgument("bad 128-bit integer '" + std::string(text) + "'"));
  };
  size_t i = 0;
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i == text.size() || text.size() - i > 38) return bad();  // 38 digits always fit
  Int128 value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    value = value * 10 + (negative ? -(text[i] - '0') : (text[i] - '0'));
  }
  return value;
}

}  // namespace locai::control::metering
