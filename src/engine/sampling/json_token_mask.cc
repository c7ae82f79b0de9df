#include "engine/sampling/json_token_mask.h"

#include <algorithm>
#include <array>
#include <limits>

namespace locai::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Which single bytes the validator accepts next: one table per step turns most rejections into
// one lookup on the token's first byte.
std::array<bool, 256> FirstByteTable(const JsonPrefixValidator& validator) {
  std::array<bool, 256> allowed{};
  for (int byte = 0; byte < 256; ++byte) {
    allowed[byte] = validator.AcceptsByte(static_cast<uint8_t>(byte));
  }
  return allowed;
}

bool IsPlainStringContent(const std::string& piece) {
  if (piece.empty()) return false;
  JsonPrefixValidator::State state = JsonPrefixValidator::PlainStringState();
  const JsonPrefixValidator::State start = state;
  const JsonValidatorOptions options;
  for (char c : piece) {
    if (c == '"' || c == '\\') return false;
    if (!JsonPrefixValidator::Step(state, static_cast<uint8_t>(c), options)) return false;
  }
  return state.mode == start.mode;  // not left inside a multi-byte character
}

// The shared loop; `plain` is empty for the unprecomputed variant.
void MaskImpl(const JsonPrefixValidator& validator, std::span<const std::string> pieces,
              std::span<const uint8_t> plain, std::span<float> logits, int32_t eos_id) {
  const bool has_eos = eos_id >= 0 && static_cast<size_t>(eos_id) < logits.size();
  const float eos_logit = has_eos ? logits[eos_id] : kNegInf;
  const std::array<bool, 256> allowed = FirstByteTable(validator);
  const bool in_plain_string = !plain.empty() && validator.InPlainString();
  const size_t n = std::min(pieces.size(), logits.size());
  for (size_t id = 0; id < n; ++id) {
    const std::string& piece = pieces[id];
    if (piece.empty() || !allowed[static_cast<uint8_t>(piece[0])]) {
      logits[id] = kNegInf;
      continue;
    }
    if (piece.size() == 1 || (in_plain_string && plain[id] != 0)) continue;
    if (!validator.Accepts(piece)) logits[id] = kNegInf;
  }
  for (size_t id = n; id < logits.size(); ++id) logits[id] = kNegInf;
  // EOS is decided by completeness alone, whatever its piece says.
  if (has_eos) logits[eos_id] = validator.Complete() ? eos_logit : kNegInf;
}

}  // namespace

void MaskInvalidTokens(const JsonPrefixValidator& validator,
                       std::span<const std::string> token_pieces, std::span<float> logits,
                       int32_t eos_id) {
  MaskImpl(validator, token_pieces, {}, logits, eos_id);
}

JsonTokenMasker::JsonTokenMasker(std::span<const std::string> token_pieces)
    : pieces_(token_pieces.begin(), token_pieces.end()), plain_string_(token_pieces.size()) {
  for (size_t id = 0; id < pieces_.size(); ++id) {
    plain_string_[id] = IsPlainStringContent(pieces_[id]) ? 1 : 0;
  }
}

void JsonTokenMasker::Mask(const JsonPrefixValidator& validator, std::span<float> logits,
                           int32_t eos_id) const {
  MaskImpl(validator, pieces_, plain_string_, logits, eos_id);
}

}  // namespace locai::engine
