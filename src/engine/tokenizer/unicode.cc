#include "engine/tokenizer/unicode.h"

#include <algorithm>

#include "engine/tokenizer/unicode_tables.h"

namespace locai::engine::unicode {
namespace {

using unicode_tables::CodepointRange;

bool InTable(const CodepointRange* table, size_t size, uint32_t cp) {
  const CodepointRange* end = table + size;
  // First range whose upper bound is >= cp.
  const CodepointRange* it = std::lower_bound(
      table, end, cp, [](const CodepointRange& r, uint32_t v) { return r.hi < v; });
  return it != end && it->lo <= cp;
}

bool IsContinuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

size_t Utf8LengthFromLeadByte(uint8_t byte) {
  if (byte < 0x80) return 1;
  if (byte >= 0xC2 && byte <= 0xDF) return 2;
  if (byte >= 0xE0 && byte <= 0xEF) return 3;
  if (byte >= 0xF0 && byte <= 0xF4) return 4;
  return 1;
}

Decoded DecodeUtf8(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(pos);
  if (lead < 0x80) return {lead, 1, true};
  const Decoded invalid{kInvalidCodepoint, 1, false};
  const size_t len = Utf8LengthFromLeadByte(lead);
  if (len == 1 || pos + len > text.size()) return invalid;
  uint32_t cp = lead & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    if (!IsContinuation(byte(pos + i))) return invalid;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return invalid;
  }
  return {cp, static_cast<uint32_t>(len), true};
}

bool IsValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const Decoded d = DecodeUtf8(text, pos);
    if (!d.valid) return false;
    pos += d.len;
  }
  return true;
}

void ReplaceInvalidUtf8(std::string* text) {
  if (IsValidUtf8(*text)) return;
  std::string out;
  out.reserve(text->size() + 8);
  for (size_t pos = 0; pos < text->size();) {
    const Decoded d = DecodeUtf8(*text, pos);
    if (d.valid) {
      out.append(*text, pos, d.len);
    } else {
      out += "\xEF\xBF\xBD";
    }
    pos += d.len;
  }
  text->swap(out);
}

size_t CompleteUtf8Prefix(std::string_view bytes) {
  const size_t n = bytes.size();
  // An incomplete sequence is a lead byte within the last 3 bytes followed only by continuation
  // bytes, fewer than it announces, whose second byte (if present) is allowed after that lead.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t pos = n - back;
    const auto lead = static_cast<uint8_t>(bytes[pos]);
    if (IsContinuation(lead)) continue;
    const size_t len = Utf8LengthFromLeadByte(lead);
    if (len <= back) return n;  // complete, ASCII or invalid: nothing to hold back
    if (back >= 2) {
      const auto second = static_cast<uint8_t>(bytes[pos + 1]);
      uint8_t lo = 0x80, hi = 0xBF;
      if (lead == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
      if (lead == 0xED) hi = 0x9F;  // no surrogates
      if (lead == 0xF0) lo = 0x90;  // no overlong 4-byte forms
      if (lead == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
      if (second < lo || second > hi) return n;
    }
    return pos;
  }
  return n;
}

bool IsLetter(uint32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return InTable(unicode_tables::kLetter, unicode_tables::kLetterSize, cp);
}

bool IsNumber(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return InTable(unicode_tables::kNumber, unicode_tables::kNumberSize, cp);
}

bool IsWhitespace(uint32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return InTable(unicode_tables::kWhitespace, unicode_tables::kWhitespaceSize, cp);
}

CharClass Classify(uint32_t cp) {
  if (cp == kInvalidCodepoint) return CharClass::kOther;
  if (IsLetter(cp)) return CharClass::kLetter;
  if (IsNumber(cp)) return CharClass::kNumber;
  if (IsWhitespace(cp)) return CharClass::kWhitespace;
  return CharClass::kOther;
}

// Printable bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to themselves; the other 68 bytes map,
// in byte order, to U+0100..U+0143.
uint32_t ByteToCodepoint(uint8_t byte) {
  if (byte <= 0x20) return 0x100 + byte;                                // 33 bytes: 0x100..0x120
  if (byte >= 0x7F && byte <= 0xA0) return 0x100 + 33 + (byte - 0x7F);  // 34 bytes: ..0x142
  if (byte == 0xAD) return 0x100 + 33 + 34;                             // 0x143
  return byte;
}

std::optional<uint8_t> CodepointToByte(uint32_t cp) {
  if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF)) {
    return static_cast<uint8_t>(cp);
  }
  if (cp >= 0x100 && cp <= 0x120) return static_cast<uint8_t>(cp - 0x100);
  if (cp >= 0x121 && cp <= 0x142) return static_cast<uint8_t>(cp - 0x121 + 0x7F);
  if (cp == 0x143) return uint8_t{0xAD};
  return std::nullopt;
}

}  // namespace locai::engine::unicode
