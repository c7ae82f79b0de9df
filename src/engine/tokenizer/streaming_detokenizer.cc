#include "engine/tokenizer/streaming_detokenizer.h"

#include "engine/tokenizer/unicode.h"

namespace locai::engine {

std::string StreamingDetokenizer::Push(int32_t id) {
  std::string piece = tokenizer_.TokenToPiece(id);
  if (strip_leading_space_ && !piece.empty()) {
    if (piece.front() == ' ') piece.erase(0, 1);
    strip_leading_space_ = false;
  }
  pending_ += piece;
  const size_t complete = unicode::CompleteUtf8Prefix(pending_);
  std::string out = pending_.substr(0, complete);
  pending_.erase(0, complete);
  return out;
}

std::string StreamingDetokenizer::Flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace locai::engine
