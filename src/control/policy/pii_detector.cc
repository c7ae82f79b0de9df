#include "control/policy/pii_detector.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "control/policy/pii_validators.h"

namespace locai::control::policy {
namespace {

// How a candidate is checked after its pattern matched.
enum class Check {
  kNone,
  kNhs,
  kCard,
  kIban,
  kNi,
  kSsn,
  kPhone,
  kDateNumeric,   // groups: a / b / yyyy, day-month or month-day
  kDateYmd,       // groups: yyyy - mm - dd
  kDateDayMonth,  // groups: day, month name, year
  kDateMonthDay,  // groups: month name, day, year
};

struct PatternSpec {
  PiiType type;
  Check check;
  int span_group;  // the capture group that holds the value (0: the whole match)
};

constexpr const char* kMonthName =
    "(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

// The patterns are deliberately loose where a validator follows and tight where none does. RE2
// syntax: no backreferences or lookaround, \b is an ASCII word boundary.
std::vector<std::pair<PatternSpec, std::string>> PatternSpecs() {
  const std::string month = kMonthName;
  const std::string name_word = R"(\p{Lu}[\p{L}'’-]*\p{Ll})";
  std::vector<std::pair<PatternSpec, std::string>> specs = {
      {{PiiType::kEmail, Check::kNone, 0},
       R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"},
      {{PiiType::kIban, Check::kIban, 0},
       R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b)"},
      {{PiiType::kPaymentCard, Check::kCard, 0},
       R"(\b(?:\d{13,19}|\d{4}(?: \d{4}){2} \d{1,4}(?: \d{1,3})?|)"
       R"(\d{4}(?:-\d{4}){2}-\d{1,4}(?:-\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{4,5})\b)"},
      {{PiiType::kNhsNumber, Check::kNhs, 0}, R"(\b\d{3}[ -]?\d{3}[ -]?\d{4}\b)"},
      {{PiiType::kNiNumber, Check::kNi, 0}, R"(\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b)"},
      {{PiiType::kSsn, Check::kSsn, 0}, R"(\b(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4})\b)"},
      {{PiiType::kDateOfBirth, Check::kDateNumeric, 0},
       R"(\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b)"},
      {{PiiType::kDateOfBirth, Check::kDateYmd, 0}, R"(\b(\d{4})-(\d{1,2})-(\d{1,2})\b)"},
      {{PiiType::kDateOfBirth, Check::kDateDayMonth, 0},
       R"(\b(\d{1,2})(?:st|nd|rd|th)? +()" + month + R"()\b\.?,? +(\d{4})\b)"},
      {{PiiType::kDateOfBirth, Check::kDateMonthDay, 0},
       R"(\b()" + month + R"()\b\.? +(\d{1,2})(?:st|nd|rd|th)?,? +(\d{4})\b)"},
      {{PiiType::kUkPostcode, Check::kNone, 0},
       R"(\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|GIR ?0AA)\b)"},
      // +44, optional (0), then the 9-10 digit national number.
      {{PiiType::kPhone, Check::kPhone, 0}, R"(\+44[ -]?(?:\(0\)[ -]?)?\d(?:[ -]?\d){8,9}\b)"},
      // UK national: 0 then 9-10 more digits, or an area code in brackets.
      {{PiiType::kPhone, Check::kPhone, 0},
       R"((?:\b0\d(?:[ -]?\d){8,9}|\(0\d{2,4}\)[ -]?\d{3,4}[ -]?\d{3,4})\b)"},
      // Any other international number.
      {{PiiType::kPhone, Check::kPhone, 0},
       R"(\+[1-9]\d{0,2}[ -]?(?:\(\d{1,4}\)[ -]?)?\d(?:[ .-]?\d){5,12}\b)"},
      // North American national: (415) 555-2671, 415-555-2671, 415.555.2671.
      {{PiiType::kPhone, Check::kPhone, 0},
       R"((?:\([2-9]\d{2}\) ?|\b[2-9]\d{2}[-.])[2-9]\d{2}[-.]\d{4}\b)"},
      {{PiiType::kPersonName, Check::kNone, 1},
       R"(\b(?:Dr|Mrs|Mr|Ms|Miss|Prof|Sir|Dame)\b\.?[ \t]+()" + name_word + R"((?:[ \t]+)" +
           name_word + R"()?))"},
  };
  return specs;
}

constexpr const char* kBirthContext =
    R"((?i)\b(?:d\.?o\.?b|date\s+of\s+birth|birth\s*date|birthday|born)\b)";
constexpr size_t kBirthContextBefore = 40;
constexpr size_t kBirthContextAfter = 20;
constexpr int kMaxGroups = 4;

// Lower wins when two candidates start at the same place and have the same length.
int Priority(PiiType type) {
  switch (type) {
    case PiiType::kEmail:
      return 0;
    case PiiType::kIban:
      return 1;
    case PiiType::kPaymentCard:
      return 2;
    case PiiType::kNhsNumber:
      return 3;
    case PiiType::kNiNumber:
      return 4;
    case PiiType::kSsn:
      return 5;
    case PiiType::kDateOfBirth:
      return 6;
    case PiiType::kUkPostcode:
      return 7;
    case PiiType::kPhone:
      return 8;
    case PiiType::kPersonName:
      return 9;
  }
  return 10;
}

int ToInt(std::string_view digits) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return -1;
  return value;
}

int MonthFromName(std::string_view name) {
  if (name.size() < 3) return -1;
  std::string prefix;
  for (size_t i = 0; i < 3; ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    prefix.push_back(c);
  }
  constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (prefix == kMonths[i]) return static_cast<int>(i) + 1;
  }
  return -1;
}

bool AllDigitsSame(std::string_view digits) {
  return std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits.front(); });
}

bool IsPlausiblePhone(std::string_view text) {
  const std::string digits = DigitsOf(text);
  return digits.size() >= 9 && digits.size() <= 15 && !AllDigitsSame(digits);
}

// Tries text[begin, end), then shorter ends at each space or dash from the right, returning the
// first end `valid` accepts, or 0.
template <typename Validator>
size_t LongestValidPrefix(std::string_view text, size_t begin, size_t end, Validator valid) {
  while (end > begin) {
    if (valid(text.substr(begin, end - begin))) return end;
    size_t cut = end;
    while (cut > begin && text[cut - 1] != ' ' && text[cut - 1] != '-') --cut;
    if (cut <= begin + 1) return 0;
    end = cut - 1;
  }
  return 0;
}

}  // namespace

struct PiiDetector::Pattern {
  PiiType type;
  Check check;
  int span_group;
  int groups;  // capture groups + 1
  std::unique_ptr<RE2> re;
};

std::string_view PiiTypeName(PiiType type) {
  switch (type) {
    case PiiType::kEmail:
      return "email";
    case PiiType::kPhone:
      return "phone";
    case PiiType::kNhsNumber:
      return "nhs_number";
    case PiiType::kNiNumber:
      return "ni_number";
    case PiiType::kSsn:
      return "ssn";
    case PiiType::kPaymentCard:
      return "payment_card";
    case PiiType::kIban:
      return "iban";
    case PiiType::kDateOfBirth:
      return "date_of_birth";
    case PiiType::kUkPostcode:
      return "uk_postcode";
    case PiiType::kPersonName:
      return "person_name";
  }
  return "unknown";
}

Result<PiiType> ParsePiiType(std::string_view name) {
  for (int i = 0; i < kPiiTypeCount; ++i) {
    const auto type = static_cast<PiiType>(i);
    if (PiiTypeName(type) == name) return type;
  }
  return Err(Status::InvalidArgument("unknown PII type '" + std::string(name) + "'"));
}

Result<PiiDetector> PiiDetector::Create() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingUTF8);
  std::vector<Pattern> patterns;
  for (auto& [spec, regex] : PatternSpecs()) {
    auto re = std::make_unique<RE2>(regex, options);
    if (!re->ok()) {
      return Err(Status::Internal("PII pattern for " + std::string(PiiTypeName(spec.type)) +
                                  " does not compile: " + re->error()));
    }
    const int groups = re->NumberOfCapturingGroups() + 1;
    if (groups > kMaxGroups || spec.span_group >= groups) {
      return Err(Status::Internal("PII pattern for " + std::string(PiiTypeName(spec.type)) +
                                  " has unexpected capture groups"));
    }
    patterns.push_back(Pattern{spec.type, spec.check, spec.span_group, groups, std::move(re)});
  }
  auto context_re = std::make_unique<RE2>(kBirthContext, options);
  if (!context_re->ok()) {
    return Err(Status::Internal("birth context pattern does not compile: " + context_re->error()));
  }
  auto context = std::make_unique<Pattern>(
      Pattern{PiiType::kDateOfBirth, Check::kNone, 0, 1, std::move(context_re)});
  return PiiDetector(std::move(patterns), std::move(context));
}

PiiDetector::PiiDetector(std::vector<Pattern> patterns, std::unique_ptr<Pattern> birth_context)
    : patterns_(std::move(patterns)), birth_context_(std::move(birth_context)) {}
PiiDetector::PiiDetector(PiiDetector&&) noexcept = default;
PiiDetector& PiiDetector::operator=(PiiDetector&&) noexcept = default;
PiiDetector::~PiiDetector() = default;

std::vector<PiiMatch> PiiDetector::Detect(std::string_view text) const {
  std::vector<PiiMatch> candidates;
  for (const Pattern& pattern : patterns_) Scan(pattern, text, &candidates);
  std::sort(candidates.begin(), candidates.end(), [](const PiiMatch& a, const PiiMatch& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return Priority(a.type) < Priority(b.type);
  });
  std::vector<PiiMatch> result;
  size_t covered_to = 0;
  for (const PiiMatch& candidate : candidates) {
    if (!result.empty() && candidate.begin < covered_to) continue;
    result.push_back(candidate);
    covered_to = candidate.end;
  }
  return result;
}

void PiiDetector::Scan(const Pattern& pattern, std::string_view text,
                       std::vector<PiiMatch>* out) const {
  const re2::StringPiece input(text.data(), text.size());
  std::array<re2::StringPiece, kMaxGroups> groups;
  std::array<std::string_view, kMaxGroups> group_views;
  size_t pos = 0;
  while (pos < text.size() && pattern.re->Match(input, pos, text.size(), RE2::UNANCHORED,
                                                groups.data(), pattern.groups)) {
    for (int i = 0; i < pattern.groups; ++i) {
      group_views[i] =
          std::string_view(groups[i].data() ? groups[i].data() : text.data(), groups[i].size());
    }
    const size_t match_begin = static_cast<size_t>(groups[0].data() - text.data());
    const size_t match_end = match_begin + groups[0].size();
    const re2::StringPiece& span = groups[pattern.span_group];
    const size_t value_begin = static_cast<size_t>(span.data() - text.data());
    const size_t value_end = value_begin + span.size();
    if (match_end == match_begin) {  // no pattern matches empty text; guard against a loop anyway
      pos = match_begin + 1;
      continue;
    }
    const size_t accepted_end = Accept(pattern, text, value_begin, value_end, group_views.data());
    if (accepted_end > value_begin) {
      out->push_back(PiiMatch{pattern.type, value_begin, accepted_end});
      pos = std::max(accepted_end, match_begin + 1);
    } else {
      // A refused candidate may hide a valid one starting inside it (e.g. "12 4111 1111 ...").
      // Candidates are short, so resuming one byte later keeps the scan linear.
      pos = match_begin + 1;
    }
  }
}

size_t PiiDetector::Accept(const Pattern& pattern, std::string_view text, size_t begin, size_t end,
                           const std::string_view* groups) const {
  const std::string_view value = text.substr(begin, end - begin);
  switch (pattern.check) {
    case Check::kNone:
      return end;
    case Check::kNhs:
      return IsValidNhsNumber(value) ? end : 0;
    case Check::kNi:
      return IsValidNiNumber(value) ? end : 0;
    case Check::kSsn:
      return IsValidSsn(value) ? end : 0;
    case Check::kPhone:
      return IsPlausiblePhone(value) ? end : 0;
    case Check::kCard:
      return LongestValidPrefix(text, begin, end, IsValidPaymentCard);
    case Check::kIban:
      return LongestValidPrefix(text, begin, end, IsValidIban);
    case Check::kDateNumeric: {
      const int a = ToInt(groups[1]);
      const int b = ToInt(groups[2]);
      const int year = ToInt(groups[3]);
      const bool valid = IsValidCalendarDate(year, b, a) || IsValidCalendarDate(year, a, b);
      return valid && HasBirthContext(text, begin, end) ? end : 0;
    }
    case Check::kDateYmd: {
      const bool valid = IsValidCalendarDate(ToInt(groups[1]), ToInt(groups[2]), ToInt(groups[3]));
      return valid && HasBirthContext(text, begin, end) ? end : 0;
    }
    case Check::kDateDayMonth: {
      const bool valid =
          IsValidCalendarDate(ToInt(groups[3]), MonthFromName(groups[2]), ToInt(groups[1]));
      return valid && HasBirthContext(text, begin, end) ? end : 0;
    }
    case Check::kDateMonthDay: {
      const bool valid =
          IsValidCalendarDate(ToInt(groups[3]), MonthFromName(groups[1]), ToInt(groups[2]));
      return valid && HasBirthContext(text, begin, end) ? end : 0;
    }
  }
  return 0;
}

bool PiiDetector::HasBirthContext(std::string_view text, size_t begin, size_t end) const {
  const re2::StringPiece input(text.data(), text.size());
  const size_t window_begin = begin > kBirthContextBefore ? begin - kBirthContextBefore : 0;
  const size_t window_end = std::min(text.size(), end + kBirthContextAfter);
  // Match sees the whole text as context, so \b at the window edges reads the real neighbours.
  return birth_context_->re->Match(input, window_begin, begin, RE2::UNANCHORED, nullptr, 0) ||
         birth_context_->re->Match(input, end, window_end, RE2::UNANCHORED, nullptr, 0);
}

}  // namespace locai::control::policy
