#include "engine/sampling/json_prefix_validator.h"

#include <algorithm>

namespace locai::engine {
namespace {

enum Mode : uint8_t {
  kStart,        // before the top-level value
  kValue,        // a value is due (after ':' or ',' in an array)
  kArrayFirst,   // after '[': a value or ']'
  kObjectFirst,  // after '{': a key or '}'
  kObjectKey,    // after ',' in an object: a key
  kColon,        // after a key
  kAfterValue,   // after a value inside a container: ',' or the closing bracket
  kDone,         // the top-level value is complete
  kFailed,
  kString,
  kStringEscape,        // after '\'
  kStringHex,           // inside \uXXXX
  kStringLowBackslash,  // a high surrogate escape ended: '\' of its low half is due
  kStringLowU,          // ... then 'u'
  kStringUtf8,          // inside a multi-byte character
  kLiteral,             // inside true / false / null
  kNumMinus,            // after '-'
  kNumZero,             // a leading 0
  kNumInt,              // integer digits
  kNumDot,              // after '.'
  kNumFrac,             // fraction digits
  kNumExp,              // after 'e'
  kNumExpSign,          // after 'e+' / 'e-'
  kNumExpDigits,        // exponent digits
};

constexpr std::string_view kLiterals[] = {"true", "false", "null"};

bool IsWhitespace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }

int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Fail(JsonPrefixValidator::State& s) {
  s.mode = kFailed;
  return false;
}

void EndValue(JsonPrefixValidator::State& s) {
  s.whitespace = 0;
  s.mode = s.depth == 0 ? kDone : kAfterValue;
}

bool PushContainer(JsonPrefixValidator::State& s, bool is_object, const JsonValidatorOptions& o) {
  if (s.depth >= o.max_depth || s.depth >= 64) return Fail(s);
  const uint64_t bit = uint64_t{1} << s.depth;
  s.object_bits = is_object ? (s.object_bits | bit) : (s.object_bits & ~bit);
  ++s.depth;
  s.mode = is_object ? kObjectFirst : kArrayFirst;
  return true;
}

bool TopIsObject(const JsonPrefixValidator::State& s) {
  return s.depth > 0 && ((s.object_bits >> (s.depth - 1)) & 1) != 0;
}

void BeginString(JsonPrefixValidator::State& s, bool key) {
  s.mode = kString;
  s.in_key = key ? 1 : 0;
}

// The first byte of a value (whitespace already handled).
bool StartValue(JsonPrefixValidator::State& s, uint8_t c, const JsonValidatorOptions& o) {
  s.whitespace = 0;
  switch (c) {
    case '{':
      return PushContainer(s, true, o);
    case '[':
      return PushContainer(s, false, o);
    case '"':
      BeginString(s, false);
      return true;
    case '-':
      s.mode = kNumMinus;
      s.digits = 0;
      return true;
    case 't':
    case 'f':
    case 'n':
      s.mode = kLiteral;
      s.literal = c == 't' ? 0 : (c == 'f' ? 1 : 2);
      s.literal_pos = 1;
      return true;
    default:
      if (IsDigit(c)) {
        s.mode = c == '0' ? kNumZero : kNumInt;
        s.digits = 1;
        s.exponent_digits = 0;
        return true;
      }
      return Fail(s);
  }
}

// Whitespace between tokens inside the value.
bool InnerWhitespace(JsonPrefixValidator::State& s, const JsonValidatorOptions& o) {
  return ++s.whitespace <= o.max_whitespace_run || Fail(s);
}

bool StringByte(JsonPrefixValidator::State& s, uint8_t c) {
  if (c == '"') {
    if (s.in_key) {
      s.mode = kColon;
      s.whitespace = 0;
    } else {
      EndValue(s);
    }
    return true;
  }
  if (c == '\\') {
    s.mode = kStringEscape;
    return true;
  }
  if (c < 0x20) return Fail(s);
  if (c < 0x80) return true;
  // Lead byte of a multi-byte character; the ranges of its first continuation byte exclude
  // overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  s.utf8_lo = 0x80;
  s.utf8_hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    s.utf8_remaining = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    s.utf8_remaining = 2;
    if (c == 0xE0) s.utf8_lo = 0xA0;
    if (c == 0xED) s.utf8_hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    s.utf8_remaining = 3;
    if (c == 0xF0) s.utf8_lo = 0x90;
    if (c == 0xF4) s.utf8_hi = 0x8F;
  } else {
    return Fail(s);
  }
  s.mode = kStringUtf8;
  return true;
}

bool HexByte(JsonPrefixValidator::State& s, uint8_t c) {
  const int value = HexValue(c);
  if (value < 0) return Fail(s);
  if (s.hex_count == 0) {
    if (s.expect_low && value != 0xD) return Fail(s);
    s.hex_first = static_cast<uint8_t>(value);
  } else if (s.hex_count == 1) {
    const bool surrogate = s.hex_first == 0xD && value >= 0x8;
    const bool low = surrogate && value >= 0xC;
    if (s.expect_low != low) return Fail(s);  // a lone low half, or a missing one
    s.high_surrogate = surrogate && !low;
  }
  if (++s.hex_count == 4) {
    s.mode = s.high_surrogate ? kStringLowBackslash : kString;
    s.expect_low = 0;
    s.high_surrogate = 0;
  }
  return true;
}

// A byte that is not part of the number ends it, if it can end here, then is handled as usual.
bool EndNumber(JsonPrefixValidator::State& s, uint8_t c, const JsonValidatorOptions& o) {
  EndValue(s);
  return JsonPrefixValidator::Step(s, c, o);
}

bool MantissaDigit(JsonPrefixValidator::State& s, const JsonValidatorOptions& o) {
  return ++s.digits <= o.max_number_digits || Fail(s);
}

}  // namespace

bool JsonPrefixValidator::Step(State& s, uint8_t c, const JsonValidatorOptions& o) {
  switch (s.mode) {
    case kStart:
      if (IsWhitespace(c)) return ++s.whitespace <= o.max_leading_whitespace || Fail(s);
      if (o.object_only && c != '{') return Fail(s);
      return StartValue(s, c, o);
    case kValue:
      if (IsWhitespace(c)) return InnerWhitespace(s, o);
      return StartValue(s, c, o);
    case kArrayFirst:
      if (IsWhitespace(c)) return InnerWhitespace(s, o);
      if (c == ']') {
        --s.depth;
        EndValue(s);
        return true;
      }
      return StartValue(s, c, o);
    case kObjectFirst:
    case kObjectKey:
      if (IsWhitespace(c)) return InnerWhitespace(s, o);
      s.whitespace = 0;
      if (c == '"') {
        BeginString(s, true);
        return true;
      }
      if (c == '}' && s.mode == kObjectFirst) {
        --s.depth;
        EndValue(s);
        return true;
      }
      return Fail(s);
    case kColon:
      if (IsWhitespace(c)) return InnerWhitespace(s, o);
      if (c != ':') return Fail(s);
      s.whitespace = 0;
      s.mode = kValue;
      return true;
    case kAfterValue:
      if (IsWhitespace(c)) return InnerWhitespace(s, o);
      s.whitespace = 0;
      if (c == ',') {
        s.mode = TopIsObject(s) ? kObjectKey : kValue;
        return true;
      }
      if (c == (TopIsObject(s) ? '}' : ']')) {
        --s.depth;
        EndValue(s);
        return true;
      }
      return Fail(s);
    case kDone:
      if (IsWhitespace(c)) return ++s.whitespace <= o.max_trailing_whitespace || Fail(s);
      return Fail(s);
    case kFailed:
      return false;
    case kString:
      return StringByte(s, c);
    case kStringEscape:
      switch (c) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          s.mode = kString;
          return true;
        case 'u':
          s.mode = kStringHex;
          s.hex_count = 0;
          s.expect_low = 0;
          s.high_surrogate = 0;
          return true;
        default:
          return Fail(s);
      }
    case kStringHex:
      return HexByte(s, c);
    case kStringLowBackslash:
      if (c != '\\') return Fail(s);
      s.mode = kStringLowU;
      return true;
    case kStringLowU:
      if (c != 'u') return Fail(s);
      s.mode = kStringHex;
      s.hex_count = 0;
      s.expect_low = 1;
      return true;
    case kStringUtf8:
      if (c < s.utf8_lo || c > s.utf8_hi) return Fail(s);
      s.utf8_lo = 0x80;
      s.utf8_hi = 0xBF;
      if (--s.utf8_remaining == 0) s.mode = kString;
      return true;
    case kLiteral: {
      const std::string_view literal = kLiterals[s.literal];
      if (c != static_cast<uint8_t>(literal[s.literal_pos])) return Fail(s);
      if (++s.literal_pos == literal.size()) EndValue(s);
      return true;
    }
    case kNumMinus:
      if (!IsDigit(c)) return Fail(s);
      s.mode = c == '0' ? kNumZero : kNumInt;
      s.digits = 1;
      s.exponent_digits = 0;
      return true;
    case kNumZero:
    case kNumInt:
    case kNumFrac:
      if (IsDigit(c) && s.mode != kNumZero) return MantissaDigit(s, o);
      if (c == '.' && s.mode != kNumFrac) {
        s.mode = kNumDot;
        return true;
      }
      if (c == 'e' || c == 'E') {
        s.mode = kNumExp;
        return true;
      }
      return EndNumber(s, c, o);
    case kNumDot:
      if (!IsDigit(c)) return Fail(s);
      s.mode = kNumFrac;
      return MantissaDigit(s, o);
    case kNumExp:
      if (c == '+' || c == '-') {
        s.mode = kNumExpSign;
        return true;
      }
      [[fallthrough]];
    case kNumExpSign:
      if (!IsDigit(c)) return Fail(s);
      s.mode = kNumExpDigits;
      s.exponent_digits = 1;
      return s.exponent_digits <= o.max_exponent_digits || Fail(s);
    case kNumExpDigits:
      if (IsDigit(c)) return ++s.exponent_digits <= o.max_exponent_digits || Fail(s);
      return EndNumber(s, c, o);
    default:
      return Fail(s);
  }
}

JsonPrefixValidator::JsonPrefixValidator(JsonValidatorOptions options) : options_(options) {
  // The state's counters are 16 and 8 bits wide.
  options_.max_depth = std::clamp(options_.max_depth, 0, 64);
  options_.max_leading_whitespace = std::clamp(options_.max_leading_whitespace, 0, 60000);
  options_.max_trailing_whitespace = std::clamp(options_.max_trailing_whitespace, 0, 60000);
  options_.max_whitespace_run = std::clamp(options_.max_whitespace_run, 0, 60000);
  options_.max_number_digits = std::clamp(options_.max_number_digits, 1, 60000);
  options_.max_exponent_digits = std::clamp(options_.max_exponent_digits, 1, 200);
}

size_t JsonPrefixValidator::AcceptedLength(std::string_view more) const {
  State s = state_;
  if (s.mode == kFailed) return 0;
  for (size_t i = 0; i < more.size(); ++i) {
    if (!Step(s, static_cast<uint8_t>(more[i]), options_)) return i;
  }
  return more.size();
}

bool JsonPrefixValidator::AcceptsByte(uint8_t byte) const {
  State s = state_;
  return Step(s, byte, options_);
}

bool JsonPrefixValidator::Advance(std::string_view more) {
  for (char c : more) {
    if (!Step(state_, static_cast<uint8_t>(c), options_)) return false;
  }
  return true;
}

bool JsonPrefixValidator::Complete() const {
  if (state_.mode == kDone) return true;
  if (options_.object_only || state_.depth != 0) return false;
  switch (state_.mode) {
    case kNumZero:
    case kNumInt:
    case kNumFrac:
    case kNumExpDigits:
      return true;
    default:
      return false;
  }
}

bool JsonPrefixValidator::failed() const { return state_.mode == kFailed; }

bool JsonPrefixValidator::InPlainString() const { return state_.mode == kString; }

void JsonPrefixValidator::Reset() { state_ = State(); }

JsonPrefixValidator::State JsonPrefixValidator::PlainStringState() {
  State s;
  s.depth = 1;
  s.object_bits = 0;
  s.mode = kString;
  return s;
}

}  // namespace locai::engine
