// Codepoint range tables for the Unicode classes the BPE pre-tokenizers need (\p{L}, \p{N} and
// White_Space). Generated data: see tools/gen_unicode_tables.py. Each table is sorted, with
// disjoint inclusive ranges, so membership is a binary search.
// Thread-safety: constant data.
#pragma once

#include <cstddef>
#include <cstdint>

namespace locai::engine::unicode_tables {

struct CodepointRange {
  uint32_t lo;
  uint32_t hi;  // inclusive
};

extern const CodepointRange kLetter[];
extern const size_t kLetterSize;
extern const CodepointRange kNumber[];
extern const size_t kNumberSize;
extern const CodepointRange kWhitespace[];
extern const size_t kWhitespaceSize;

}  // namespace locai::engine::unicode_tables
