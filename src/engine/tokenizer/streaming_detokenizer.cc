#include "engine/tokenizer/streaming_detokenizer.h"

#include "engine/tokenizer/unicode.h"

namespace locai::engine {

std::string StreamingDetokenizer::Push(int32_t id) {
  pending_ += tokenizer_.TokenToPiece(id);
  const size_t complete = unicode::CompleteUtf8Prefix(pending_);
  std::string out = pending_.substr(0, complete);
  pending_.erase(0, complete);
  return Finish(std::move(out));
}

std::string StreamingDetokenizer::Finish(std::string text) {
  // `text` ends on a character boundary, so a U+2581 is never split between two calls.
  tokenizer_.UnescapeSpaces(&text);
  if (replace_invalid_) unicode::ReplaceInvalidUtf8(&text);
  if (strip_leading_space_ && !text.empty()) {
    if (text.front() == ' ') text.erase(0, 1);
    strip_leading_space_ = false;
  }
  return text;
}

std::string StreamingDetokenizer::Flush() {
  std::string out;
  out.swap(pending_);
  return Finish(std::move(out));
}

}  // namespace locai::engine
