#include "control/policy/pii_validators.h"

#include <array>
#include <cstddef>

namespace locai::control::policy {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

bool AllSame(std::string_view digits) {
  for (char c : digits) {
    if (c != digits.front()) return false;
  }
  return true;
}

}  // namespace

std::string DigitsOf(std::string_view text) {
  std::string digits;
  digits.reserve(text.size());
  for (char c : text) {
    if (IsDigit(c)) digits.push_back(c);
  }
  return digits;
}

bool IsValidNhsNumber(std::string_view text) {
  const std::string digits = DigitsOf(text);
  if (digits.size() != 10 || AllSame(digits)) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10) return false;
  return check == digits[9] - '0';
}

bool IsValidPaymentCard(std::string_view text) {
  const std::string digits = DigitsOf(text);
  if (digits.size() < 13 || digits.size() > 19) return false;
  if (digits.front() < '2' || digits.front() > '6') return false;
  // Luhn: from the rightmost digit, double every second one.
  int sum = 0;
  bool any_nonzero = false;
  for (size_t i = 0; i < digits.size(); ++i) {
    int d = digits[digits.size() - 1 - i] - '0';
    if (d != 0) any_nonzero = true;
    if (i % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return any_nonzero && sum % 10 == 0;
}

bool IsValidIban(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  if (compact.size() < 15 || compact.size() > 34) return false;
  if (!IsUpper(compact[0]) || !IsUpper(compact[1]) || !IsDigit(compact[2]) ||
      !IsDigit(compact[3])) {
    return false;
  }
  // Rearranged: BBAN then country code and check digits. Letters count as two digits (A=10).
  // The remainder is folded in digit by digit so no big integers are needed.
  int remainder = 0;
  for (size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[(i + 4) % compact.size()];
    if (IsDigit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (IsUpper(c)) {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

bool IsValidNiNumber(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  if (compact.size() != 9) return false;
  const char first = compact[0];
  const char second = compact[1];
  if (!IsUpper(first) || !IsUpper(second)) return false;
  for (int i = 2; i < 8; ++i) {
    if (!IsDigit(compact[i])) return false;
  }
  if (compact[8] < 'A' || compact[8] > 'D') return false;
  constexpr std::string_view kNeverPrefixLetter = "DFIQUV";
  if (kNeverPrefixLetter.find(first) != std::string_view::npos) return false;
  if (kNeverPrefixLetter.find(second) != std::string_view::npos || second == 'O') return false;
  constexpr std::array<std::string_view, 7> kNeverPrefix = {"BG", "GB", "NK", "KN",
                                                            "TN", "NT", "ZZ"};
  const std::string_view prefix(compact.data(), 2);
  for (std::string_view refused : kNeverPrefix) {
    if (prefix == refused) return false;
  }
  return true;
}

bool IsValidSsn(std::string_view text) {
  const std::string digits = DigitsOf(text);
  if (digits.size() != 9) return false;
  const std::string_view all(digits);
  const std::string_view area = all.substr(0, 3);
  if (area == "000" || area == "666" || area[0] == '9') return false;
  if (all.substr(3, 2) == "00") return false;
  if (all.substr(5, 4) == "0000") return false;
  return true;
}

bool IsValidCalendarDate(int year, int month, int day) {
  if (year < 1880 || year > 2099 || month < 1 || month > 12 || day < 1) return false;
  constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= days;
}

}  // namespace locai::control::policy
