// Test-only: a tiny, independent recursive-descent JSON checker (RFC 8259 grammar plus \u
// surrogate pairing), used to judge the validator's output without a JSON library. Raw bytes
// >= 0x80 in strings are accepted without UTF-8 checks, so it is at least as lenient as the
// validator there.
#pragma once

#include <cstddef>
#include <string_view>

namespace locai::engine::testing {

class JsonChecker {
 public:
  // True when `text` is exactly one JSON value (an object if object_only), with optional
  // surrounding whitespace.
  static bool IsValid(std::string_view text, bool object_only = true) {
    JsonChecker checker(text);
    checker.SkipWhitespace();
    if (object_only && checker.Peek() != '{') return false;
    if (!checker.Value(0)) return false;
    checker.SkipWhitespace();
    return checker.pos_ == text.size();
  }

 private:
  explicit JsonChecker(std::string_view text) : text_(text) {}

  int Peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }
  bool Eat(char c) {
    if (Peek() != static_cast<unsigned char>(c)) return false;
    ++pos_;
    return true;
  }
  void SkipWhitespace() {
    while (Peek() == ' ' || Peek() == '\n' || Peek() == '\r' || Peek() == '\t') ++pos_;
  }
  bool Digit() const { return Peek() >= '0' && Peek() <= '9'; }

  bool Value(int depth) {
    if (depth > 100) return false;
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String();
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        return Number();
    }
  }
  bool Word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool Object(int depth) {
    Eat('{');
    SkipWhitespace();
    if (Eat('}')) return true;
    for (;;) {
      SkipWhitespace();
      if (Peek() != '"' || !String()) return false;
      SkipWhitespace();
      if (!Eat(':')) return false;
      SkipWhitespace();
      if (!Value(depth + 1)) return false;
      SkipWhitespace();
      if (Eat('}')) return true;
      if (!Eat(',')) return false;
    }
  }
  bool Array(int depth) {
    Eat('[');
    SkipWhitespace();
    if (Eat(']')) return true;
    for (;;) {
      SkipWhitespace();
      if (!Value(depth + 1)) return false;
      SkipWhitespace();
      if (Eat(']')) return true;
      if (!Eat(',')) return false;
    }
  }
  // Reads the 4 hex digits after "\u"; -1 if malformed.
  long Hex4() {
    long value = 0;
    for (int i = 0; i < 4; ++i) {
      const int c = Peek();
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (digit < 0) return -1;
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }
  bool String() {
    Eat('"');
    for (;;) {
      const int c = Peek();
      if (c < 0 || c < 0x20) return false;
      ++pos_;
      if (c == '"') return true;
      if (c != '\\') continue;
      const int e = Peek();
      ++pos_;
      if (e == 'u') {
        const long unit = Hex4();
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          if (!Eat('\\') || !Eat('u')) return false;
          const long low = Hex4();
          if (low < 0xDC00 || low > 0xDFFF) return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(static_cast<char>(e)) ==
                     std::string_view::npos ||
                 e < 0) {
        return false;
      }
    }
  }
  bool Number() {
    Eat('-');
    if (Eat('0')) {
      // no more integer digits after a leading zero
    } else if (Digit()) {
      while (Digit()) ++pos_;
    } else {
      return false;
    }
    if (Eat('.')) {
      if (!Digit()) return false;
      while (Digit()) ++pos_;
    }
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (!Digit()) return false;
      while (Digit()) ++pos_;
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace locai::engine::testing
