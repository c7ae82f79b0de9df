#include <queue>

#include "engine/tokenizer/encoders.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

// A run of the input; merged-away symbols keep len 0. prev/next link the live symbols.
struct Symbol {
  int32_t prev;
  int32_t next;
  size_t offset;
  size_t len;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  size_t len;
};

// Highest score first; on equal scores the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    if (a.score != b.score) return a.score < b.score;
    return a.left > b.left;
  }
};

class SpmSession {
 public:
  SpmSession(const Vocab& vocab, std::string_view text) : vocab_(vocab), text_(text) {}

  void Run(std::vector<int32_t>* out) {
    size_t pos = 0;
    while (pos < text_.size()) {
      const size_t len = unicode::DecodeUtf8(text_, pos).len;
      const auto index = static_cast<int32_t>(symbols_.size());
      symbols_.push_back({index - 1, index + 1, pos, len});
      pos += len;
    }
    if (symbols_.empty()) return;
    symbols_.back().next = -1;
    for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) TryAddBigram(i - 1, i);

    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      // Stale entry: one side was merged into something else since it was queued.
      if (left.len == 0 || right.len == 0 || left.len + right.len != bigram.len) continue;
      left.len += right.len;
      right.len = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      TryAddBigram(left.prev, bigram.left);
      TryAddBigram(bigram.left, left.next);
    }

    for (int32_t i = 0; i >= 0; i = symbols_[i].next) {
      const Symbol& symbol = symbols_[i];
      const std::string_view piece = text_.substr(symbol.offset, symbol.len);
      const int32_t id = vocab_.Find(piece);
      if (id != kNoToken) {
        out->push_back(id);
        continue;
      }
      // Only unmerged single characters can be missing from the vocabulary: byte fallback.
      for (char byte : piece) {
        const int32_t byte_id = vocab_.ByteToken(static_cast<uint8_t>(byte));
        if (byte_id != kNoToken) out->push_back(byte_id);
      }
    }
  }

 private:
  void TryAddBigram(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const size_t len = symbols_[left].len + symbols_[right].len;
    const int32_t id = vocab_.Find(text_.substr(symbols_[left].offset, len));
    if (id == kNoToken) return;
    queue_.push({vocab_.Score(id), left, right, len});
  }

  const Vocab& vocab_;
  std::string_view text_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
};

}  // namespace

void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) {
  SpmSession(vocab, text).Run(out);
}

}  // namespace locai::engine
