// The two subword algorithms, over a validated Vocab. Both append ids (always < vocab.n()) to
// `out` and accept any bytes, including invalid UTF-8.
// Thread-safety: pure functions; the Vocab is only read.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace locai::engine {

// SentencePiece-style BPE by score: `text` is already whitespace-escaped (' ' -> U+2581). Starts
// from single characters and repeatedly merges the adjacent pair whose concatenation is the
// highest-scoring token (leftmost on ties); characters that end up as no token are emitted as
// byte tokens <0xNN>.
void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out);

// Byte-level BPE: splits `text` into words with the vocabulary's pre-tokenizer, maps each word's
// bytes to GPT-2's printable codepoints, then applies merges lowest rank first (leftmost on ties).
void EncodeBpe(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out);

}  // namespace locai::engine
