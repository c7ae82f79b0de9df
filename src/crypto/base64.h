// Base64 (RFC 4648) in two alphabets: standard with '=' padding (section 4) and URL-safe without
// padding (section 5, as JWTs and URL tokens use it).
//
// Decoding is strict: no whitespace, no characters outside the alphabet, padding only where the
// standard form requires it, and the unused low bits of the last character must be zero, so each
// byte string has exactly one accepted encoding. Failures are InvalidArgument.
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::crypto {

// Standard alphabet (A-Z a-z 0-9 + /), padded with '=' to a multiple of 4.
std::string Base64Encode(std::string_view bytes);
[[nodiscard]] Result<std::string> Base64Decode(std::string_view text);

// URL-safe alphabet (A-Z a-z 0-9 - _), no padding; Base64UrlDecode rejects '='.
std::string Base64UrlEncode(std::string_view bytes);
[[nodiscard]] Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace locai::crypto
