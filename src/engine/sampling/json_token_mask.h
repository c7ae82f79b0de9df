// Masking of tokens that cannot continue a JSON text, for JSON mode.
//
// Each step, before Sampler::Sample(), the engine masks the logits with the validator that has
// seen the text so far, samples, then Advance()s the validator with the chosen token's piece.
// Tokens with an empty piece (control tokens: pass "" for them) are always masked, since they
// cannot advance the JSON; the EOS token is allowed exactly when the validator is Complete().
// Logits beyond the pieces' count are masked too.
// Thread-safety: free function / const methods; safe to call concurrently on distinct logits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/sampling/json_prefix_validator.h"

namespace locai::engine {

// Sets logits[i] to -infinity for every token i whose piece the validator does not accept; the
// EOS logit (eos_id, -1 for none) is kept only when validator.Complete().
void MaskInvalidTokens(const JsonPrefixValidator& validator,
                       std::span<const std::string> token_pieces, std::span<float> logits,
                       int32_t eos_id);
// The same with several end-of-generation tokens (e.g. Llama 3's <|end_of_text|> and <|eot_id|>),
// each kept exactly when the validator is Complete().
void MaskInvalidTokens(const JsonPrefixValidator& validator,
                       std::span<const std::string> token_pieces, std::span<float> logits,
                       std::span<const int32_t> eog_ids);

// The same masking with per-vocabulary precomputation, for the engine's per-step use:
// - inside a string, tokens that are "plain string content" (no '"', '\\' or control bytes,
//   complete UTF-8) are accepted without scanning;
// - elsewhere, the pieces are walked in sorted order as a trie: each distinct prefix is stepped
//   once, and when a prefix is rejected every piece sharing it is skipped by binary search, so
//   the cost follows the (small) set of viable tokens rather than the vocabulary.
// Build once per vocabulary. Thread-safety: Mask() uses scratch buffers, so one thread at a time
// (the engine thread); after the first call it allocates nothing.
class JsonTokenMasker {
 public:
  explicit JsonTokenMasker(std::span<const std::string> token_pieces);

  void Mask(const JsonPrefixValidator& validator, std::span<float> logits, int32_t eos_id);
  void Mask(const JsonPrefixValidator& validator, std::span<float> logits,
            std::span<const int32_t> eog_ids);

  size_t size() const { return pieces_.size(); }

 private:
  // Marks allowed_ for the viable pieces among sorted_[begin, end), which share their first byte.
  void WalkRange(const JsonPrefixValidator& validator, size_t begin, size_t end);
  // The end of the block of sorted pieces from `begin` that start with `prefix`.
  size_t SkipPrefix(size_t begin, size_t end, std::string_view prefix) const;

  std::vector<std::string> pieces_;
  std::vector<uint8_t> plain_string_;       // by token id
  std::vector<int32_t> non_plain_;          // ids of non-empty pieces that are not plain
  std::vector<int32_t> sorted_;             // ids of non-empty pieces, by piece bytes
  std::vector<uint32_t> common_prefix_;     // with the previous piece in sorted_ order
  std::vector<uint32_t> first_byte_begin_;  // [b], [b + 1]: sorted_ range starting with byte b
  std::vector<uint8_t> allowed_;            // scratch, by token id
  std::vector<JsonPrefixValidator::State> states_;  // scratch: state after each prefix length
};

}  // namespace locai::engine
