// JsonPrefixValidator: an incremental, byte-level recogniser of JSON text prefixes (RFC 8259),
// for constraining generation in JSON mode (OpenAI `response_format: {"type": "json_object"}`).
//
// It is a push-down automaton whose whole state is a few machine words (the container stack is a
// 64-bit set), so Accepts() copies it and runs a tight loop over bytes, stopping at the first
// byte that no JSON text could continue with.
//
// Beyond the grammar it enforces what keeps the output usable by a strict parser (nlohmann::json)
// and keeps a model from looping forever: UTF-8 validity inside strings (no overlongs or encoded
// surrogates), \u escapes paired correctly for surrogates, a nesting limit, bounded whitespace
// (before, inside and after the value) and bounded number lengths so every number fits a double.
// Outside strings only ASCII is accepted.
// Thread-safety: a value type; const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <string_view>

namespace locai::engine {

// Limits are clamped by the constructor: depth to [0, 64], counts to what the state can hold.
struct JsonValidatorOptions {
  bool object_only = true;              // the top-level value must be an object (json_object)
  int32_t max_depth = 64;               // nested objects/arrays; at most 64
  int32_t max_leading_whitespace = 64;  // whitespace bytes before the value
  int32_t max_trailing_whitespace = 4;  // whitespace bytes after it
  int32_t max_whitespace_run = 256;     // consecutive whitespace bytes inside it
  int32_t max_number_digits = 40;       // integer plus fraction digits of one number
  int32_t max_exponent_digits = 2;      // so a number stays below 1e140
};

class JsonPrefixValidator {
 public:
  explicit JsonPrefixValidator(JsonValidatorOptions options = {});

  // Would the bytes seen so far followed by `more` still be a prefix of some accepted JSON text?
  // Always true for empty `more` unless the validator has failed.
  bool Accepts(std::string_view more) const {
    return !failed() && AcceptedLength(more) == more.size();
  }
  // The number of leading bytes of `more` that keep the text a valid prefix.
  size_t AcceptedLength(std::string_view more) const;
  // Whether one more byte would be accepted.
  bool AcceptsByte(uint8_t byte) const;

  // Consumes `more`. Returns false, and leaves the validator failed (accepting nothing, never
  // complete), if some byte was not accepted.
  bool Advance(std::string_view more);

  // A whole value (an object when object_only) has been produced; only limited whitespace may
  // follow. With object_only == false a top-level number counts as complete once it could end.
  bool Complete() const;
  bool failed() const;
  // Inside a string, not within an escape or a multi-byte character: any byte sequence without
  // '"', '\\' or control bytes that is complete UTF-8 is accepted (used by JsonTokenMasker).
  bool InPlainString() const;
  int32_t depth() const { return state_.depth; }
  const JsonValidatorOptions& options() const { return options_; }

  // Resets to the empty text.
  void Reset();

  // The automaton state; exposed so helpers can run it from a chosen state.
  struct State {
    uint64_t object_bits = 0;  // bit d set: the container at depth d + 1 is an object
    uint16_t depth = 0;
    uint16_t whitespace = 0;  // length of the current whitespace run
    uint16_t digits = 0;      // mantissa digits of the current number
    uint8_t exponent_digits = 0;
    uint8_t mode = 0;            // a Mode in the .cc
    uint8_t in_key = 0;          // the current string is an object key
    uint8_t literal = 0;         // which of true/false/null
    uint8_t literal_pos = 0;     // bytes of it matched
    uint8_t hex_count = 0;       // hex digits of the current \u escape seen
    uint8_t hex_first = 0;       // value of its first hex digit
    uint8_t high_surrogate = 0;  // the current escape is a high surrogate
    uint8_t expect_low = 0;      // the current escape must be a low surrogate
    uint8_t utf8_remaining = 0;  // continuation bytes still due
    uint8_t utf8_lo = 0;         // allowed range of the next continuation byte
    uint8_t utf8_hi = 0;
  };
  // Steps `state` over one byte; false (and the state failed) if it is not accepted.
  static bool Step(State& state, uint8_t byte, const JsonValidatorOptions& options);
  // A state inside a (value) string, for classifying token pieces.
  static State PlainStringState();
  const State& state() const { return state_; }

 private:
  JsonValidatorOptions options_;
  State state_;
};

}  // namespace locai::engine
