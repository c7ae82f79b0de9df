#include "engine/tokenizer/tokenizer.h"

#include <algorithm>

#include "engine/tokenizer/encoders.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";      // U+2581, SentencePiece's space
constexpr std::string_view kUnknownPiece = "\xE2\x96\x85";  // what an unknown token shows as

// Control-token texts that end a turn in common chat formats.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|eom_id|>",    "<|end_of_text|>", "<|im_end|>",
    "<|end|>",    "<|endoftext|>", "<end_of_turn>",   "<EOT>",
};
// Of those, the ones that mark the end of an assistant turn, in preference order (EOT guess).
constexpr std::string_view kEndOfTurnTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>",
                                                "<end_of_turn>", "<EOT>"};

// A piece of the input: raw text to tokenize, or a special token matched in it.
struct Fragment {
  int32_t token;  // kNoToken for raw text
  std::string_view text;
};

std::string EscapeSpaces(std::string_view text, bool add_prefix) {
  std::string out;
  out.reserve(text.size() + 3 + (text.size() >> 3));
  if (add_prefix) out += kSpmSpace;
  for (char c : text) {
    if (c == ' ') {
      out += kSpmSpace;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Splits every raw fragment on each special token in turn, longest token first.
std::vector<Fragment> PartitionSpecial(const Vocab& vocab, std::string_view text,
                                       bool parse_special) {
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({kNoToken, text});
  std::vector<Fragment> next;
  for (int32_t id : vocab.special_tokens()) {
    const TokenType type = vocab.Type(id);
    if (!parse_special && type != TokenType::kUserDefined) continue;
    const std::string_view special = vocab.Text(id);
    bool found = false;
    for (const Fragment& f : fragments) {
      if (f.token == kNoToken && f.text.find(special) != std::string_view::npos) found = true;
    }
    if (!found) continue;
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (size_t hit = rest.find(special); hit != std::string_view::npos;
           hit = rest.find(special)) {
        if (hit > 0) next.push_back({kNoToken, rest.substr(0, hit)});
        next.push_back({id, special});
        rest.remove_prefix(hit + special.size());
      }
      if (!rest.empty()) next.push_back({kNoToken, rest});
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromSpec(VocabSpec spec, std::string_view source) {
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<const Vocab> vocab, Vocab::Build(std::move(spec), source));
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(vocab)));
}

Tokenizer::Tokenizer(std::unique_ptr<const Vocab> vocab) : vocab_(std::move(vocab)) {
  const VocabSpec& spec = vocab_->spec();
  pieces_.reserve(vocab_->n());
  for (int32_t id = 0; id < vocab_->n(); ++id) pieces_.push_back(ComputePiece(id));

  eot_id_ = spec.eot_id;
  if (eot_id_ == kNoToken) {
    for (std::string_view text : kEndOfTurnTexts) {
      const int32_t id = vocab_->Find(text);
      if (id != kNoToken && IsControl(id)) {
        eot_id_ = id;
        break;
      }
    }
  }
  for (int32_t id : {spec.eos_id, eot_id_}) {
    if (id != kNoToken) end_of_generation_.push_back(id);
  }
  for (std::string_view text : kEndOfGenerationTexts) {
    const int32_t id = vocab_->Find(text);
    if (id != kNoToken && IsControl(id)) end_of_generation_.push_back(id);
  }
  std::sort(end_of_generation_.begin(), end_of_generation_.end());
  end_of_generation_.erase(std::unique(end_of_generation_.begin(), end_of_generation_.end()),
                           end_of_generation_.end());
}

Result<std::vector<int32_t>> Tokenizer::Encode(std::string_view text, bool add_bos,
                                               bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_bos && bos_id() != kNoToken) ids.push_back(bos_id());
  bool after_special = true;  // the start of the input counts as "after a special token"
  for (const Fragment& fragment : PartitionSpecial(*vocab_, text, parse_special)) {
    if (fragment.token != kNoToken) {
      ids.push_back(fragment.token);
      after_special = true;
    } else {
      EncodeText(fragment.text, after_special, &ids);
      after_special = false;
    }
  }
  return ids;
}

void Tokenizer::EncodeText(std::string_view text, bool after_special,
                           std::vector<int32_t>* out) const {
  if (model() == TokenizerModel::kSpm) {
    const bool prefix = vocab_->spec().add_space_prefix && after_special;
    EncodeSpm(*vocab_, EscapeSpaces(text, prefix), out);
  } else {
    EncodeBpe(*vocab_, text, out);
  }
}

std::string Tokenizer::ComputePiece(int32_t id) const {
  const std::string& text = vocab_->Text(id);
  switch (vocab_->Type(id)) {
    case TokenType::kControl:
    case TokenType::kUnused:
      return {};
    case TokenType::kUnknown:
      return std::string(kUnknownPiece);
    case TokenType::kUserDefined:
      return text;
    case TokenType::kByte:
      if (const std::optional<uint8_t> byte = vocab_->ByteOfToken(id)) {
        return std::string(1, static_cast<char>(*byte));
      }
      break;
    case TokenType::kNormal:
    case TokenType::kUndefined:
      break;
  }
  std::string piece;
  piece.reserve(text.size());
  if (model() == TokenizerModel::kSpm) {
    for (size_t pos = 0; pos < text.size();) {
      if (text.compare(pos, kSpmSpace.size(), kSpmSpace) == 0) {
        piece.push_back(' ');
        pos += kSpmSpace.size();
      } else {
        piece.push_back(text[pos++]);
      }
    }
    return piece;
  }
  // Byte-level BPE: each character stands for one byte; anything else passes through.
  for (size_t pos = 0; pos < text.size();) {
    const unicode::Decoded d = unicode::DecodeUtf8(text, pos);
    const std::optional<uint8_t> byte = d.valid ? unicode::CodepointToByte(d.cp) : std::nullopt;
    if (byte) {
      piece.push_back(static_cast<char>(*byte));
    } else {
      piece.append(text, pos, d.len);
    }
    pos += d.len;
  }
  return piece;
}

std::string_view Tokenizer::TokenText(int32_t id) const {
  return vocab_->Valid(id) ? std::string_view(vocab_->Text(id)) : std::string_view();
}

std::string Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  if (!vocab_->Valid(id)) return {};
  if (render_special && IsControl(id)) return vocab_->Text(id);
  return pieces_[id];
}

bool Tokenizer::strips_leading_space() const {
  return model() == TokenizerModel::kSpm && vocab_->spec().add_space_prefix;
}

void Tokenizer::UnescapeSpaces(std::string* text) const {
  if (model() != TokenizerModel::kSpm) return;
  for (size_t pos = text->find(kSpmSpace); pos != std::string::npos;
       pos = text->find(kSpmSpace, pos + 1)) {
    text->replace(pos, kSpmSpace.size(), " ");
  }
}

std::string Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::string text;
  for (int32_t id : ids) {
    if (vocab_->Valid(id)) text += pieces_[id];
  }
  // Normal pieces are already unescaped; this catches U+2581 spelled out by byte tokens (in
  // vocabularies without a "▁" token).
  UnescapeSpaces(&text);
  if (strips_leading_space() && !text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

Result<std::string> Tokenizer::DecodeChecked(std::span<const int32_t> ids) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!vocab_->Valid(ids[i])) {
      return Err(Status::OutOfRange("token id " + std::to_string(ids[i]) + " at position " +
                                    std::to_string(i) + " is outside the vocabulary of " +
                                    std::to_string(n_vocab())));
    }
  }
  return Decode(ids);
}

bool Tokenizer::IsEndOfGeneration(int32_t id) const {
  return std::binary_search(end_of_generation_.begin(), end_of_generation_.end(), id);
}

bool Tokenizer::IsControl(int32_t id) const {
  return vocab_->Valid(id) && vocab_->Type(id) == TokenType::kControl;
}

std::optional<int32_t> Tokenizer::FindToken(std::string_view text) const {
  const int32_t id = vocab_->Find(text);
  if (id == kNoToken) return std::nullopt;
  return id;
}

}  // namespace locai::engine
