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

// The same masking with per-vocabulary precomputation: each token's first byte, and whether it is
// "plain string content" (accepted in full by any string state outside an escape or a multi-byte
// character), so that inside strings most tokens are accepted without scanning their bytes.
// Build once per vocabulary; Mask() allocates nothing.
class JsonTokenMasker {
 public:
  explicit JsonTokenMasker(std::span<const std::string> token_pieces);

  void Mask(const JsonPrefixValidator& validator, std::span<float> logits, int32_t eos_id) const;

  size_t size() const { return pieces_.size(); }

 private:
  std::vector<std::string> pieces_;
  std::vector<uint8_t> plain_string_;  // by token id
};

}  // namespace locai::engine
