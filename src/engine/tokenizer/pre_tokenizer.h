// Pre-tokenizers for byte-level BPE: split text into words before BPE merges, as the regexes of
// the original tokenizers do, implemented by hand over Unicode class tables (no std::regex).
//
//   kGpt2   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kLlama3 (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//           | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   kQwen2  as kLlama3 but \p{N} (single digits)
//
// Words are byte ranges of the input and cover it exactly, in order. Invalid UTF-8 bytes are
// single-byte words-parts of class "other" (neither letter, number nor space), so any byte string
// splits without loss. Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

namespace locai::engine {

enum class PreTokenizerKind { kGpt2, kLlama3, kQwen2 };

// Maps a `tokenizer.ggml.pre` value to a splitter; unknown names use kGpt2.
PreTokenizerKind PreTokenizerKindFromName(std::string_view name);

// Appends the words of `text` to `words` (views into `text`).
void PreTokenize(PreTokenizerKind kind, std::string_view text,
                 std::vector<std::string_view>* words);

}  // namespace locai::engine
