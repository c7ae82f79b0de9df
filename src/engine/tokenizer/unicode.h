// UTF-8 and Unicode helpers for the tokenizers: lenient UTF-8 decoding (invalid bytes are reported,
// never skipped, so byte-level tokenizers can still carry them), the character classes the BPE
// pre-tokenizers split on, and GPT-2's byte <-> printable-codepoint mapping.
// Thread-safety: pure functions over constant data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace locai::engine::unicode {

// One decoded character. For an invalid or truncated sequence, `valid` is false, `len` is 1 and
// `cp` is kInvalidCodepoint: the caller treats that single byte as an opaque symbol.
inline constexpr uint32_t kInvalidCodepoint = 0xFFFFFFFFu;
struct Decoded {
  uint32_t cp;
  uint32_t len;
  bool valid;
};

// Decodes the character starting at text[pos]; pos < text.size() is required. Rejects overlong
// forms, surrogates and codepoints above U+10FFFF.
Decoded DecodeUtf8(std::string_view text, size_t pos);

// The sequence length a lead byte announces (1..4), or 1 for a continuation or invalid byte.
size_t Utf8LengthFromLeadByte(uint8_t byte);

// True when `text` is entirely well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// Replaces each byte that is not part of a well-formed character with U+FFFD.
void ReplaceInvalidUtf8(std::string* text);

// Appends the UTF-8 encoding of `cp` (must be <= 0x10FFFF) to `out` (common/utf8.h).
using ::locai::AppendUtf8;

// The length of the longest prefix of `bytes` that does not end inside an incomplete (but so far
// well-formed) multi-byte sequence. Bytes that can never become valid are not held back.
size_t CompleteUtf8Prefix(std::string_view bytes);

// Classes used by the pre-tokenizer regexes.
enum class CharClass : uint8_t { kLetter, kNumber, kWhitespace, kOther };
CharClass Classify(uint32_t cp);  // kInvalidCodepoint is kOther
bool IsLetter(uint32_t cp);
bool IsNumber(uint32_t cp);
bool IsWhitespace(uint32_t cp);

// GPT-2 byte-level BPE maps every byte to a printable codepoint (printable Latin-1 bytes map to
// themselves, the rest to U+0100 onwards) so that token text is always valid UTF-8.
uint32_t ByteToCodepoint(uint8_t byte);
std::optional<uint8_t> CodepointToByte(uint32_t cp);

}  // namespace locai::engine::unicode
