// StreamingDetokenizer: turns generated token ids into text one token at a time, emitting only
// whole UTF-8 characters.
//
// Byte tokens can split a character across several tokens; Push holds back an incomplete
// trailing sequence until its remaining bytes arrive and returns only complete characters.
// Bytes that can never form a valid character are not held: they pass through as they are, or
// become U+FFFD with InvalidUtf8::kReplace. Flush returns whatever is still held, e.g. at the end
// of generation (an incomplete character there is invalid and treated the same way).
// With `starts_text`, the ids are the start of a text rather than a continuation, and SPM's
// added leading space is removed from the first output exactly as Tokenizer::Decode does; the
// concatenated output then equals Decode() of all ids. Without it, the output equals the
// concatenated TokenToPiece() of the ids (for SPM, with byte-spelled U+2581 as spaces).
// Thread-safety: one instance per stream, used by one thread; the Tokenizer must outlive it.
#pragma once

#include <cstdint>
#include <string>

#include "engine/tokenizer/tokenizer.h"

namespace locai::engine {

// What to do with bytes that can never form a character (a model can emit any byte token).
enum class InvalidUtf8 {
  kPassThrough,  // emit them as they are
  kReplace,      // emit U+FFFD for each: the output is then always valid UTF-8
};

class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool starts_text = false,
                                InvalidUtf8 invalid = InvalidUtf8::kPassThrough)
      : tokenizer_(tokenizer),
        strip_leading_space_(starts_text && tokenizer.strips_leading_space()),
        replace_invalid_(invalid == InvalidUtf8::kReplace) {}

  // The complete characters that are now available; ids outside the vocabulary add nothing.
  std::string Push(int32_t id);
  // Everything still held back (possibly an incomplete character), leaving the stream empty.
  std::string Flush();
  // Bytes held back, waiting for the rest of a character.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  std::string Finish(std::string text);

  const Tokenizer& tokenizer_;
  bool strip_leading_space_;
  bool replace_invalid_;
  std::string pending_;
};

}  // namespace locai::engine
