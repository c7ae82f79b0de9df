// Check-digit and plausibility validators used by the PII detector after a pattern has matched.
//
// Each function takes the text a pattern matched (separators included) and says whether it is a
// plausible value of its kind. They never allocate on the heap for valid input sizes, never throw,
// and are pure: safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

namespace locai::control::policy {

// The decimal digits of `text` in order, every other character dropped.
std::string DigitsOf(std::string_view text);

// NHS number: exactly 10 digits; weights 10..2 on the first nine, check = 11 - (sum mod 11),
// 11 -> 0, 10 -> invalid; must equal the tenth digit. Ten identical digits (e.g. "0000000000",
// which passes the arithmetic) are refused as placeholders, not numbers.
bool IsValidNhsNumber(std::string_view text);

// Luhn (mod 10) over the digits of `text`, which must number 13 to 19 and start with 2-6 (the
// issuer ranges of Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay, Maestro). All-zero
// bodies are refused.
bool IsValidPaymentCard(std::string_view text);

// IBAN: spaces dropped, then 15-34 characters, two uppercase letters, two digits, then uppercase
// letters or digits; rearranged (first four to the end, letters as 10..35) it is 1 mod 97.
bool IsValidIban(std::string_view text);

// UK National Insurance number: letters and digits of `text` (spaces dropped) form
// two prefix letters, six digits and a suffix A-D. Neither prefix letter is D, F, I, Q, U or V,
// the second is not O, and the prefix is not BG, GB, NK, KN, TN, NT or ZZ.
bool IsValidNiNumber(std::string_view text);

// US SSN written AAA-GG-SSSS (or with spaces): area not 000, 666 or 900-999, group not 00,
// serial not 0000.
bool IsValidSsn(std::string_view text);

// A calendar date: year 1880..2099, month 1..12, day within the month (leap years per the
// Gregorian rule).
bool IsValidCalendarDate(int year, int month, int day);

}  // namespace locai::control::policy
