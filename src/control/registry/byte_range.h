// The `Range` request header of a blob download (RFC 9110 section 14.2), one range only:
// "bytes=FIRST-LAST", "bytes=FIRST-" or "bytes=-SUFFIX".
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace locai::control::registry {

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;  // > 0
};

enum class RangeKind {
  kWhole,          // no Range, or one we ignore (not "bytes=", several ranges, malformed): 200
  kPartial,        // 206 with `range`
  kUnsatisfiable,  // 416 with `Content-Range: bytes */SIZE`
};

struct RangeResult {
  RangeKind kind = RangeKind::kWhole;
  ByteRange range;
};

// Resolves `header` (nullopt: no Range) against a resource of `size` bytes. A LAST past the end
// is clamped; a FIRST at or past the end, or a zero suffix, is unsatisfiable.
RangeResult ResolveRange(std::optional<std::string_view> header, uint64_t size);

}  // namespace locai::control::registry
