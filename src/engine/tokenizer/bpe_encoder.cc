#include <queue>
#include <string>

#include "engine/tokenizer/encoders.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

// One symbol of a word: its token (kNoToken for a character the vocabulary lacks), its bytes in
// the mapped word, and links to its live neighbours. Merged-away symbols keep len 0.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  size_t offset;
  size_t len;
};

struct Bigram {
  int32_t rank;
  int32_t left;
  int32_t right;
  int32_t left_id;
  int32_t right_id;
  int32_t result;
};

// Lowest rank first; on equal ranks the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.left > b.left;
  }
};

class BpeSession {
 public:
  explicit BpeSession(const Vocab& vocab) : vocab_(vocab) {}

  void EncodeWord(std::string_view word, std::vector<int32_t>* out) {
    mapped_.clear();
    for (char byte : word)
      unicode::AppendUtf8(unicode::ByteToCodepoint(static_cast<uint8_t>(byte)), &mapped_);
    // Llama 3 style: a word that is a token as a whole is taken as is.
    if (vocab_.spec().pre == PreTokenizerKind::kLlama3) {
      if (const int32_t id = vocab_.Find(mapped_); id != kNoToken) {
        out->push_back(id);
        return;
      }
    }
    symbols_.clear();
    size_t pos = 0;
    while (pos < mapped_.size()) {
      const size_t len = unicode::DecodeUtf8(mapped_, pos).len;
      const auto index = static_cast<int32_t>(symbols_.size());
      symbols_.push_back({vocab_.Find(std::string_view(mapped_).substr(pos, len)), index - 1,
                          index + 1, pos, len});
      pos += len;
    }
    if (symbols_.empty()) return;
    symbols_.back().next = -1;
    queue_ = {};
    for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) TryAddBigram(i - 1, i);

    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      if (left.len == 0 || right.len == 0 || left.next != bigram.right ||
          left.id != bigram.left_id || right.id != bigram.right_id) {
        continue;  // stale
      }
      left.id = bigram.result;
      left.len += right.len;
      right.len = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      TryAddBigram(left.prev, bigram.left);
      TryAddBigram(bigram.left, left.next);
    }

    for (int32_t i = 0; i >= 0; i = symbols_[i].next) {
      const int32_t id = symbols_[i].id;
      if (id != kNoToken) {
        out->push_back(id);
      } else if (vocab_.spec().unk_id != kNoToken) {
        out->push_back(vocab_.spec().unk_id);
      }
    }
  }

 private:
  void TryAddBigram(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t left_id = symbols_[left].id;
    const int32_t right_id = symbols_[right].id;
    if (left_id == kNoToken || right_id == kNoToken) return;
    const std::optional<Vocab::Merge> merge = vocab_.FindMerge(left_id, right_id);
    if (!merge) return;
    queue_.push({merge->rank, left, right, left_id, right_id, merge->result});
  }

  const Vocab& vocab_;
  std::string mapped_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
};

}  // namespace

void EncodeBpe(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) {
  std::vector<std::string_view> words;
  PreTokenize(vocab.spec().pre, text, &words);
  BpeSession session(vocab);
  for (std::string_view word : words) session.EncodeWord(word, out);
}

}  // namespace locai::engine
