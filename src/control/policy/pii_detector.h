// PiiDetector: finds personal data in a prompt before it may leave the organisation.
//
// Every pattern runs on RE2, whose matching time is linear in the input, so no prompt can make the
// guard backtrack; a rejected candidate resumes the search one byte after its start, and candidates
// are at most a few dozen bytes long, so a whole scan stays linear too. A pattern match is only a
// candidate: the validators in pii_validators.h decide (check digits, calendar, reserved ranges).
//
// Precision decisions (what is flagged, what is deliberately not):
//   email         local@domain.tld, ASCII; tld of 2+ letters.
//   phone         +44 numbers (optional "(0)"), UK national numbers starting with 0 (10-11 digits,
//                 e.g. "07700 900123", "(020) 7946 0958"), international "+CC ..." numbers and US
//                 "(415) 555-2671" / "415-555-2671" forms; 9-15 digits in all. A plain digit run
//                 that does not start with 0 or + (a card, an NHS number, an order id) is not a
//                 phone number. A dashed 3-3-4 number that fails the NHS check ("943-476-5918")
//                 is still flagged, as a North American phone number.
//   nhs_number    10 digits as 3-3-4 (spaces, dashes or none) with a valid mod-11 check digit.
//   ni_number     two prefix letters, six digits, suffix A-D, optional spaces ("AB 12 34 56 C");
//                 uppercase only; prefixes never issued (D F I Q U V, O second, BG GB NK KN TN NT
//                 ZZ) are not flagged. A number without its suffix letter is not flagged.
//   ssn           AAA-GG-SSSS or AAA GG SSSS; area 000/666/9xx, group 00 and serial 0000 excluded.
//                 Nine plain digits are not flagged (too many false positives).
//   payment_card  13-19 digits, contiguous or in groups of 4 (or Amex 4-6-5 / Diners 4-6-4) with
//                 spaces or dashes, first digit 2-6, passing Luhn. A trailing group that breaks the
//                 check is dropped and the shorter number tried.
//   iban          uppercase country code, two check digits, 11-30 letters/digits, spaces allowed
//                 every four characters; mod-97 == 1. Trailing groups are dropped while that makes
//                 it valid.
//   date_of_birth a date (dd/mm/yyyy, mm/dd/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd, "3 March
//                 1980", "March 3, 1980"; four-digit years only, so "3/4/80" is not flagged; day
//                 and month are accepted in either order) that is a real calendar day in 1880-2099
//                 AND has birth context: "DOB", "D.O.B.", "date of birth", "birth date",
//                 "birthday" or "born" (any case) within 40 bytes before or 20 bytes after it.
//                 Dates without such context (appointments, deadlines) are not flagged: a date
//                 alone identifies nobody. A second date close after the context is flagged too.
//   uk_postcode   full postcodes with the inward part ("SW1A 1AA", "M1 1AE", "GIR 0AA"), space
//                 optional, uppercase only. Outward codes alone ("SW1A") are not flagged.
//   person_name   one or two capitalised words (Unicode letters, ' and - inside) right after
//                 Dr, Mr, Mrs, Ms, Miss, Prof, Sir or Dame (optional "."); the match covers the
//                 name only, so "Dr Jane Smith" redacts to "Dr [PERSON_NAME_1]". Names without a
//                 title are not detected.
// Overlaps: the earliest match wins, then the longer one, then email > iban > payment_card >
// nhs_number > ni_number > ssn > date_of_birth > uk_postcode > phone > person_name.
//
// Threading: Create() once; Detect() is const and safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::control::policy {

enum class PiiType {
  kEmail,
  kPhone,
  kNhsNumber,
  kNiNumber,
  kSsn,
  kPaymentCard,
  kIban,
  kDateOfBirth,
  kUkPostcode,
  kPersonName,
};
inline constexpr int kPiiTypeCount = 10;

// "email", "phone", "nhs_number", "ni_number", "ssn", "payment_card", "iban", "date_of_birth",
// "uk_postcode", "person_name".
std::string_view PiiTypeName(PiiType type);
// The inverse of PiiTypeName; InvalidArgument for any other string.
Result<PiiType> ParsePiiType(std::string_view name);

// One detection: text[begin, end) holds the value.
struct PiiMatch {
  PiiType type;
  size_t begin;
  size_t end;

  friend bool operator==(const PiiMatch&, const PiiMatch&) = default;
};

class PiiDetector {
 public:
  // Compiles every pattern. Internal on a pattern that does not compile (a bug, not input).
  static Result<PiiDetector> Create();

  PiiDetector(PiiDetector&&) noexcept;
  PiiDetector& operator=(PiiDetector&&) noexcept;
  ~PiiDetector();

  // All detections in `text` (any bytes; UTF-8 expected), sorted by begin, non-overlapping, every
  // validator applied. Never fails; empty when nothing is found.
  std::vector<PiiMatch> Detect(std::string_view text) const;

 private:
  struct Pattern;
  explicit PiiDetector(std::vector<Pattern> patterns, std::unique_ptr<Pattern> birth_context);

  void Scan(const Pattern& pattern, std::string_view text, std::vector<PiiMatch>* out) const;
  // The end of the accepted value for a candidate text[begin, end), or 0 when it is refused.
  size_t Accept(const Pattern& pattern, std::string_view text, size_t begin, size_t end,
                const std::string_view* groups) const;
  bool HasBirthContext(std::string_view text, size_t begin, size_t end) const;

  std::vector<Pattern> patterns_;
  std::unique_ptr<Pattern> birth_context_;
};

}  // namespace locai::control::policy
