#include "engine/tokenizer/vocab.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace locai::engine {
namespace {

std::string KeyError(std::string_view source, std::string_view key, std::string_view reason) {
  std::string msg(source);
  msg += ": ";
  msg += key;
  msg += ": ";
  msg += reason;
  return msg;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<std::unique_ptr<const Vocab>> Vocab::Build(VocabSpec spec, std::string_view source) {
  std::unique_ptr<Vocab> vocab(new Vocab());
  vocab->spec_ = std::move(spec);
  LOCAI_RETURN_IF_ERROR(vocab->Index(source));
  return std::unique_ptr<const Vocab>(std::move(vocab));
}

Status Vocab::Index(std::string_view source) {
  const VocabSpec& s = spec_;
  if (s.tokens.empty()) {
    return Status::InvalidArgument(KeyError(source, "tokenizer.ggml.tokens", "no tokens"));
  }
  if (s.tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2)) {
    return Status::InvalidArgument(KeyError(source, "tokenizer.ggml.tokens", "too many tokens"));
  }
  const size_t n = s.tokens.size();
  if (!s.scores.empty() && s.scores.size() != n) {
    return Status::InvalidArgument(KeyError(source, "tokenizer.ggml.scores",
                                            "has " + std::to_string(s.scores.size()) +
                                                " entries for " + std::to_string(n) + " tokens"));
  }
  if (!s.types.empty() && s.types.size() != n) {
    return Status::InvalidArgument(KeyError(
        source, "tokenizer.ggml.token_type",
        "has " + std::to_string(s.types.size()) + " entries for " + std::to_string(n) + " tokens"));
  }
  for (size_t id = 0; id < s.scores.size(); ++id) {
    // NaN would break the ordering the SPM merge queue relies on.
    if (std::isnan(s.scores[id])) {
      return Status::InvalidArgument(KeyError(source, "tokenizer.ggml.scores",
                                              "token " + std::to_string(id) + " has a NaN score"));
    }
  }
  for (size_t id = 0; id < s.types.size(); ++id) {
    if (static_cast<uint8_t>(s.types[id]) > static_cast<uint8_t>(TokenType::kByte)) {
      return Status::InvalidArgument(KeyError(source, "tokenizer.ggml.token_type",
                                              "token " + std::to_string(id) + " has unknown type " +
                                                  std::to_string(static_cast<int>(s.types[id]))));
    }
  }
  const std::pair<const char*, int32_t> ids[] = {
      {"tokenizer.ggml.bos_token_id", s.bos_id},     {"tokenizer.ggml.eos_token_id", s.eos_id},
      {"tokenizer.ggml.eot_token_id", s.eot_id},     {"tokenizer.ggml.unknown_token_id", s.unk_id},
      {"tokenizer.ggml.padding_token_id", s.pad_id},
  };
  for (const auto& [key, id] : ids) {
    if (id != kNoToken && !Valid(id)) {
      return Status::InvalidArgument(KeyError(
          source, key,
          "id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(n)));
    }
  }

  by_text_.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = s.tokens[id];
    if (text.size() > kMaxTokenTextBytes) {
      return Status::InvalidArgument(
          KeyError(source, "tokenizer.ggml.tokens",
                   "token " + std::to_string(id) + " is " + std::to_string(text.size()) +
                       " bytes long (limit " + std::to_string(kMaxTokenTextBytes) + ")"));
    }
    by_text_.insert_or_assign(text, static_cast<int32_t>(id));
  }

  for (int byte = 0; byte < 256; ++byte) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", byte);
    int32_t id = Find(hex);
    const char single = static_cast<char>(byte);
    if (id == kNoToken) id = Find(std::string_view(&single, 1));
    if (id == kNoToken) id = s.unk_id;
    byte_tokens_[byte] = id;
  }

  merges_.reserve(s.merges.size());
  for (size_t rank = 0; rank < s.merges.size(); ++rank) {
    const std::string& merge = s.merges[rank];
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos || space + 1 >= merge.size()) {
      return Status::InvalidArgument(
          KeyError(source, "tokenizer.ggml.merges",
                   "entry " + std::to_string(rank) + " is not of the form \"left right\""));
    }
    const std::string_view left = std::string_view(merge).substr(0, space);
    const std::string_view right = std::string_view(merge).substr(space + 1);
    const int32_t left_id = Find(left);
    const int32_t right_id = Find(right);
    std::string joined(left);
    joined += right;
    const int32_t result_id = Find(joined);
    // A merge whose parts or result are not tokens can never apply to token symbols.
    if (left_id == kNoToken || right_id == kNoToken || result_id == kNoToken) continue;
    const uint64_t key = (static_cast<uint64_t>(left_id) << 32) | static_cast<uint32_t>(right_id);
    merges_.emplace(key, Merge{static_cast<int32_t>(rank), result_id});  // first rank wins
  }

  for (int32_t id = 0; id < this->n(); ++id) {
    const TokenType type = Type(id);
    if ((type == TokenType::kControl || type == TokenType::kUserDefined ||
         type == TokenType::kUnknown) &&
        !Text(id).empty()) {
      special_tokens_.push_back(id);
    }
  }
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(),
                   [&](int32_t a, int32_t b) { return Text(a).size() > Text(b).size(); });
  return Status::Ok();
}

int32_t Vocab::Find(std::string_view text) const {
  const auto it = by_text_.find(text);
  return it == by_text_.end() ? kNoToken : it->second;
}

std::optional<uint8_t> Vocab::ByteOfToken(int32_t id) const {
  const std::string& text = Text(id);
  if (text.size() != 6 || text[0] != '<' || text[1] != '0' || text[2] != 'x' || text[5] != '>') {
    return std::nullopt;
  }
  const int hi = HexDigit(text[3]);
  const int lo = HexDigit(text[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

std::optional<Vocab::Merge> Vocab::FindMerge(int32_t left, int32_t right) const {
  const uint64_t key = (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
  const auto it = merges_.find(key);
  if (it == merges_.end()) return std::nullopt;
  return it->second;
}

}  // namespace locai::engine
