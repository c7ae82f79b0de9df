// Tokenizer: text <-> token ids for the vocabularies GGUF files carry.
//
// Two models, chosen by tokenizer.ggml.model:
//   "llama" SentencePiece-style BPE by score, with byte fallback (<0xNN> tokens), spaces escaped
//           as U+2581 and, unless tokenizer.ggml.add_space_prefix is false, a leading space added
//           to text that starts the input or follows a special token.
//   "gpt2"  byte-level BPE with ranked merges, after the pre-tokenizer named by
//           tokenizer.ggml.pre (llama-bpe, qwen2, else GPT-2's split).
// Encode accepts any bytes (invalid UTF-8 passes through byte tokens); every id it returns is in
// the vocabulary. Decoding ids outside the vocabulary never reads out of bounds: Decode skips
// them and DecodeChecked reports them.
//
// Loading (FromGguf) validates the tokenizer.* keys: array element types, lengths, token text of
// at most 1 MiB, merges of the form "a b", special ids in range. Errors name the file and key.
// Thread-safety: immutable after construction; all methods are const and safe to call
// concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/tokenizer/vocab.h"

namespace locai::engine {

namespace gguf {
class GgufFile;
}  // namespace gguf

class Tokenizer {
 public:
  // Reads the tokenizer.* metadata of `file`. Errors: InvalidArgument naming the file and key
  // (missing or mistyped key, inconsistent lengths, oversize token text, ids out of range);
  // Unimplemented for a tokenizer model other than "llama" and "gpt2".
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const gguf::GgufFile& file);
  // Builds from plain data (tests, other formats); `source` prefixes error messages.
  static Result<std::unique_ptr<Tokenizer>> FromSpec(VocabSpec spec, std::string_view source);

  // Token ids for `text`. `add_bos` prepends the BOS token (when the vocabulary has one); use
  // add_bos_default() for the model's own choice. With `parse_special`, the text of control
  // (and unknown) tokens is matched as those tokens, longest first; user-defined tokens are
  // always matched. Never fails on any input bytes.
  Result<std::vector<int32_t>> Encode(std::string_view text, bool add_bos,
                                      bool parse_special) const;

  // The token's text as stored in the vocabulary (escaped/mapped form); empty when out of range.
  std::string_view TokenText(int32_t id) const;
  // The bytes the token decodes to: control and unused tokens decode to nothing unless
  // `render_special` (then their text); byte tokens to their byte; out of range to nothing.
  // May be a partial UTF-8 character.
  std::string TokenToPiece(int32_t id, bool render_special = false) const;

  // The text of a whole token sequence starting a text: the pieces concatenated, then for SPM
  // any U+2581 that byte tokens spelled out turned into a space and the added leading space
  // removed. Out-of-range ids are skipped.
  std::string Decode(std::span<const int32_t> ids) const;
  // As Decode, but an id outside the vocabulary is an OutOfRange error.
  Result<std::string> DecodeChecked(std::span<const int32_t> ids) const;

  int32_t n_vocab() const { return vocab_->n(); }
  TokenizerModel model() const { return vocab_->spec().model; }
  int32_t bos_id() const { return vocab_->spec().bos_id; }  // kNoToken (-1) when absent
  int32_t eos_id() const { return vocab_->spec().eos_id; }
  int32_t eot_id() const { return eot_id_; }  // from the key, else found by text; or -1
  int32_t unk_id() const { return vocab_->spec().unk_id; }
  int32_t pad_id() const { return vocab_->spec().pad_id; }
  bool add_bos_default() const { return vocab_->spec().add_bos && bos_id() != kNoToken; }
  bool add_eos_default() const { return vocab_->spec().add_eos && eos_id() != kNoToken; }
  // Whether Decode/StreamingDetokenizer strip one leading space at the start of a text.
  bool strips_leading_space() const;
  // For SPM, replaces every U+2581 in `text` (whole characters) with a space; else a no-op.
  void UnescapeSpaces(std::string* text) const;

  // True for EOS, EOT and the control tokens that end a turn in common chat formats
  // (<|eot_id|>, <|eom_id|>, <|end_of_text|>, <|im_end|>, <|end|>, <|endoftext|>, <end_of_turn>).
  bool IsEndOfGeneration(int32_t id) const;
  bool IsControl(int32_t id) const;

  // The id of the token whose vocabulary text is exactly `text`.
  std::optional<int32_t> FindToken(std::string_view text) const;

  const Vocab& vocab() const { return *vocab_; }

 private:
  explicit Tokenizer(std::unique_ptr<const Vocab> vocab);
  void EncodeText(std::string_view text, bool after_special, std::vector<int32_t>* out) const;
  std::string ComputePiece(int32_t id) const;

  std::unique_ptr<const Vocab> vocab_;
  std::vector<std::string> pieces_;         // TokenToPiece(id, false), precomputed
  std::vector<int32_t> end_of_generation_;  // sorted
  int32_t eot_id_ = kNoToken;
};

}  // namespace locai::engine
