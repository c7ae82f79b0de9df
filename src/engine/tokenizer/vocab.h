// Vocab: the validated token table a Tokenizer works from, built from a VocabSpec (the plain data
// of a GGUF file's tokenizer.* keys, or a test's hand-made vocabulary).
//
// Build() checks everything the encoders and decoders rely on: ids in range, token text of sane
// length, scores and types of the vocabulary's length, merges of the form "a b". After that every
// lookup is total: ids handed out are always < n(). Thread-safety: immutable after Build().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "engine/tokenizer/pre_tokenizer.h"

namespace locai::engine {

// Token types, numbered as in tokenizer.ggml.token_type.
enum class TokenType : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class TokenizerModel { kSpm, kBpe };

inline constexpr size_t kMaxTokenTextBytes = 1 << 20;  // 1 MiB: anything longer is refused
inline constexpr int32_t kNoToken = -1;

struct VocabSpec {
  TokenizerModel model = TokenizerModel::kSpm;
  PreTokenizerKind pre = PreTokenizerKind::kGpt2;  // BPE only
  std::vector<std::string> tokens;
  std::vector<float> scores;        // empty: all 0
  std::vector<TokenType> types;     // empty: all normal
  std::vector<std::string> merges;  // BPE: "left right", highest priority first
  int32_t bos_id = kNoToken;
  int32_t eos_id = kNoToken;
  int32_t eot_id = kNoToken;
  int32_t unk_id = kNoToken;
  int32_t pad_id = kNoToken;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = true;  // SPM only
};

class Vocab {
 public:
  // Validates `spec`; errors start with `source` (a file name) and name the offending key.
  static Result<std::unique_ptr<const Vocab>> Build(VocabSpec spec, std::string_view source);

  int32_t n() const { return static_cast<int32_t>(spec_.tokens.size()); }
  const VocabSpec& spec() const { return spec_; }
  bool Valid(int32_t id) const { return id >= 0 && id < n(); }
  // The following require Valid(id).
  const std::string& Text(int32_t id) const { return spec_.tokens[id]; }
  float Score(int32_t id) const { return spec_.scores.empty() ? 0.0f : spec_.scores[id]; }
  TokenType Type(int32_t id) const {
    return spec_.types.empty() ? TokenType::kNormal : spec_.types[id];
  }

  // The id of the token whose text is exactly `text`, or kNoToken.
  int32_t Find(std::string_view text) const;

  // SPM byte fallback: the <0xNN> token for `byte`, else the one-byte token, else unk (or
  // kNoToken when the vocabulary has none of these).
  int32_t ByteToken(uint8_t byte) const { return byte_tokens_[byte]; }
  // For a <0xNN> byte token, the byte.
  std::optional<uint8_t> ByteOfToken(int32_t id) const;

  // BPE: the rank of merging tokens (left, right) and the token it yields; nullopt when no merge.
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::optional<Merge> FindMerge(int32_t left, int32_t right) const;

  // Tokens matched in text as specials (control, user-defined and unknown tokens with non-empty
  // text), longest text first.
  const std::vector<int32_t>& special_tokens() const { return special_tokens_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Vocab() = default;
  Status Index(std::string_view source);

  VocabSpec spec_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> by_text_;
  std::unordered_map<uint64_t, Merge> merges_;  // key: left << 32 | right
  int32_t byte_tokens_[256] = {};
  std::vector<int32_t> special_tokens_;
};

}  // namespace locai::engine
