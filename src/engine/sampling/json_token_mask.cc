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

bool IsEog(std::span<const int32_t> eog_ids, size_t id) {
  for (int32_t eog : eog_ids) {
    if (eog >= 0 && static_cast<size_t>(eog) == id) return true;
  }
  return false;
}

// Masks logits[begin, end) where allowed(id) is false, leaving end-of-generation tokens alone, then
// decides those by completeness alone, whatever their pieces say.
template <typename Allowed>
void ApplyMask(std::span<float> logits, std::span<const int32_t> eog_ids, bool complete,
               Allowed&& allowed) {
  for (size_t id = 0; id < logits.size(); ++id) {
    if (!allowed(id) && !IsEog(eog_ids, id)) logits[id] = kNegInf;
  }
  if (complete) return;
  for (int32_t eog : eog_ids) {
    if (eog >= 0 && static_cast<size_t>(eog) < logits.size()) logits[eog] = kNegInf;
  }
}

// The check for one piece without precomputation.
bool PieceAllowed(const JsonPrefixValidator& validator, const std::array<bool, 256>& first_allowed,
                  const std::string& piece) {
  if (piece.empty() || !first_allowed[static_cast<uint8_t>(piece[0])]) return false;
  return piece.size() == 1 || validator.Accepts(piece);
}

// An eos_id of -1 means none.
std::span<const int32_t> EosSpan(const int32_t& eos_id) {
  return eos_id >= 0 ? std::span<const int32_t>(&eos_id, 1) : std::span<const int32_t>();
}

}  // namespace

void MaskInvalidTokens(const JsonPrefixValidator& validator,
                       std::span<const std::string> token_pieces, std::span<float> logits,
                       int32_t eos_id) {
  MaskInvalidTokens(validator, token_pieces, logits, EosSpan(eos_id));
}

void MaskInvalidTokens(const JsonPrefixValidator& validator,
                       std::span<const std::string> token_pieces, std::span<float> logits,
                       std::span<const int32_t> eog_ids) {
  const std::array<bool, 256> first_allowed = FirstByteTable(validator);
  ApplyMask(logits, eog_ids, validator.Complete(), [&](size_t id) {
    return id < token_pieces.size() && PieceAllowed(validator, first_allowed, token_pieces[id]);
  });
}

JsonTokenMasker::JsonTokenMasker(std::span<const std::string> token_pieces)
    : pieces_(token_pieces.begin(), token_pieces.end()),
      plain_string_(token_pieces.size()),
      first_byte_begin_(257, 0),
      allowed_(token_pieces.size()) {
  size_t max_length = 0;
  for (size_t id = 0; id < pieces_.size(); ++id) {
    const std::string& piece = pieces_[id];
    plain_string_[id] = IsPlainStringContent(piece) ? 1 : 0;
    if (piece.empty()) continue;
    sorted_.push_back(static_cast<int32_t>(id));
    if (plain_string_[id] == 0) non_plain_.push_back(static_cast<int32_t>(id));
    max_length = std::max(max_length, piece.size());
  }
  std::sort(sorted_.begin(), sorted_.end(),
            [&](int32_t a, int32_t b) { return pieces_[a] < pieces_[b]; });
  common_prefix_.resize(sorted_.size(), 0);
  for (size_t i = 1; i < sorted_.size(); ++i) {
    const std::string& prev = pieces_[sorted_[i - 1]];
    const std::string& cur = pieces_[sorted_[i]];
    size_t common = 0;
    while (common < prev.size() && common < cur.size() && prev[common] == cur[common]) ++common;
    common_prefix_[i] = static_cast<uint32_t>(common);
  }
  // first_byte_begin_[b] = first sorted index whose first byte is >= b.
  size_t i = 0;
  for (int b = 0; b <= 256; ++b) {
    while (i < sorted_.size() && static_cast<uint8_t>(pieces_[sorted_[i]][0]) < b) ++i;
    first_byte_begin_[b] = static_cast<uint32_t>(i);
  }
  states_.resize(max_length + 1);
}

size_t JsonTokenMasker::SkipPrefix(size_t begin, size_t end, std::string_view prefix) const {
  const auto first = sorted_.begin() + static_cast<std::ptrdiff_t>(begin);
  const auto last = sorted_.begin() + static_cast<std::ptrdiff_t>(end);
  const auto it = std::partition_point(
      first, last, [&](int32_t id) { return std::string_view(pieces_[id]).starts_with(prefix); });
  return static_cast<size_t>(it - sorted_.begin());
}

void JsonTokenMasker::WalkRange(const JsonPrefixValidator& validator, size_t begin, size_t end) {
  const JsonValidatorOptions& options = validator.options();
  states_[0] = validator.state();
  size_t valid_depth = 0;  // states_[0..valid_depth] hold the current piece's prefixes
  size_t i = begin;
  while (i < end) {
    const std::string& piece = pieces_[sorted_[i]];
    const size_t shared = i == begin ? 0 : common_prefix_[i];
    size_t depth = std::min(valid_depth, shared);
    bool ok = true;
    for (; depth < piece.size(); ++depth) {
      states_[depth + 1] = states_[depth];
      if (!JsonPrefixValidator::Step(states_[depth + 1], static_cast<uint8_t>(piece[depth]),
                                     options)) {
        ok = false;
        break;
      }
    }
    if (!ok) {
      // No piece that starts with piece[0..depth] can continue the text.
      valid_depth = depth;
      i = SkipPrefix(i, end, std::string_view(piece).substr(0, depth + 1));
      continue;
    }
    allowed_[sorted_[i]] = 1;
    valid_depth = piece.size();
    ++i;
  }
}

void JsonTokenMasker::Mask(const JsonPrefixValidator& validator, std::span<float> logits,
                           int32_t eos_id) {
  Mask(validator, logits, EosSpan(eos_id));
}

void JsonTokenMasker::Mask(const JsonPrefixValidator& validator, std::span<float> logits,
                           std::span<const int32_t> eog_ids) {
  std::fill(allowed_.begin(), allowed_.end(), 0);
  if (validator.failed()) {
    // Nothing is allowed.
  } else if (validator.InPlainString()) {
    std::copy(plain_string_.begin(), plain_string_.end(), allowed_.begin());
    for (int32_t id : non_plain_) allowed_[id] = validator.Accepts(pieces_[id]) ? 1 : 0;
  } else {
    const std::array<bool, 256> first_allowed = FirstByteTable(validator);
    for (int b = 0; b < 256; ++b) {
      if (first_allowed[b]) WalkRange(validator, first_byte_begin_[b], first_byte_begin_[b + 1]);
    }
  }
  ApplyMask(logits, eog_ids, validator.Complete(),
            [&](size_t id) { return id < allowed_.size() && allowed_[id] != 0; });
}

}  // namespace locai::engine
